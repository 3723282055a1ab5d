"""Word (.docx) transcripts: paragraphs parsed like plain text, or (time |) speaker | text tables.

The archive is checked before python-docx opens it: a real zip, safe member names, a total
uncompressed size under ``ReaderOptions.max_docx_uncompressed`` and no member with a
zip-bomb compression ratio, and no DOCTYPE/ENTITY declaration in any XML part (external
entities, billion laughs).

Title, Subtitle and Heading paragraphs are not speech and are skipped. When the document
holds a transcript table, its rows are the turns and other paragraphs are ignored (with a
warning). A table row without a speaker continues the previous row's turn. RawTurn.line is
the paragraph number in the body (1-based) for paragraphs and the row number in its table
for table rows.
"""

from __future__ import annotations

import re
from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, RawTurn, ReaderOptions
from buyerlab.readers.encoding import check_size, normalise_newlines
from buyerlab.safezip import check_archive
from buyerlab.readers.turns import STYLES, parse_time, parse_turns_with_style

_TIME_CELL = re.compile(r"[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)[\])]?")
_SKIP_STYLES = ("title", "subtitle", "heading")

HEADER_WORDS = frozenset(
    """speaker name person who role talare vem roll deltagare sprecher sprecherin rolle teilnehmer
    text transcript utterance content said statement answer utsaga transkript yttrande aussage inhalt
    time timestamp start tid tidpunkt tidsstämpel zeit zeitstempel zeitpunkt""".split()
)


def check_docx_archive(path: Path, options: ReaderOptions) -> None:
    """Refuse a .docx that is not a zip, is a zip bomb, has unsafe names or XML declarations."""
    check_archive(path, kind=".docx", max_uncompressed=options.max_docx_uncompressed,
                  limit_setting="readers.max_docx_uncompressed")


def _cell_text(text: str) -> str:
    return "\n".join(s for s in (line.strip() for line in normalise_newlines(text).split("\n")) if s)


def _is_header(cells: list[str]) -> bool:
    words = [c.strip().lower().rstrip(":") for c in cells if c.strip()]
    return bool(words) and all(w in HEADER_WORDS for w in words)


def _table_turns(rows: list[list[str]]) -> list[RawTurn] | None:
    """Turns of a (time |) speaker | text table, or None when it is not a transcript table."""
    rows = [[_cell_text(c) for c in row] for row in rows]
    if not rows:
        return None
    width = max(len(r) for r in rows)
    if not 2 <= width <= 4:
        return None
    first_row = 2 if _is_header(rows[0]) else 1
    body = [(n, r + [""] * (width - len(r))) for n, r in enumerate(rows, start=1) if n >= first_row]
    body = [(n, r) for n, r in body if any(r)]
    if not body:
        return None
    columns = list(range(width))
    time_col = None
    for c in columns:
        values = [r[c] for _, r in body if r[c]]
        if values and sum(1 for v in values if _TIME_CELL.fullmatch(v)) >= 0.8 * len(values):
            time_col = c
            break
    rest = [c for c in columns if c != time_col]

    def mean_len(c: int) -> float:
        return sum(len(r[c]) for _, r in body) / len(body)

    text_col = max(rest, key=mean_len)
    others = [c for c in rest if c != text_col]
    speaker_col = min(others, key=mean_len) if others else None
    if speaker_col is not None:
        names = [r[speaker_col] for _, r in body if r[speaker_col]]
        if not names or sum(1 for v in names if len(v) <= 40 and "\n" not in v) < 0.9 * len(names):
            return None
        recurring = len(set(names)) < len(names)
        if not recurring and mean_len(text_col) <= 40:
            return None  # a key | value table (date, company, ...), not a conversation
    elif time_col is None:
        return None

    turns: list[RawTurn] = []
    for n, r in body:
        text = r[text_col]
        if not text:
            continue
        speaker = r[speaker_col] if speaker_col is not None else None
        start = None
        if time_col is not None and (m := _TIME_CELL.fullmatch(r[time_col])):
            start = parse_time(m.group(1))
        if speaker_col is not None and not speaker and turns:
            turns[-1].text += "\n" + text
            continue
        turns.append(RawTurn(text=text, speaker=speaker or None, start=start, line=n))
    return turns or None


def _paragraph_turns(paragraphs: list[tuple[int, str]]) -> tuple[list[RawTurn], str]:
    lines: list[str] = []
    owner: list[int] = []
    for number, text in paragraphs:
        for piece in normalise_newlines(text).split("\n"):
            lines.append(piece)
            owner.append(number)
        lines.append("")  # each Word paragraph is a paragraph for parse_turns
        owner.append(number)
    turns, style = parse_turns_with_style("\n".join(lines))
    for turn in turns:
        turn.line = owner[turn.line - 1]
    return turns, style


def _style_name(paragraph) -> str:
    try:
        return (paragraph.style.name or "").lower() if paragraph.style is not None else ""
    except Exception:  # a broken style reference must not stop the reading of the text
        return ""


def parse_docx(path: Path, options: ReaderOptions | None = None) -> RawTranscript:
    """One interview from a .docx file, after the archive safety checks."""
    options = options or ReaderOptions()
    check_size(path, options)
    check_docx_archive(path, options)
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(path))
        paragraphs: list[tuple[int, str]] = []
        tables: list[list[list[str]]] = []
        number = 0
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                rows = [[cell.text for cell in row.cells] for row in block.rows]
                if rows and max(len(r) for r in rows) == 1:
                    # A one-column layout table wrapping the text: read its cells as paragraphs.
                    for row in rows:
                        for cell in row:
                            number += 1
                            paragraphs.append((number, cell))
                else:
                    tables.append(rows)
                continue
            number += 1
            if block.text.strip() and not _style_name(block).startswith(_SKIP_STYLES):
                paragraphs.append((number, block.text))
    except InputError:
        raise
    except Exception as exc:  # python-docx fails in many ways on damaged files
        raise InputError(f"cannot read .docx: {type(exc).__name__}: {exc}", path=path) from None

    warnings: list[str] = []
    turns: list[RawTurn] = []
    for k, rows in enumerate(tables, start=1):
        found = _table_turns(rows)
        if found is None:
            warnings.append(f"table {k} does not look like a transcript (speaker | text); skipped")
        else:
            turns.extend(found)
    if turns:
        if any(text.strip() for _, text in paragraphs):
            warnings.append(f"{len(paragraphs)} paragraph(s) outside the transcript table(s) ignored")
    elif paragraphs:
        turns, style = _paragraph_turns(paragraphs)
        if style == STYLES[-1]:
            warnings.append("no speaker labels recognised; each paragraph is one turn without a speaker")
    if not turns:
        raise InputError("no transcript text found in the document", path=path)
    return RawTranscript(interview_id=path.stem, source=path, format="docx", turns=turns, warnings=warnings)


def read_docx(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read a .docx file as one interview."""
    return [parse_docx(path, options)]
