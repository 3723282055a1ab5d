"""Benchmark buyerlab.themes: theme quality on the gold set, and fit time / peak memory at 2,000 and 20,000 segments.

    python bench/themes.py                      # everything (several minutes on 2 cores)
    python bench/themes.py --quality            # gold-set quality only
    python bench/themes.py --scale --sizes 2000 # one size only
    python bench/themes.py --sample /tmp/s      # an ingested study: topics, language mixing, largest labels

Quality: the gold turns (tests/data/gold) are segmented as a study would be; a segment's gold
families are those of the labels whose evidence lies inside it. NMI is computed on segments with
exactly one family; purity on every labelled segment; "mixed" is the share of topics whose second
language holds at least 15% of its segments (a segment counts as pure when the topic's
majority family is among its families). Compared: buyerlab's settings (PCA or UMAP reducer, KMeans or
HDBSCAN, with and without zero-shot onto the default codebook) and a plain ``BERTopic(embedding_model=...)``
with default settings, all on the same embeddings.

Scale: gold segments are replicated with small perturbations up to N; each fit runs in a fresh
process so its peak resident memory (getrusage) is its own. Embedding time is reported apart
from fit time (the study pipeline caches sentence-model embeddings).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GOLD = ROOT / "tests" / "data" / "gold"
BACKENDS = ["tfidf", "tfidf-word", "all-MiniLM-L6-v2"]


def gold_segments() -> tuple[list[str], list[str], list[set[str]]]:
    """Segments of the gold turns with their languages and gold families."""
    import pandas as pd

    from buyerlab.segment import segment_turns

    rows, labels = [], {}
    for path in sorted(GOLD.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            rows.append({"interview_id": item["id"], "turn_index": 0, "role": "respondent", "text": item["text"],
                         "lang": item["lang"]})
            labels[item["id"]] = [(lab.get("evidence") or "", lab["family"]) for lab in item["labels"]
                                  if lab.get("polarity", "present") == "present"]
    turns = pd.DataFrame(rows)
    segments = segment_turns(turns, dict(zip(turns["interview_id"], turns["lang"])))
    texts, langs, families = [], [], []
    full = dict(zip(turns["interview_id"], turns["text"]))
    for seg in segments.itertuples():
        fams = set()
        for evidence, family in labels[seg.interview_id]:
            start = full[seg.interview_id].find(evidence) if evidence else -1
            # A label belongs to the segment its evidence starts in.
            if start >= 0 and seg.char_start <= start < seg.char_end:
                fams.add(family)
        texts.append(seg.text)
        langs.append(seg.language)
        families.append(fams)
    return texts, langs, families


def purity_nmi(topics: list[int], families: list[set[str]]) -> tuple[float, float]:
    """(NMI on single-family segments, multi-label purity on labelled segments)."""
    from sklearn.metrics import normalized_mutual_info_score

    single = [(t, next(iter(f))) for t, f in zip(topics, families) if len(f) == 1]
    nmi = normalized_mutual_info_score([f for _, f in single], [t for t, _ in single]) if single else float("nan")
    labelled = [(t, f) for t, f in zip(topics, families) if f]
    pure = 0
    for topic in set(t for t, _ in labelled):
        members = [f for t, f in labelled if t == topic]
        counts = Counter(x for f in members for x in f)
        majority = counts.most_common(1)[0][0]
        pure += sum(1 for f in members if majority in f)
    return nmi, pure / max(1, len(labelled))


def plain_bertopic(texts: list[str], vectors: np.ndarray, backend) -> list[int]:
    """BERTopic with its default settings, given the same embedding model and embeddings."""
    from bertopic import BERTopic

    from buyerlab.themes import _make_embedder

    model = BERTopic(embedding_model=_make_embedder(backend, {}))
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    return [int(t) for t in topics]


METHODS = ["buyerlab pca+kmeans", "buyerlab umap+kmeans", "buyerlab pca+hdbscan", "buyerlab pca+kmeans+zero-shot",
           "buyerlab pca+kmeans+zero-shot lang-none", "buyerlab pca+kmeans+zero-shot lang-std", "plain BERTopic"]


def quality(backends: list[str], methods: list[str] | None = None) -> list[dict]:
    """Theme quality against the gold families, per backend and method."""
    from buyerlab.codebook import load_codebook
    from buyerlab.embeddings import get_embedding_backend
    from buyerlab.themes import codebook_zeroshot, find_themes

    texts, langs, families = gold_segments()
    zeroshot = codebook_zeroshot(load_codebook())
    code_family = {c.id: c.family for c in load_codebook().codes}
    n_labelled = sum(1 for f in families if f)
    n_single = sum(1 for f in families if len(f) == 1)
    print(f"gold: {len(texts)} segments, {n_labelled} labelled, {n_single} with one family", flush=True)
    rows = []
    for name in backends:
        backend = get_embedding_backend(name)
        for method in methods or METHODS:
            t0, c0 = time.perf_counter(), time.process_time()
            if method == "plain BERTopic":
                backend.fit(texts)
                topics = plain_bertopic(texts, backend.encode(texts), backend)
                mapped = None
            else:
                balance = "none" if "lang-none" in method else "standardise" if "lang-std" in method else "centre"
                result = find_themes(texts, embedding=backend, reducer="umap" if "umap" in method else "pca",
                                     cluster="hdbscan" if "hdbscan" in method else "kmeans",
                                     zeroshot=zeroshot if "zero-shot" in method else None, languages=langs,
                                     balance_languages=balance)
                # Attachment per segment (what topic_codes.parquet holds), whatever the segment's topic.
                topics = result.topics
                mapped = result.segment_codes if result.segment_codes is not None else result.mapped_codes
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            nmi, purity = purity_nmi(topics, families)
            mixed, _ = mixed_share(topics, langs)
            row = {"backend": name, "method": method, "topics": len(set(topics) - {-1}),
                   "outliers": sum(1 for t in topics if t == -1) / len(topics), "nmi": nmi, "purity": purity,
                   "mixed": mixed, "seconds": seconds, "cpu": cpu}
            if mapped is not None and "zero-shot" in method:
                # How often a segment attached to a code has that code's family among its gold families.
                hits = [code_family[m] in f for m, f in zip(mapped, families) if m is not None and f]
                row["attached"] = sum(1 for m in mapped if m is not None) / len(mapped)
                row["attach_precision"] = sum(hits) / len(hits) if hits else float("nan")
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def mixed_share(topics: list[int], langs: list[str], minority: float = 0.15) -> tuple[float, float]:
    """(share of topics whose second language has at least ``minority`` of its segments, share of segments in them)."""
    by: dict[int, list[str]] = {}
    for t, lang in zip(topics, langs):
        by.setdefault(t, []).append(lang)
    mixed = {t for t, ls in by.items() if len(Counter(ls)) > 1 and Counter(ls).most_common(2)[1][1] >= minority * len(ls)}
    return len(mixed) / max(1, len(by)), sum(len(by[t]) for t in mixed) / max(1, len(topics))


def sample(study: str, variants: list[str], show: int = 10) -> list[dict]:
    """Topic count, language mixing and the largest labels on an ingested study (e.g. a copy of data/sample)."""
    from buyerlab.codebook import load_codebook
    from buyerlab.corpus import Corpus
    from buyerlab.embeddings import get_embedding_backend
    from buyerlab.segment import segment_turns
    from buyerlab.study import Study
    from buyerlab.themes import codebook_zeroshot, find_themes

    st = Study(study)
    corpus = Corpus.load(st)
    langs = dict(zip(corpus.interviews["interview_id"].astype(str), corpus.interviews["language"]))
    segments = segment_turns(corpus.turns, langs)
    texts, seg_langs = segments["text"].tolist(), segments["language"].tolist()
    zeroshot = codebook_zeroshot(load_codebook(st.config.codebook))
    rows = []
    for variant in variants:
        backend_name, _, balance = variant.partition(":")
        t0 = time.process_time()
        result = find_themes(texts, embedding=get_embedding_backend(backend_name), zeroshot=zeroshot,
                             languages=seg_langs, balance_languages=balance or "centre")
        mixed, mixed_segments = mixed_share(result.topics, seg_langs)
        info = result.topic_info[result.topic_info["topic"] != -1].sort_values("size", ascending=False)
        row = {"variant": variant, "segments": len(texts), "topics": len(info),
               "attached_topics": int(info["mapped_code"].notna().sum()), "mixed_topics": mixed,
               "mixed_segments": mixed_segments, "cpu": time.process_time() - t0,
               "largest": [f"{r.size} {r.label}" + (f" [{r.mapped_code}]" if isinstance(r.mapped_code, str) else "")
                           for r in info.head(show).itertuples()]}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False, indent=1), flush=True)
    return rows


def synthetic(n: int, seed: int = 0) -> list[str]:
    """n segments: gold segments with light perturbations (word drops, swapped fillers), no exact repeats needed."""
    texts, _, _ = gold_segments()
    rng = random.Random(seed)
    fillers = ["honestly", "to be fair", "at the time", "in the end", "you know", "ärligt talat", "ehrlich gesagt"]
    out = []
    while len(out) < n:
        words = rng.choice(texts).split()
        if len(words) > 6:
            del words[rng.randrange(len(words))]
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words) + 1), rng.choice(fillers) + ",")
        out.append(" ".join(words))
    return out


def _one(spec: dict) -> dict:
    """Child process: one fit, timed, with its own peak RSS."""
    from buyerlab.embeddings import get_embedding_backend
    from buyerlab.themes import find_themes

    texts = json.loads(Path(spec["texts"]).read_text(encoding="utf-8"))
    vectors = np.load(spec["vectors"])
    backend = get_embedding_backend(spec["backend"])
    if spec["backend"].startswith("tfidf"):
        backend.fit(texts)
    import tracemalloc

    import bertopic  # noqa: F401 - import cost outside the measurement

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Traced peak: what the fit itself allocates (numpy included), unlike the process RSS peak,
    # which the imports (torch, transformers) usually set before the fit starts.
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    if spec["method"] == "plain":
        topics = plain_bertopic(texts, vectors, backend)
    else:
        topics = find_themes(texts, embedding=backend, embeddings=vectors).topics
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "cpu": cpu, "peak_rss_mb": peak / 1024, "fit_extra_mb": (peak - base) / 1024,
            "traced_mb": traced,
            "topics": len(set(topics) - {-1}), "outliers": sum(1 for t in topics if t == -1) / len(topics)}


def scale(sizes: list[int], backends: list[str]) -> list[dict]:
    """Fit time and peak memory, buyerlab vs plain BERTopic, per size and backend."""
    from buyerlab.embeddings import get_embedding_backend

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            texts = synthetic(n)
            text_path = Path(tmp) / f"texts{n}.json"
            text_path.write_text(json.dumps(texts), encoding="utf-8")
            for name in backends:
                backend = get_embedding_backend(name)
                t0 = time.process_time()
                vectors = backend.fit(texts).encode(texts)
                embed_seconds = time.process_time() - t0
                vec_path = Path(tmp) / f"vec{n}-{name}.npy"
                np.save(vec_path, vectors)
                for method in ("buyerlab", "plain"):
                    spec = {"texts": str(text_path), "vectors": str(vec_path), "backend": name, "method": method}
                    proc = subprocess.run([sys.executable, __file__, "--one", json.dumps(spec)], capture_output=True,
                                          text=True)
                    if proc.returncode != 0:
                        print(proc.stderr[-2000:], file=sys.stderr)
                        continue
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                    row = {"n": n, "backend": name, "method": "buyerlab" if method == "buyerlab" else "plain BERTopic",
                           "embed_s": embed_seconds, **res}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    return rows


def print_tables(quality_rows: list[dict], scale_rows: list[dict]) -> None:
    """The results as plain-text tables."""
    if quality_rows:
        print("\nTheme quality on the gold set (families)")
        print(f"{'backend':<18} {'method':<40} {'topics':>6} {'outl.':>6} {'NMI':>6} {'purity':>7} {'mixed':>6} "
              f"{'attach':>7} {'att.prec':>8} {'wall s':>7} {'cpu s':>6}")
        for r in quality_rows:
            att = f"{r['attached']:.2f}" if "attached" in r else "-"
            prec = f"{r['attach_precision']:.2f}" if "attach_precision" in r else "-"
            print(f"{r['backend']:<18} {r['method']:<40} {r['topics']:>6} {r['outliers']:>6.2f} {r['nmi']:>6.3f} "
                  f"{r['purity']:>7.3f} {r.get('mixed', float('nan')):>6.2f} {att:>7} {prec:>8} {r['seconds']:>7.1f} "
                  f"{r['cpu']:>6.1f}")
    if scale_rows:
        print("\nFit time and memory (embeddings precomputed; embed = CPU s to fit+encode the backend; "
              "wall s are inflated when the machine is shared)")
        print(f"{'n':>6} {'backend':<18} {'method':<15} {'embed cpu':>9} {'fit wall':>8} {'fit cpu':>7} "
              f"{'peak MB':>8} {'+fit MB':>8} {'traced MB':>9} {'topics':>6} {'outl.':>6}")
        for r in scale_rows:
            print(f"{r['n']:>6} {r['backend']:<18} {r['method']:<15} {r['embed_s']:>9.1f} {r['seconds']:>8.1f} "
                  f"{r['cpu']:>7.1f} "
                  f"{r['peak_rss_mb']:>8.0f} {r['fit_extra_mb']:>8.0f} {r.get('traced_mb', float('nan')):>9.0f} "
                  f"{r['topics']:>6} {r['outliers']:>6.2f}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="only the gold-set quality")
    parser.add_argument("--scale", action="store_true", help="only time and memory")
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--backends", nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", default=None, choices=METHODS, metavar="METHOD",
                        help="with --quality: only these methods (quote each)")
    parser.add_argument("--sample", metavar="STUDY", help="topic count, language mixing and labels on an ingested "
                        "study (cp -r data/sample /tmp/s && buyerlab ingest /tmp/s)")
    parser.add_argument("--variants", nargs="+", default=["tfidf:centre", "tfidf:none"],
                        help="with --sample: backend:balance_languages")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sample:
        sample(args.sample, args.variants)
        return 0
    if args.one:
        print(json.dumps(_one(json.loads(args.one))))
        return 0
    both = not args.quality and not args.scale
    q = quality(args.backends or BACKENDS, args.methods) if (args.quality or both) else []
    s = scale(args.sizes, args.backends or ["tfidf", "all-MiniLM-L6-v2"]) if (args.scale or both) else []
    print_tables(q, s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
