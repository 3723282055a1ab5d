"""Table files (CSV, TSV, JSONL): one interview per row, the transcript in one column.

The id and text columns come from ReaderOptions or are detected by name; the text column
falls back to the column with the most text. Every other column becomes an attribute.
A bad row (empty id or text, wrong field count, malformed JSON line) is skipped and named
in the first returned transcript's ``warnings``; only a file without any usable row, or
with a duplicate id, raises InputError.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, ReaderOptions
from buyerlab.readers.encoding import normalise_newlines, read_text
from buyerlab.readers.turns import parse_turns

ID_COLUMNS = (
    "interview_id", "interview", "id", "doc_id", "document_id", "document", "transcript_id",
    "respondent_id", "name", "file", "filename",
)
TEXT_COLUMNS = ("transcript", "text", "content", "body", "transcription")


@dataclass
class _Row:
    line: int  # 1-based line where the row starts
    cells: dict[str, str]
    cell_lines: dict[str, int]  # line where each cell starts (multi-line CSV cells)


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _pick(columns: list[str], wanted: str | None, names: tuple[str, ...], setting: str, path) -> str | None:
    by_norm = {_norm(c): c for c in columns}
    if wanted is not None:
        found = by_norm.get(_norm(wanted))
        if found is None:
            raise InputError(
                f"column '{wanted}' (readers.{setting} in study.toml) not found; columns: {', '.join(columns)}",
                path=path,
            )
        return found
    for name in names:
        if name in by_norm:
            return by_norm[name]
    return None


def _csv_rows(text: str, path, delimiter: str | None) -> tuple[list[str], list[_Row], list[tuple[int, str]]]:
    first_line, pos = "", 0
    while True:  # the first non-blank line, without copying the whole text
        end = text.find("\n", pos)
        first_line = text[pos:] if end < 0 else text[pos:end]
        if first_line.strip() or end < 0:
            break
        pos = end + 1
    if delimiter is None:
        # European spreadsheets export ';'-separated "CSV".
        delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if csv.field_size_limit() < 2**31 - 1:
        csv.field_size_limit(2**31 - 1)  # a transcript cell is far over the 128 KB default
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[_Row] = []
    problems: list[tuple[int, str]] = []
    prev = 0
    try:
        for fields in reader:
            line = prev + 1
            prev = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if header is None:
                header = [f.strip() or f"column_{k + 1}" for k, f in enumerate(fields)]
                if header[0].startswith("\ufeff"):
                    header[0] = header[0][1:]
                dupes = sorted({h for h in header if header.count(h) > 1})
                if dupes:
                    raise InputError(f"duplicate column name(s) in the header: {', '.join(dupes)}", path=path, line=line)
                continue
            if len(fields) > len(header):
                problems.append((line, f"{len(fields)} fields, the header has {len(header)}"))
                continue
            fields = fields + [""] * (len(header) - len(fields))
            cell_lines: dict[str, int] = {}
            at = line
            for name, value in zip(header, fields):
                cell_lines[name] = at
                at += value.count("\n")
            rows.append(_Row(line, dict(zip(header, fields)), cell_lines))
    except csv.Error as exc:
        raise InputError(f"malformed table: {exc}", path=path, line=reader.line_num or None) from None
    if header is None:
        raise InputError("no header row", path=path)
    return header, rows, problems


def _jsonl_rows(text: str, path) -> tuple[list[str], list[_Row], list[tuple[int, str]]]:
    columns: dict[str, None] = {}
    rows: list[_Row] = []
    problems: list[tuple[int, str]] = []
    for index, raw in enumerate(text.split("\n")):
        line = index + 1
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append((line, f"malformed JSON: {exc.msg} (column {exc.colno})"))
            continue
        except (RecursionError, ValueError):
            problems.append((line, "malformed JSON"))
            continue
        if not isinstance(obj, dict):
            problems.append((line, f"a JSON {type(obj).__name__}, not an object"))
            continue
        cells: dict[str, str] = {}
        for key, value in obj.items():
            columns.setdefault(key, None)
            if isinstance(value, str):
                cells[key] = normalise_newlines(value)
            elif value is None:
                cells[key] = ""
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                cells[key] = str(value)
            else:
                cells[key] = json.dumps(value, ensure_ascii=False)
        rows.append(_Row(line, cells, {}))
    return list(columns), rows, problems


def _rows(text: str, path, kind: str) -> tuple[list[str], list[_Row], list[tuple[int, str]]]:
    if kind == "jsonl":
        return _jsonl_rows(text, path)
    return _csv_rows(text, path, "\t" if kind == "tsv" else None)


def parse_table(
    text: str, path: str | Path, kind: str, options: ReaderOptions | None = None
) -> list[RawTranscript]:
    """Interviews of a decoded table file; ``kind`` is 'csv', 'tsv' or 'jsonl'."""
    options = options or ReaderOptions()
    path = Path(path)
    columns, rows, problems = _rows(text, path, kind)
    if not rows:
        if problems:
            raise InputError(f"no usable rows (row skipped: {problems[0][1]})", path=path, line=problems[0][0])
        raise InputError("no data rows", path=path)

    text_col = _pick(columns, options.table_text_column, TEXT_COLUMNS, "table_text_column", path)
    id_col = _pick(columns, options.table_id_column, ID_COLUMNS, "table_id_column", path)
    if text_col is None:
        totals = {c: sum(len(r.cells.get(c, "")) for r in rows) for c in columns if c != id_col}
        if not totals:
            raise InputError(
                "cannot tell which column holds the transcript; set readers.table_text_column in study.toml",
                path=path,
            )
        text_col = max(totals, key=totals.get)
    if id_col is None:
        others = [c for c in columns if c != text_col]
        id_col = others[0] if others else None

    transcripts: list[RawTranscript] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=1):
        ident = row.cells.get(id_col, "").strip() if id_col is not None else f"{path.stem}_{n}"
        body = row.cells.get(text_col, "")
        if not ident:
            problems.append((row.line, f"empty {id_col}"))
            continue
        if not body.strip():
            problems.append((row.line, f"empty {text_col}"))
            continue
        if ident in seen:
            raise InputError(
                f"duplicate interview id '{ident}' on lines {seen[ident]} and {row.line}", path=path, line=row.line
            )
        seen[ident] = row.line
        turns = parse_turns(body, first_line=row.cell_lines.get(text_col, row.line))
        if kind == "jsonl":
            for turn in turns:
                turn.line = row.line  # the whole transcript sits on the row's one line
        attributes = {c: v.strip() for c, v in row.cells.items() if c not in (id_col, text_col)}
        transcripts.append(
            RawTranscript(interview_id=ident, source=path, format="table", turns=turns, attributes=attributes)
        )
    if not transcripts:
        raise InputError(f"no usable rows (row skipped: {problems[0][1]})", path=path, line=problems[0][0])
    problems.sort()
    transcripts[0].warnings.extend(f"{path}:{line}: row skipped: {why}" for line, why in problems)
    return transcripts


def read_table(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read a .csv, .tsv or .jsonl file: one interview per row."""
    kind = path.suffix.lower().lstrip(".")
    return parse_table(read_text(path, options), path, kind, options)
