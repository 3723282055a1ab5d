"""``buyerlab export`` and ``buyerlab import``: codes to and from QDA tools (REFI-QDA, Taguette, CSV, Excel)."""

from __future__ import annotations

import argparse
from pathlib import Path

from buyerlab.errors import BuyerlabError, InputError
from buyerlab.study import Study

EXPORT_FORMATS = ("qdpx", "qdc", "csv", "xlsx")
IMPORT_FORMATS = ("auto", "csv", "taguette", "qdpx")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the export and import subcommands."""
    p = sub.add_parser("export", help="export transcripts, codebook and codes (REFI-QDA .qdpx/.qdc, CSV, Excel)")
    p.add_argument("study", help="study folder")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="qdpx", help="output format (default: qdpx)")
    p.add_argument("--out", help="output file (default: STUDY/output/export/<study>.<format>)")
    p.add_argument("--codes", default=None,
                   help="which codes: all (automatic and every human coder, each as its own user; default for "
                        "qdpx), effective (after review; default for csv/xlsx), auto, or a coder name")
    p.add_argument("--no-speakers", action="store_true", help="qdpx: do not code turns by speaker")
    p.set_defaults(func=_export)

    p = sub.add_parser("import", help="import human codes (CSV of coded segments, Taguette highlights, .qdpx)")
    p.add_argument("study", help="study folder")
    p.add_argument("file", help="file to import")
    p.add_argument("--format", choices=IMPORT_FORMATS, default="auto", help="input format (default: from the file)")
    p.add_argument("--coder", help="coder name (required for Taguette; overrides the file's users/coder column)")
    p.add_argument("--allow-unknown-codes", action="store_true",
                   help="keep codes the codebook lacks (family 'other') instead of stopping")
    p.set_defaults(func=_import)


def _codes(study: Study, which: str):
    import pandas as pd

    from buyerlab.qda import conform_codes, load_auto_codes, load_human_codes

    if which == "all":
        frames = []
        if (study.output_dir / "codes.parquet").exists():
            frames.append(load_auto_codes(study))
        frames.append(load_human_codes(study))
        frames = [f for f in frames if len(f)]
        return conform_codes(pd.concat(frames, ignore_index=True)) if frames else conform_codes(None)
    if which == "effective":
        from buyerlab.review import effective_codes

        return effective_codes(study)
    if which == "auto":
        return load_auto_codes(study)
    return load_human_codes(study, [which])


def _export(args: argparse.Namespace) -> int:
    from buyerlab.corpus import Corpus
    from buyerlab.qda import study_codebook

    study = Study(args.study)
    fmt = args.format
    out = Path(args.out) if args.out else study.output("export") / f"{study.name}.{fmt}"
    codebook = study_codebook(study)
    if fmt == "qdc":
        from buyerlab.qda.refi import export_qdc

        path = export_qdc(codebook, out)
        print(f"wrote codebook ({len(codebook.codes)} codes in {len(codebook.families)} families) to {path}")
        return 0
    codes = _codes(study, args.codes or ("all" if fmt == "qdpx" else "effective"))
    if fmt == "qdpx":
        from buyerlab.qda.refi import export_qdpx

        path = export_qdpx(study, out, codes=codes, codebook=codebook, speakers=not args.no_speakers)
    elif fmt == "csv":
        from buyerlab.qda.csv_codes import export_codes_csv

        path = export_codes_csv(codes, out, Corpus.load(study))
    else:
        from buyerlab.qda.csv_codes import export_codes_excel

        path = export_codes_excel(codes, out, Corpus.load(study), codebook)
    coders = ", ".join(sorted(set(codes["coder"].astype(str)))) or "none"
    print(f"wrote {len(codes)} coded span(s) (coders: {coders}) to {path}")
    return 0


def _detect(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".qdpx":
        return "qdpx"
    if suffix in (".xlsx", ".xlsm"):
        return "taguette"
    if suffix in (".csv", ".tsv", ".txt"):
        try:
            head = path.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
        cols = {c.strip().strip('"').lower() for c in (head[0].replace(";", ",").split(",") if head else [])}
        return "taguette" if {"document", "tag", "content"} <= cols else "csv"
    raise InputError("unknown import format; use --format csv, taguette or qdpx", path=path)


def _import(args: argparse.Namespace) -> int:
    from buyerlab.corpus import Corpus
    from buyerlab.qda import check_coder, merge_human_codes, study_codebook

    study = Study(args.study)
    path = Path(args.file)
    if not path.is_file():
        raise InputError("no such file", path=path)
    coder = check_coder(args.coder) if args.coder else None
    fmt = _detect(path) if args.format == "auto" else args.format
    corpus = Corpus.load(study)
    codebook = study_codebook(study)
    strict = not args.allow_unknown_codes
    if fmt == "qdpx":
        from buyerlab.qda.refi import import_qdpx

        codes = import_qdpx(path, corpus, codebook, coder=coder, strict=strict)
        for w in codes.attrs.get("warnings", []):
            print(f"warning: {w}")
    elif fmt == "taguette":
        from buyerlab.qda.taguette import import_taguette

        codes = import_taguette(path, corpus, codebook, coder=coder or "", strict=strict)
    else:
        from buyerlab.qda.csv_codes import import_codes_csv

        codes = import_codes_csv(path, corpus, codebook, coder=coder, strict=strict)
    if not len(codes):
        raise BuyerlabError(f"{path}: no codings found to import")
    for name in sorted(set(codes["coder"].astype(str))):
        check_coder(name)
    written = merge_human_codes(study, codes)
    for name, part in codes.groupby("coder"):
        print(f"imported {len(part)} code(s) by {name} in {part['interview_id'].nunique()} interview(s)")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
