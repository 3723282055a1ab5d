"""Taguette highlights in: its "export highlights" CSV or Excel file, matched to the transcripts.

Taguette writes one row per (highlight, tag) with the columns ``id``, ``document``, ``tag``
and ``content`` (the highlighted text as plain text); the Excel export has the same
columns on a sheet named ``highlights``. It records no user, so the coder is given by the
caller. ``document`` is the name of the uploaded document; its stem must be an interview
id. ``content`` is located in the interview's turns (ignoring case, whitespace runs and
typographic quotes); a highlight over several turns becomes one row per turn, and speaker
labels inside it ("Anna: ...") are not part of any turn's text. Rows without a tag are
skipped.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from buyerlab.errors import InputError
from buyerlab.qda import CodeResolver, check_coder, conform_codes, human_rows, interview_layout, locate_text
from buyerlab.safezip import check_archive

if TYPE_CHECKING:
    from buyerlab.corpus import Corpus

COLUMNS = ("id", "document", "tag", "content")
MAX_BYTES = 100_000_000


def _rows_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InputError(f"refused: larger than {MAX_BYTES // 1_000_000} MB", path=path)
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    reader = csv.reader(io.StringIO(text))
    out: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    line = 1
    try:
        for rec in reader:
            if header is None:
                header = [h.strip().lower() for h in rec]
            elif any(c.strip() for c in rec):
                out.append((line, dict(zip(header, rec))))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from None
    _check_header(header or [], path)
    return out


def _rows_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    check_archive(path, kind=".xlsx", max_uncompressed=MAX_BYTES * 5)
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb["highlights"] if "highlights" in wb.sheetnames else wb.worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        wb.close()
    except InputError:
        raise
    except Exception as exc:  # openpyxl fails in many ways on damaged files
        raise InputError(f"cannot read the Excel file: {type(exc).__name__}: {exc}", path=path) from None
    if not rows:
        raise InputError("empty sheet", path=path)
    header = [str(h or "").strip().lower() for h in rows[0]]
    _check_header(header, path)
    return [(n, {h: "" if v is None else str(v) for h, v in zip(header, r)})
            for n, r in enumerate(rows[1:], start=2) if any(v not in (None, "") for v in r)]


def _check_header(header: list[str], path: Path) -> None:
    missing = [c for c in ("document", "tag", "content") if c not in header]
    if missing:
        raise InputError(f"not a Taguette highlights export: missing column(s) {missing}; "
                         f"expected {', '.join(COLUMNS)}", path=path, line=1)


def _interview(document: str, ids: set[str]) -> str | None:
    name = document.strip()
    for cand in (name, Path(name).stem, Path(name).name.split(".")[0]):
        if cand in ids:
            return cand
    return None


def import_taguette(path: str | Path, corpus: "Corpus", codebook=None, *, coder: str,
                    strict: bool = True) -> pd.DataFrame:
    """Human codes from a Taguette highlights export (.csv or .xlsx), coded by ``coder``."""
    path = Path(path)
    if not coder:
        raise InputError("Taguette exports name no coder: give one (--coder NAME)", path=path)
    coder = check_coder(coder)
    records = _rows_xlsx(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _rows_csv(path)
    resolver = CodeResolver(codebook)
    ids = set(corpus.interviews["interview_id"])
    layouts: dict = {}
    rows: list[dict] = []
    for line, rec in records:
        tag = (rec.get("tag") or "").strip()
        if not tag:
            continue
        iid = _interview(rec.get("document") or "", ids)
        if iid is None:
            raise InputError(f"document {rec.get('document')!r} matches no interview id", path=path, line=line)
        hit = resolver.resolve(tag)
        if hit is None:
            if strict:
                raise InputError(f"tag {tag!r} is not a code of the codebook", path=path, line=line)
            hit = ("other", tag)
        lay = layouts.setdefault(iid, interview_layout(corpus.turns, iid))
        pieces = locate_text(rec.get("content") or "", lay)
        if not pieces:
            raise InputError(f"highlight text not found in interview {iid}: {(rec.get('content') or '')[:60]!r}",
                             path=path, line=line)
        for tix, cs, ce in pieces:
            text = lay.texts[lay.turn_index.index(tix)]
            rows.append({"interview_id": iid, "turn_index": tix, "family": hit[0], "code": hit[1],
                         "char_start": cs, "char_end": ce, "evidence": text[cs:ce]})
    df = human_rows(rows, coder)
    return conform_codes(df.drop_duplicates(["interview_id", "turn_index", "code", "char_start", "char_end"]))
