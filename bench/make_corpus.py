"""Build a large study for the benchmarks by replicating the sample study's turns.

Each synthetic interview is a colon-style .txt of about ``words_per_interview`` words made
of real sample turns (shuffled with a fixed seed, interviewer and respondent alternating as
in the source), so readers, coders and topic models see realistic text in all three
languages. The metadata repeats the sample's attributes.
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_corpus(dest: Path, n_interviews: int = 1000, words_per_interview: int = 8000, seed: int = 7) -> Path:
    """Write a study of ``n_interviews`` replicated interviews into ``dest``; return it."""
    from buyerlab.ingest import ingest_study

    sample_copy = dest.parent / (dest.name + "_src")
    if sample_copy.exists():
        shutil.rmtree(sample_copy)
    shutil.copytree(ROOT / "data" / "sample", sample_copy, ignore=shutil.ignore_patterns("output"))
    corpus = ingest_study(sample_copy, write=False).corpus
    shutil.rmtree(sample_copy)

    rng = random.Random(seed)
    by_interview = {iid: g for iid, g in corpus.turns.groupby("interview_id")}
    attrs = corpus.interviews.set_index("interview_id")
    ids = sorted(by_interview)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "transcripts").mkdir(parents=True)
    rows = []
    for i in range(n_interviews):
        src = ids[i % len(ids)]
        turns = by_interview[src]
        pairs = list(zip(turns["speaker"], turns["role"], turns["text"]))
        lines, words = [], 0
        while words < words_per_interview:
            # Keep question/answer order within a pass; shuffle blocks so copies differ.
            start = rng.randrange(len(pairs))
            for speaker, role, text in pairs[start:] + pairs[:start]:
                lines.append(f"{speaker}: {text}")
                words += len(text.split())
                if words >= words_per_interview:
                    break
        iid = f"B{i:05d}"
        (dest / "transcripts" / f"{iid}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
        a = attrs.loc[src]
        rows.append({"interview_id": iid, "segment": a.get("segment", ""), "country": a.get("country", ""),
                     "language": a["language"], "outcome": a.get("outcome", ""),
                     "interviewer_names": a["interviewers"]})
    with open(dest / "metadata.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--words", type=int, default=8000, help="words per interview")
    args = parser.parse_args()
    make_corpus(args.dest, args.interviews, args.words)
    print(f"wrote {args.interviews} interviews to {args.dest}")


if __name__ == "__main__":
    main()
