"""``buyerlab code STUDY``: apply the codebook to every respondent turn."""

from __future__ import annotations

import argparse
import warnings


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``code`` subcommand."""
    p = sub.add_parser("code", help="apply the codebook to respondent turns (writes output/codes.parquet)")
    p.add_argument("study", help="study folder (run `buyerlab ingest` first)")
    p.add_argument("--output", help="output folder (default: STUDY/output)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="show a progress bar (default: on)")
    p.set_defaults(func=_code)


def _code(args: argparse.Namespace) -> int:
    from buyerlab.coding import code_study, summary
    from buyerlab.study import Study

    study = Study(args.study, output_dir=args.output)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        codes = code_study(study, progress=args.progress)
    for w in caught:
        print(f"buyerlab: warning: {w.message}")
    a = codes.attrs
    print(f"coded {a.get('interviews', 0)} interview(s): {a.get('cache_hits', 0)} from cache, "
          f"{len(a.get('recomputed', []))} recomputed ({a.get('turns_coded', 0)} respondent turns coded this run)")
    per_family = summary(codes)
    if per_family:
        print("codes found (present): " + ", ".join(f"{k} {v}" for k, v in per_family.items()))
    else:
        print("codes found (present): none")
    other = int((codes["polarity"] != "present").sum())
    if other:
        print(f"also {other} negated or hypothetical mention(s), kept with their polarity")
    for lang, ids in a.get("skipped", {}).items():
        print(f"skipped {len(ids)} interview(s) in language {lang!r} (not in the codebook)")
    print(f"wrote {study.output_dir / 'codes.parquet'}")
    return 0
