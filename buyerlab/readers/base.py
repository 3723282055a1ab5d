"""What every reader returns: raw transcripts with turns, before roles and languages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RawTurn:
    """One speaker turn as read from a file; speaker is None where the file names none."""

    text: str
    speaker: str | None = None
    start: float | None = None  # seconds from the start of the recording
    end: float | None = None
    line: int | None = None  # 1-based line (or row/paragraph) in the source, for messages


@dataclass
class RawTranscript:
    """One interview as read from one file (a table file yields many)."""

    interview_id: str
    source: Path
    format: str  # "text", "vtt", "srt", "docx", "whisper_json", "table"
    turns: list[RawTurn]
    attributes: dict[str, str] = field(default_factory=dict)  # extra columns of a table row
    warnings: list[str] = field(default_factory=list)


@dataclass
class ReaderOptions:
    """Settings that readers honour; filled from study.toml's [readers] table."""

    max_bytes: int = 50_000_000  # a transcript larger than this is refused, not read
    max_docx_uncompressed: int = 200_000_000  # zip-bomb guard for .docx
    table_id_column: str | None = None  # None: detect
    table_text_column: str | None = None  # None: detect
