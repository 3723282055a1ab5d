"""Plain-text transcripts (.txt): decode, then split into turns by the detected style."""

from __future__ import annotations

from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, ReaderOptions
from buyerlab.readers.encoding import read_text
from buyerlab.readers.turns import parse_turns_with_style

NO_SPEAKERS_WARNING = "no speaker labels recognised; each paragraph is one turn without a speaker"


def read_text_file(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read a .txt transcript as one interview named after the file stem."""
    turns, style = parse_turns_with_style(read_text(path, options))
    if not turns:
        raise InputError("no transcript text (only speaker labels)", path=path)
    warnings = [NO_SPEAKERS_WARNING] if style == "paragraphs" else []
    return [RawTranscript(interview_id=path.stem, source=path, format="text", turns=turns, warnings=warnings)]
