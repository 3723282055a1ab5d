"""``buyerlab analyse STUDY``: every analysis table as CSV in output/analysis/, and a short summary."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``analyse`` subcommand (alias ``analyze``)."""
    p = sub.add_parser(
        "analyse", aliases=["analyze"],
        help="compare segments, countries and outcomes; decision process; claims (writes output/analysis/)",
    )
    p.add_argument("study", help="study folder (run `buyerlab ingest` and `buyerlab code` first)")
    p.add_argument("--output", help="output folder (default: STUDY/output)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="match claims to motives by code ids only, not by text similarity")
    p.set_defaults(func=_analyse)


def summary_lines(tables: dict, alpha: float = 0.05) -> list[str]:
    """A few human-readable lines about the analysis tables."""
    lines = []
    processes = tables.get("processes")
    if processes is not None:
        n = processes["interview_id"].nunique()
        with_stage = processes.dropna(subset=["stage"])["interview_id"].nunique()
        lines.append(f"{n} interview(s), {with_stage} with at least one decision stage coded")
    for name, frame in tables.items():
        if name.startswith("matrix_by_") or name == "outcome_comparison":
            if frame.empty:
                continue
            per_code = frame.drop_duplicates("code")
            sig = per_code[per_code["q"] < alpha]["code"].tolist()
            small = sorted(frame.loc[frame["small_group"], "group"].unique())
            by = name.removeprefix("matrix_by_") if name != "outcome_comparison" else "outcome"
            text = f"by {by}: {len(per_code)} code(s) compared, {len(sig)} differ (q < {alpha})"
            if sig:
                text += ": " + ", ".join(sig[:8]) + (" ..." if len(sig) > 8 else "")
            if small:
                text += f"; small groups (< 5 interviews): {', '.join(small)}"
            lines.append(text)
    stalls = tables.get("stall_points")
    if stalls is not None and len(stalls):
        for outcome, g in stalls.groupby("outcome", sort=False):
            top = g.sort_values("n_interviews", ascending=False).iloc[0]
            lines.append(f"{outcome}: most often stopped after {top['last_stage']} "
                         f"({int(top['n_interviews'])} of {int(top['n_interviews_with_outcome'])})")
    coverage = tables.get("motive_coverage")
    if coverage is not None and len(coverage):
        unanswered = coverage[~coverage["answered"]]["code"].tolist()
        lines.append(f"claims: {int(coverage['answered'].sum())} of {len(coverage)} voiced motive(s) "
                     f"answered; not answered by any claim: {', '.join(unanswered) or 'none'}")
    return lines


def _analyse(args: argparse.Namespace) -> int:
    from buyerlab.analysis import analyse_study, write_tables
    from buyerlab.study import Study

    study = Study(args.study, output_dir=args.output)
    tables = analyse_study(study, embedder=False if args.no_embeddings else None)
    folder = write_tables(study, tables)
    for line in summary_lines(tables):
        print(line)
    print(f"wrote {len(tables)} table(s) to {folder}")
    return 0
