"""``buyerlab codebook show|check|export|evaluate``: read, validate, export and measure a codebook."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from buyerlab.errors import BuyerlabError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``codebook`` subcommand and its actions."""
    p = sub.add_parser("codebook", help="show, check or export a codebook (default: the built-in one)")
    actions = p.add_subparsers(dest="codebook_action", metavar="ACTION")
    p.set_defaults(func=lambda args: _usage(p))

    show = actions.add_parser("show", help="list families and codes with descriptions and pattern counts")
    _source_options(show)
    show.add_argument("--family", help="only this family (e.g. barrier)")
    show.set_defaults(func=show_command)

    check = actions.add_parser("check", help="validate a codebook file and summarise it")
    check.add_argument("path", nargs="?", help="codebook YAML (default: the built-in codebook)")
    check.add_argument("--study", help="check the codebook a study folder uses (its study.toml setting)")
    check.set_defaults(func=check_command)

    export = actions.add_parser("export", help="write one row per code to .csv or .xlsx")
    _source_options(export)
    export.add_argument("--out", required=True, help="output file, .csv or .xlsx")
    export.set_defaults(func=export_command)

    evaluate = actions.add_parser("evaluate", help="measure the codebook on hand-labelled turns (JSONL): "
                                                   "precision, recall, F1 per family and language")
    evaluate.add_argument("labelled", nargs="+", help="JSONL files of labelled respondent turns "
                                                      "(format: docs/codebook.md, 'Measuring a codebook')")
    _source_options(evaluate)
    evaluate.add_argument("--per-code", action="store_true", help="also list precision, recall, F1 per code")
    evaluate.set_defaults(func=evaluate_command)

    # `codebook suggest` is the codebook-side name of `buyerlab suggest-codes`: one implementation.
    from buyerlab.commands.topics import add_suggest_arguments, suggest_codes_command

    suggest = actions.add_parser("suggest", help="propose new codes from themes the codebook does not cover "
                                                 "(writes output/suggested_codes.yaml)")
    add_suggest_arguments(suggest)
    suggest.set_defaults(func=suggest_codes_command)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 1


def _source_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--codebook", help="codebook YAML (default: the built-in codebook)")
    p.add_argument("--study", help="use the codebook a study folder uses (its study.toml setting)")


def resolve_codebook_path(codebook: str | None = None, study: str | None = None) -> Path | None:
    """The codebook file named on the command line, else the study's setting; None = the default."""
    if codebook:
        return Path(codebook)
    if study:
        from buyerlab.study import Study

        path = Study(study).config.codebook
        # study.toml may say codebook = "default"; the study loader resolves it like a path.
        if path is not None and path.name == "default" and not path.exists():
            return None
        return path
    return None


def _load(codebook: str | None, study: str | None):
    from buyerlab.codebook import load_codebook

    return load_codebook(resolve_codebook_path(codebook, study))


def show_command(args: argparse.Namespace) -> int:
    """Print a readable listing of the codebook."""
    cb = _load(args.codebook, args.study)
    families = cb.families
    if args.family:
        families = [f for f in families if f.id == args.family]
        if not families:
            raise BuyerlabError(f"{cb.source}: no family {args.family!r}; "
                                f"families: {', '.join(f.id for f in cb.families)}")
    print(f"{cb.name}, version {cb.version}: {len(cb.codes)} codes in {len(cb.families)} families, "
          f"languages {', '.join(cb.languages)}")
    print(f"source: {cb.source}")
    width = max(len(c.id) for c in cb.codes)
    for fam in families:
        codes = cb.family_codes(fam.id)
        order = " (ordered: codes in process order)" if fam.ordered else ""
        print()
        print(f"{fam.id}: {fam.label}{order}, {len(codes)} codes")
        for c in codes:
            counts = ", ".join(f"{lang} {len(c.patterns.get(lang, []))}" for lang in cb.languages)
            print(f"  {c.id:<{width}}  {c.label}  [patterns {counts}]")
            for line in textwrap.wrap(c.description, width=88):
                print(f"  {'':<{width}}    {line}")
    if not args.family and cb.buying_roles:
        print()
        print("buying roles: " + ", ".join(
            f"{role} ({sum(len(v) for v in cues.values())} cues)" for role, cues in cb.buying_roles.items()))
    return 0


def check_command(args: argparse.Namespace) -> int:
    """Validate a codebook; print a one-line summary (errors go to the CLI as CodebookError)."""
    cb = _load(args.path, args.study)
    print(f"ok: {len(cb.codes)} codes in {len(cb.families)} families, "
          f"languages {', '.join(cb.languages)}, version {cb.version}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """Write the codebook as a table, one row per code (CSV, or Excel by suffix)."""
    cb = _load(args.codebook, args.study)
    out = Path(args.out)
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise BuyerlabError(f"{out}: export writes .csv or .xlsx, not {suffix or 'a file without suffix'!r}")
    frame = cb.to_frame()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(out, index=False, encoding="utf-8")
        else:
            import pandas as pd

            families = pd.DataFrame([{"family": f.id, "label": f.label, "ordered": f.ordered,
                                      "description": f.description} for f in cb.families])
            roles = pd.DataFrame([{"buying_role": role, "language": lang, "cues": " ; ".join(cues)}
                                  for role, by_lang in cb.buying_roles.items() for lang, cues in by_lang.items()])
            with pd.ExcelWriter(out, engine="openpyxl") as xl:
                frame.to_excel(xl, sheet_name="codes", index=False)
                families.to_excel(xl, sheet_name="families", index=False)
                roles.to_excel(xl, sheet_name="buying_roles", index=False)
    except OSError as exc:
        raise BuyerlabError(f"{out}: cannot write: {exc.strerror or exc}") from None
    print(f"wrote {len(frame)} codes to {out}")
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    """Code hand-labelled turns with the codebook and print how far it agrees with the labels."""
    from buyerlab.evaluation import evaluate, format_table, per_code, predict
    from buyerlab.labelled import read_labelled

    cb = _load(args.codebook, args.study)
    paths = [Path(p) for p in args.labelled]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise BuyerlabError(f"no such file: {', '.join(missing)}")
    turns = read_labelled(paths)
    known = set(cb.code_ids)
    unknown = sorted({lab["code"] for t in turns for lab in t["labels"]} - known)
    if unknown:
        raise BuyerlabError(f"{', '.join(map(str, paths))}: labels use codes the codebook {cb.name!r} does not have: "
                            f"{', '.join(unknown)}")
    langs = sorted({t["lang"] for t in turns} - set(cb.languages))
    if langs:
        raise BuyerlabError(f"labelled turns in language(s) {', '.join(langs)}, which the codebook {cb.name!r} "
                            f"has no patterns for (it has {', '.join(cb.languages)})")
    pred = predict(turns, cb)  # coded once for both tables
    print(format_table(evaluate(paths, cb, pred)))
    if args.per_code:
        print("\nper code (present, all languages), weakest F1 first:")
        print(per_code(paths, cb, pred).round(3).to_string(index=False))
    return 0
