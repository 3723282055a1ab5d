"""``buyerlab redact``: a copy of a study's outputs with names, e-mails, phones and companies replaced."""

from __future__ import annotations

import argparse

from buyerlab.study import Study


def register(sub: argparse._SubParsersAction) -> None:
    """Add the redact subcommand."""
    p = sub.add_parser("redact", help="write a copy of the outputs with personal data replaced by placeholders")
    p.add_argument("study", help="study folder")
    p.add_argument("--out", required=True, help="folder for the redacted copy (outside the study's output)")
    p.add_argument("--company", action="append", default=[], help="a company name to replace (repeatable; "
                   "adds to [redact] companies in study.toml)")
    p.add_argument("--name", action="append", default=[], help="a person's name to replace (repeatable)")
    p.add_argument("--no-ner", action="store_true", help="do not use an installed spaCy pipeline to find names")
    p.add_argument("--key", help="write the placeholder -> value key to this file (keep it private)")
    p.add_argument("--force", action="store_true", help="replace the --out folder if it is not empty")
    p.set_defaults(func=_redact)


def _redact(args: argparse.Namespace) -> int:
    from buyerlab.redact import redact_study

    report = redact_study(Study(args.study), args.out, companies=args.company, names=args.name,
                          ner=False if args.no_ner else None, key_path=args.key, overwrite=args.force)
    print(report.to_text())
    return 0
