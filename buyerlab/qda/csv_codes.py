"""Coded segments as CSV (in and out) and as an Excel workbook (one sheet per family).

CSV in (``import_codes_csv``): one row per coded segment. Columns (any case, any order;
``,`` ``;`` or tab separated, UTF-8 with or without BOM):

- ``interview_id`` (or ``interview``/``document``): the interview;
- either ``char_start`` and ``char_end`` (or ``start``/``end``: code-point offsets into the
  turn's text, with ``turn_index``), or ``quote`` (or ``text``/``evidence``/``content``):
  text located in the interview's turns, ignoring case, whitespace runs and typographic
  quotes; with a ``turn_index`` the search stays in that turn; with both offsets and a
  quote, the quote must match the text at the offsets;
- ``code`` (a code id or label of the codebook), ``coder`` (or pass ``coder=``);
- optional ``polarity`` (present, negated, hypothetical; default present).

A quote that is not found, or that spans more than one turn, is an ``InputError`` naming
the CSV line.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from buyerlab.errors import InputError
from buyerlab.qda import CodeResolver, conform_codes, find_quote, human_rows, interview_layout, same_text

if TYPE_CHECKING:
    from buyerlab.corpus import Corpus

ALIASES = {
    "interview_id": ("interview_id", "interview", "document", "doc", "interview id"),
    "turn_index": ("turn_index", "turn", "turn index"),
    "char_start": ("char_start", "start", "start_char", "startposition"),
    "char_end": ("char_end", "end", "end_char", "endposition"),
    "quote": ("quote", "text", "evidence", "content", "segment_text", "quoted_text"),
    "code": ("code", "tag", "code_id"),
    "coder": ("coder", "user", "annotator", "rater"),
    "polarity": ("polarity",),
}
POLARITIES = ("present", "negated", "hypothetical")
MAX_CSV_BYTES = 100_000_000


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        if path.stat().st_size > MAX_CSV_BYTES:
            raise InputError(f"refused: larger than {MAX_CSV_BYTES // 1_000_000} MB", path=path)
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the CSV as UTF-8",
                         path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    try:
        line = 1
        for rec in reader:
            if header is None:
                header = [h.strip().lower() for h in rec]
            elif any(c.strip() for c in rec):
                rows.append((line, rec))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from None
    if header is None:
        raise InputError("empty CSV file", path=path)
    return header, rows


def _columns(header: list[str], path: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, names in ALIASES.items():
        for n in names:
            if n in header:
                found[key] = header.index(n)
                break
    if "interview_id" not in found or "code" not in found:
        raise InputError(f"needs columns interview_id and code; found {header}", path=path, line=1)
    has_offsets = "char_start" in found and "char_end" in found
    if not has_offsets and "quote" not in found:
        raise InputError("needs char_start/char_end (with turn_index) or a quote column", path=path, line=1)
    if has_offsets and "quote" not in found and "turn_index" not in found:
        raise InputError("char_start/char_end need a turn_index column", path=path, line=1)
    return found


def import_codes_csv(path: str | Path, corpus: "Corpus", codebook=None, *, coder: str | None = None,
                     strict: bool = True) -> pd.DataFrame:
    """Human codes from a CSV of coded segments, as codes-schema rows (source ``human``)."""
    path = Path(path)
    header, records = _read_rows(path)
    col = _columns(header, path)
    resolver = CodeResolver(codebook)
    ids = set(corpus.interviews["interview_id"])
    layouts: dict = {}
    rows: list[dict] = []

    def cell(rec: list[str], key: str) -> str:
        i = col.get(key)
        return rec[i].strip() if i is not None and i < len(rec) else ""

    for line, rec in records:
        iid = cell(rec, "interview_id")
        if iid not in ids:
            raise InputError(f"unknown interview_id {iid!r}", path=path, line=line)
        lay = layouts.setdefault(iid, interview_layout(corpus.turns, iid))
        name = cell(rec, "code")
        hit = resolver.resolve(name) if name else None
        if hit is None:
            if strict or not name:
                raise InputError(f"code {name!r} is not in the codebook", path=path, line=line)
            hit = ("other", name)
        who = cell(rec, "coder") or (coder or "")
        if coder and not cell(rec, "coder"):
            who = coder
        if not who:
            raise InputError("no coder: fill the coder column or pass --coder", path=path, line=line)
        polarity = cell(rec, "polarity").lower() or "present"
        if polarity not in POLARITIES:
            raise InputError(f"polarity {polarity!r} is not one of {', '.join(POLARITIES)}", path=path, line=line)
        turn: int | None = None
        if cell(rec, "turn_index"):
            try:
                turn = int(float(cell(rec, "turn_index")))
            except ValueError:
                raise InputError(f"turn_index {cell(rec, 'turn_index')!r} is not a number", path=path,
                                 line=line) from None
            if turn not in lay.turn_index:
                raise InputError(f"interview {iid} has no turn {turn}", path=path, line=line)
        quote = cell(rec, "quote") if "quote" in col else ""
        if cell(rec, "char_start") and cell(rec, "char_end") and turn is not None:
            try:
                cs, ce = int(float(cell(rec, "char_start"))), int(float(cell(rec, "char_end")))
            except ValueError:
                raise InputError("char_start/char_end must be whole numbers", path=path, line=line) from None
            text = lay.texts[lay.turn_index.index(turn)]
            if not 0 <= cs < ce <= len(text):
                raise InputError(f"offsets {cs}-{ce} outside turn {turn} of {iid} (length {len(text)})",
                                 path=path, line=line)
            if quote and not same_text(quote, text[cs:ce]):
                raise InputError(f"quote does not match the text at {cs}-{ce} of turn {turn}: "
                                 f"{text[cs:ce][:60]!r}", path=path, line=line)
            pieces = [(turn, cs, ce)]
        elif quote:
            pieces = find_quote(quote, lay, turn)
            if not pieces:
                where = f"turn {turn} of {iid}" if turn is not None else f"interview {iid}"
                raise InputError(f"quote not found in {where}: {quote[:60]!r}", path=path, line=line)
            if len(pieces) > 1:
                raise InputError(f"quote spans turns {', '.join(str(p[0]) for p in pieces)} of {iid}; "
                                 "split it into one row per turn", path=path, line=line)
        else:
            raise InputError("row has neither offsets (with turn_index) nor a quote", path=path, line=line)
        tix, cs, ce = pieces[0]
        text = lay.texts[lay.turn_index.index(tix)]
        rows.append({"interview_id": iid, "turn_index": tix, "family": hit[0], "code": hit[1], "char_start": cs,
                     "char_end": ce, "evidence": text[cs:ce], "polarity": polarity, "coder": who})
    frames = [human_rows([r for r in rows if r["coder"] == c], c) for c in sorted({r["coder"] for r in rows})]
    frames = [f for f in frames if len(f)]
    return conform_codes(pd.concat(frames, ignore_index=True)) if frames else conform_codes(None)


# --------------------------------------------------------------------------- export

def export_codes_csv(codes: pd.DataFrame, path: str | Path, corpus: "Corpus | None" = None) -> Path:
    """Write coded segments (codes schema plus interview attributes) as UTF-8 CSV (BOM for Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = conform_codes(codes)
    if corpus is not None:
        df = corpus.with_attributes(df)
    df.to_csv(path, index=False, encoding="utf-8-sig")
    return path


_BAD_SHEET = str.maketrans({c: "_" for c in "[]:*?/\\"})


def _sheet_name(name: str, taken: set[str]) -> str:
    base = (name.translate(_BAD_SHEET).strip() or "codes")[:31]
    out, k = base, 2
    while out.lower() in taken:
        out = f"{base[:28]}_{k}"
        k += 1
    taken.add(out.lower())
    return out


def _write_sheet(ws, frame: pd.DataFrame) -> None:
    ws.append(list(frame.columns))
    for values in frame.itertuples(index=False):
        ws.append([None if (v is None or (not isinstance(v, str) and pd.isna(v))) else v for v in values])
    # openpyxl would store text starting with "=" as a formula: keep every text a text.
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    ws.freeze_panes = "A2"


def export_codes_excel(codes: pd.DataFrame, path: str | Path, corpus: "Corpus", codebook=None) -> Path:
    """Write an .xlsx with one sheet per code family: quote, its turn, speaker and interview attributes."""
    from openpyxl import Workbook

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = conform_codes(codes)
    turns = corpus.turns[["interview_id", "turn_index", "speaker", "role", "text"]].rename(columns={"text": "turn_text"})
    df = df.merge(turns, on=["interview_id", "turn_index"], how="left")
    df = corpus.with_attributes(df)
    labels = {c.id: c.label for c in codebook.codes} if codebook is not None else {}
    df.insert(df.columns.get_loc("code") + 1, "code_label", df["code"].map(lambda c: labels.get(c, c)))
    df = df.rename(columns={"evidence": "quote"})
    first = ["interview_id", *corpus.attribute_columns, "turn_index", "speaker", "role", "family", "code",
             "code_label", "quote", "polarity", "source", "coder", "confidence", "buying_role", "char_start",
             "char_end", "turn_text"]
    df = df[[c for c in first if c in df.columns]]
    order = [f.id for f in codebook.families] if codebook is not None else []
    family_label = {f.id: f.label for f in codebook.families} if codebook is not None else {}
    order += sorted(set(df["family"].dropna()) - set(order))
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for fam in order:
        part = df[df["family"] == fam].drop(columns="family")
        _write_sheet(wb.create_sheet(_sheet_name(family_label.get(fam, fam), taken)), part)
    if codebook is not None:
        _write_sheet(wb.create_sheet(_sheet_name("codebook", taken)), codebook.to_frame())
    if not wb.sheetnames:
        _write_sheet(wb.create_sheet("codes"), df)
    wb.save(path)
    return path
