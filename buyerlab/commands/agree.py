"""``buyerlab agree``: agreement between two coders (kappa, alpha, percentage) per code and family."""

from __future__ import annotations

import argparse
from pathlib import Path

from buyerlab.study import Study


def register(sub: argparse._SubParsersAction) -> None:
    """Add the agree subcommand."""
    p = sub.add_parser("agree", help="inter-coder agreement: Cohen's kappa, Krippendorff's alpha, %% agreement")
    p.add_argument("study", help="study folder")
    p.add_argument("--a", default="auto", help="first coder: auto, effective or a human coder (default: auto)")
    p.add_argument("--b", required=True, help="second coder")
    p.add_argument("--level", choices=("turn", "segment"), default="turn",
                   help="unit: a respondent turn or one sentence of it (default: turn)")
    p.add_argument("--all-polarities", action="store_true",
                   help="count negated and hypothetical codes too (default: present only)")
    p.add_argument("--interviews", help="comma-separated interview ids (default: those both coders coded)")
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--disagreements", help="write the disagreements with their text to this CSV file")
    p.set_defaults(func=_agree)


def _agree(args: argparse.Namespace) -> int:
    from buyerlab.agreement import agreement, format_table, study_disagreements

    study = Study(args.study)
    interviews = [s.strip() for s in args.interviews.split(",")] if args.interviews else None
    polarity = None if args.all_polarities else "present"
    table = agreement(study, args.a, args.b, level=args.level, interviews=interviews, polarity=polarity)
    print(format_table(table))
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    if args.disagreements:
        dis = study_disagreements(study, args.a, args.b, level=args.level, interviews=interviews, polarity=polarity)
        Path(args.disagreements).parent.mkdir(parents=True, exist_ok=True)
        dis.to_csv(args.disagreements, index=False)
        print(f"wrote {len(dis)} disagreement(s) to {args.disagreements}")
    return 0
