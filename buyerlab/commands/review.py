"""``buyerlab review``: accept, reject or add codes; decisions are kept apart from the automatic output."""

from __future__ import annotations

import argparse

from buyerlab.errors import BuyerlabError
from buyerlab.study import Study


def register(sub: argparse._SubParsersAction) -> None:
    """Add the review subcommand and its actions."""
    p = sub.add_parser("review", help="accept / reject automatic codes, add missing ones (stored in output/review)")
    p.add_argument("study", help="study folder")
    p.add_argument("--reviewer", help="your name (required to record a decision)")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    for name, text in (("accept", "confirm automatic code(s)"), ("reject", "reject automatic or added code(s)"),
                       ("reset", "withdraw a decision on code(s)")):
        a = actions.add_parser(name, help=text)
        a.add_argument("ids", nargs="+", metavar="ID", help="code id INTERVIEW:TURN:CODE:START-END (see `list`)")
        a.add_argument("--note", default="", help="why (kept with the decision)")
    a = actions.add_parser("add", help="add a code the automatic coding missed")
    a.add_argument("interview", help="interview id")
    a.add_argument("turn", type=int, help="turn index")
    a.add_argument("code", help="code id or label")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("--span", nargs=2, type=int, metavar=("START", "END"), help="offsets into the turn's text")
    where.add_argument("--quote", help="text of the turn to code")
    a.add_argument("--polarity", default="present", choices=("present", "negated", "hypothetical"))
    a.add_argument("--note", default="")
    a = actions.add_parser("list", help="list automatic codes with their ids and review status")
    a.add_argument("--status", choices=("unreviewed", "accepted", "rejected"), help="only codes with this status")
    a.add_argument("--interview", help="only this interview")
    p.set_defaults(func=_review)


def _review(args: argparse.Namespace) -> int:
    from buyerlab import review

    study = Study(args.study)
    if not args.action:
        raise BuyerlabError("name an action: accept, reject, reset, add or list")
    if args.action == "list":
        table = review.review_status(study)
        if args.status:
            table = table[table["status"] == args.status]
        if args.interview:
            table = table[table["interview_id"] == args.interview]
        for row in table.itertuples(index=False):
            print(f"{row.id}\t{row.status}\t{row.polarity}\t{str(row.evidence)[:70]}")
        stale = review.stale_decisions(study)
        print(f"{len(table)} code(s)" + (f"; {len(stale)} decision(s) on codes that no longer exist" if len(stale)
                                         else ""))
        return 0
    if not args.reviewer:
        raise BuyerlabError("give your name with --reviewer NAME (before the action)")
    if args.action == "add":
        start, end = args.span if args.span else (None, None)
        rec = review.add_code(study, args.reviewer, args.interview, args.turn, args.code, char_start=start,
                              char_end=end, quote=args.quote, polarity=args.polarity, note=args.note)
        print(f"added {rec['id']}: {rec['evidence'][:70]!r}")
        return 0
    recs = review.decide(study, args.reviewer, args.action, args.ids, note=args.note)
    print(f"{args.action}: {len(recs)} code(s) by {args.reviewer} -> {review.review_path(study, args.reviewer)}")
    return 0
