"""Transcript readers: one module per file format, one entry point ``read_file``."""

from __future__ import annotations

from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, RawTurn, ReaderOptions
from buyerlab.readers.docx import read_docx
from buyerlab.readers.encoding import decode_bytes
from buyerlab.readers.subtitles import read_srt, read_vtt
from buyerlab.readers.table import read_table
from buyerlab.readers.text import read_text_file
from buyerlab.readers.turns import detect_style, parse_turns
from buyerlab.readers.whisper_json import read_whisper_json

_READERS = {
    ".txt": read_text_file,
    ".vtt": read_vtt,
    ".srt": read_srt,
    ".docx": read_docx,
    ".json": read_whisper_json,
    ".csv": read_table,
    ".tsv": read_table,
    ".jsonl": read_table,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)

__all__ = [
    "SUPPORTED_SUFFIXES",
    "InputError",
    "RawTranscript",
    "RawTurn",
    "ReaderOptions",
    "decode_bytes",
    "detect_style",
    "parse_turns",
    "read_file",
]


def read_file(path: str | Path, options: ReaderOptions | None = None) -> list[RawTranscript]:
    """Read one transcript file (format chosen by suffix) into raw transcripts; InputError on failure."""
    path = Path(path)
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        raise InputError(f"unsupported file type {shown}; supported: {', '.join(SUPPORTED_SUFFIXES)}", path=path)
    try:
        return reader(path, options or ReaderOptions())
    except InputError:
        raise
    except (MemoryError, RecursionError) as exc:
        raise InputError(f"file too large or too deeply nested to read ({type(exc).__name__})", path=path) from None
    except Exception as exc:  # a reader bug must still reach the user as one line, not a traceback
        raise InputError(
            f"internal error in the {suffix} reader ({type(exc).__name__}: {exc}); please report it", path=path
        ) from None
