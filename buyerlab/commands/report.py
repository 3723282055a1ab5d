"""``buyerlab report STUDY``: run the notebooks on a study and write offline HTML pages."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = sub.add_parser("report", help="run the notebooks on a study and write self-contained HTML pages "
                                      "(STUDY/output/report/index.html)")
    p.add_argument("study", help="study folder (missing pipeline steps are run first)")
    p.add_argument("--output", help="output folder of the study (default: STUDY/output)")
    p.add_argument("--notebooks", help="comma-separated notebook names or number prefixes (default: all), e.g. 01,02")
    p.add_argument("--timeout", type=int, default=900, help="seconds one notebook cell may take (default: 900)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="show a progress bar (default: on)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from buyerlab.pipeline import ensure_outputs
    from buyerlab.reporting import report_study
    from buyerlab.study import Study

    study = Study(args.study, args.output)
    # Run the slow steps here, once, with their own progress, rather than inside a notebook kernel.
    ensure_outputs(study, ["ingest", "code", "topics"])
    names = [n.strip() for n in args.notebooks.split(",") if n.strip()] if args.notebooks else None
    index = report_study(study, notebooks=names, progress=args.progress, timeout=args.timeout)
    print(f"report: {index}")
    return 0
