"""``buyerlab init``, ``buyerlab ingest`` and ``buyerlab run``."""

from __future__ import annotations

import argparse

from buyerlab.ingest import ingest_study
from buyerlab.scaffold import init_study
from buyerlab.study import Study


def register(sub: argparse._SubParsersAction) -> None:
    """Add the study-level subcommands."""
    p = sub.add_parser("init", help="create a new study folder with templates")
    p.add_argument("path", help="folder to create")
    p.add_argument("--name", help="study name (default: folder name)")
    p.set_defaults(func=_init)

    p = sub.add_parser("ingest", help="read transcripts and metadata into a corpus")
    p.add_argument("study", help="study folder")
    p.add_argument("--output", help="output folder (default: STUDY/output)")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.set_defaults(func=_ingest)

    p = sub.add_parser("run", help="run every step on a study: ingest, code, themes, analysis, report")
    p.add_argument("study", help="study folder")
    p.add_argument("--output", help="output folder (default: STUDY/output)")
    p.add_argument("--steps", help="comma-separated subset of: " + ",".join(_steps()))
    p.set_defaults(func=_run)


def _steps() -> list[str]:
    from buyerlab.pipeline import STEPS

    return list(STEPS)


def _init(args: argparse.Namespace) -> int:
    root = init_study(args.path, args.name)
    print(f"created study {root}: put transcripts in {root / 'transcripts'} and fill in {root / 'metadata.csv'}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    study = Study(args.study, args.output)
    result = ingest_study(study, progress=not args.quiet)
    text = result.report.to_text()
    print(text.splitlines()[0] if args.quiet else text)
    print(f"wrote {study.output_dir / 'interviews.parquet'}, {study.output_dir / 'turns.parquet'} and "
          f"{study.output_dir / 'ingest_report.txt'}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from buyerlab.pipeline import run_study

    steps = [s.strip() for s in args.steps.split(",")] if args.steps else None
    run_study(Study(args.study, args.output), steps=steps, echo=print)
    return 0
