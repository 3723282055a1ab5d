"""Benchmark `buyerlab ingest`: interviews/s, words/min and peak memory on a large study.

    python bench/ingest.py [--interviews 1000] [--words 8000] [--workdir /tmp/buyerlab-bench]

Runs the real command line in a child process so its peak resident memory can be read.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from make_corpus import make_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interviews", type=int, default=1000)
    parser.add_argument("--words", type=int, default=8000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/buyerlab-bench"))
    args = parser.parse_args()

    study = args.workdir / f"study_{args.interviews}x{args.words}"
    if not (study / "metadata.csv").exists():
        print(f"building {args.interviews} interviews x {args.words} words in {study} ...", flush=True)
        make_corpus(study, args.interviews, args.words)
    text_bytes = sum(p.stat().st_size for p in (study / "transcripts").iterdir())

    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "buyerlab", "ingest", str(study), "--quiet"],
                          capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"ingest failed:\n{proc.stderr}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss

    import pandas as pd

    words = int(pd.read_parquet(study / "output" / "turns.parquet", columns=["n_words"])["n_words"].sum())
    print(proc.stdout.strip().splitlines()[0])
    print(f"interviews          {args.interviews}")
    print(f"words               {words:,}")
    print(f"transcript bytes    {text_bytes / 1e6:.1f} MB")
    print(f"wall time           {elapsed:.1f} s (includes interpreter start and imports)")
    print(f"interviews/s        {args.interviews / elapsed:.1f}")
    print(f"words/min           {words / elapsed * 60 / 1e6:.2f} M")
    print(f"peak RSS            {peak_kb / 1024:.0f} MB ({peak_kb * 1024 / text_bytes:.1f}x the transcripts' size)")


if __name__ == "__main__":
    main()
