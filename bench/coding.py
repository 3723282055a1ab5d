"""Speed of coding vs bare spaCy tokenisation of the same texts, in the same run.

The corpus is the sample study (data/sample, read with buyerlab.ingest) replicated to about
``--words`` respondent words (gold turns if the sample cannot be read). Bare tokenisation is
``spacy.blank(lang).pipe`` on one core; coding is ``code_turns`` with ``--n-process`` workers
(default 2: both cores). The aim is coding at most 3x the time of bare tokenisation.

Measured on the 2-core development machine, a shared VM whose speed changes by up to 2x from one
second to the next: each round times bare tokenisation and then coding, and the figure is the
median of the per-round ratios (the best times of each may come from different spells).

| codebook, polarity rules                 | coder                      | 2 processes           | 1 process |
| 1.3.0, before 94e3079                    | before issue #3            | 4.2-5.3x              | 5.4-6.2x  |
| 1.3.0, before 94e3079                    | after                      | 2.2-2.5x              | 4.6x      |
| 1.4.0, 94e3079 (richer polarity rules)   | before                     | 3.7-5.8x              | 7.8x      |
| 1.4.0, 94e3079                           | 12c9340                    | median 3.12x (15 rounds, 2.13-4.26x) | 4.5-5.5x |
| 1.4.0, 94e3079                           | 042ace8 (cue index)        | median 2.78x (45 rounds, 2.12-3.89x; quartiles 2.58, 3.30) | median 4.2x |

The 12c9340 and 042ace8 rows come from runs alternating the two versions on the same machine.
What 042ace8 changed: polarity walks jump between cue words found once per doc (polarity_of
and nearest_role about 2.5x cheaper a call on replayed calls, versions alternated), per-token loops run in C (map/compress over per-form
tables), the codes table is built column by column with the heap frozen, and the codebook
fingerprint is 6x cheaper.

Where one process spends it (1.4.0, 042ace8, as multiples of bare tokenisation, estimated from
profiles): tokenizer 1x, phrase scan 0.6-0.7x, polarity and roles 0.5x, the token view and cue
index 0.3x, the rest of buyerlab.matching 0.3x, the table 0.15x. Two workers on this machine's
two vCPUs get about 1.5x of one; starting the pool and building the table cost about 0.3 s per run.

Usage: ``python bench/coding.py [--words 1000000] [--n-process 2] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from buyerlab.codebook import load_codebook  # noqa: E402
from buyerlab.coding import code_turns  # noqa: E402


def _base_turns() -> tuple[pd.DataFrame, dict[str, str], str]:
    try:
        from buyerlab.ingest import ingest_study

        corpus = ingest_study(ROOT / "data" / "sample", write=False).corpus
        return corpus.respondent_turns(), corpus.languages(), "data/sample"
    except Exception as exc:  # the bench must run even while ingest is being rebuilt
        print(f"(sample study not readable: {exc}; using gold turns)", file=sys.stderr)
    sys.path.insert(0, str(ROOT / "bench"))
    from quality import gold_paths, read_gold

    gold = read_gold(gold_paths())
    turns = pd.DataFrame([dict(interview_id=g["id"], turn_index=0, role="respondent", text=g["text"])
                          for g in gold])
    return turns, {g["id"]: g["lang"] for g in gold}, "tests/data/gold"


def replicated_corpus(words: int) -> tuple[pd.DataFrame, dict[str, str], str]:
    """Respondent turns replicated (new interview ids per copy) to about ``words`` words."""
    base, langs, source = _base_turns()
    base = base[["interview_id", "turn_index", "role", "text"]].copy()
    base_words = int(base["text"].str.split().str.len().sum())
    copies = max(1, round(words / max(base_words, 1)))
    parts, all_langs = [], {}
    for k in range(copies):
        part = base.copy()
        part["interview_id"] = part["interview_id"] + f"~{k}"
        parts.append(part)
        all_langs.update({f"{i}~{k}": lang for i, lang in langs.items()})
    return pd.concat(parts, ignore_index=True), all_langs, source


def bare_tokenisation(turns: pd.DataFrame, languages: dict[str, str]) -> float:
    """Seconds for spacy.blank(lang).pipe over every text (one process)."""
    import spacy

    lang_of = turns["interview_id"].map(languages)
    total = 0.0
    for lang in pd.unique(lang_of):
        nlp = spacy.blank(lang)
        texts = turns.loc[lang_of == lang, "text"].tolist()
        t = time.perf_counter()
        for _ in nlp.pipe(texts, batch_size=256):
            pass
        total += time.perf_counter() - t
    return total


def main(argv: list[str] | None = None) -> int:
    """Print words/s of bare tokenisation and of coding, and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000, help="corpus size in words (default 1,000,000)")
    ap.add_argument("--n-process", type=int, default=2, help="worker processes for coding (default 2)")
    ap.add_argument("--codebook", help="codebook file (default: the packaged one)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds of both timings (default 5)")
    args = ap.parse_args(argv)

    turns, languages, source = replicated_corpus(args.words)
    words = int(turns["text"].str.split().str.len().sum())
    codebook = load_codebook(args.codebook)
    print(f"corpus: {len(turns):,} respondent turns, {words:,} words (replicated from {source}); "
          f"codebook {codebook.version}, {len(codebook.codes)} codes")

    # Warm-up: pipelines, lemma caches and compiled rules are built once, as in a real run.
    code_turns(turns.head(300), languages, codebook)
    # Rounds alternate bare tokenisation and coding, so that a slow spell of a shared machine hits
    # both: the median of the per-round ratios is the figure; best times and the spread are shown too.
    bares, codings, ratios = [], [], []
    for _ in range(args.rounds):
        bare = bare_tokenisation(turns, languages)
        t = time.perf_counter()
        codes = code_turns(turns, languages, codebook, n_process=args.n_process)
        coding = time.perf_counter() - t
        bares.append(bare)
        codings.append(coding)
        ratios.append(coding / bare)
    bare, coding = min(bares), min(codings)
    print(f"bare tokenisation (1 process): {words / bare:>12,.0f} words/s  ({bare:.2f} s, best of {args.rounds})")
    print(f"coding ({args.n_process} process{'es' if args.n_process > 1 else ''}):       "
          f"{words / coding:>12,.0f} words/s  ({coding:.2f} s, best of {args.rounds}, {len(codes):,} coded spans)")
    print("ratio per round: " + ", ".join(f"{r:.2f}x" for r in ratios))
    print(f"ratio of the best times: {coding / bare:.2f}x")
    print(f"ratio coding/bare time (median of {args.rounds} rounds): {statistics.median(ratios):.2f}x (aim: <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
