"""Whisper-style JSON (openai-whisper, WhisperX, or a bare list of segments) to turns.

Consecutive segments of the same speaker merge into one turn; segments without a speaker
stay one turn each (the corpus step decides roles). Whisper's ``language`` is kept in the
transcript's attributes as ``whisper_language``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, RawTurn, ReaderOptions
from buyerlab.readers.encoding import read_text
from buyerlab.readers.turns import parse_turns

_EXPECTED = (
    "expected Whisper/WhisperX output: an object with a 'segments' list "
    "(each with 'text' and optional 'start', 'end', 'speaker') or a list of such segments"
)


def load_json(text: str, path: str | Path | None = None):
    """json.loads with every failure turned into an InputError naming the line."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("malformed JSON: nested too deeply", path=path) from None
    except ValueError as exc:  # e.g. an integer literal too long to convert
        raise InputError(f"malformed JSON: {exc}", path=path) from None


def _time(segment: dict, key: str, index: int, path) -> float | None:
    value = segment.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InputError(f"segment {index}: '{key}' must be a number of seconds >= 0, not {value!r:.40}", path=path)
    return float(value)


def _speaker(segment: dict, index: int, path) -> str | None:
    value = segment.get("speaker")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"segment {index}: 'speaker' must be a string, not {type(value).__name__}", path=path)
    return str(value).strip() or None


def parse_whisper_json(text: str, path: str | Path | None = None) -> tuple[list[RawTurn], dict[str, str]]:
    """Turns and attributes (``whisper_language``) of a Whisper-style JSON document."""
    data = load_json(text, path)
    attributes: dict[str, str] = {}
    if isinstance(data, dict):
        language = data.get("language")
        if isinstance(language, str) and language.strip():
            attributes["whisper_language"] = language.strip()
        segments = data.get("segments")
        if segments is None:
            whole = data.get("text")
            if isinstance(whole, str) and whole.strip():
                # A response with only the full text (e.g. response_format="json").
                return parse_turns(whole), attributes
            raise InputError(_EXPECTED, path=path)
    elif isinstance(data, list):
        segments = data
    else:
        raise InputError(_EXPECTED + f"; found a JSON {type(data).__name__}", path=path)
    if not isinstance(segments, list):
        raise InputError(f"'segments' must be a list; {_EXPECTED}", path=path)

    turns: list[RawTurn] = []
    parts: list[list[str]] = []  # joined once at the end: += would be quadratic on long merges
    for index, segment in enumerate(segments):
        if not isinstance(segment, dict):
            raise InputError(f"segment {index} is a {type(segment).__name__}, not an object; {_EXPECTED}", path=path)
        body = segment.get("text")
        if body is None:
            continue
        if not isinstance(body, str):
            raise InputError(f"segment {index}: 'text' must be a string", path=path)
        body = " ".join(body.split())
        if not body:
            continue
        start, end = _time(segment, "start", index, path), _time(segment, "end", index, path)
        speaker = _speaker(segment, index, path)
        last = turns[-1] if turns else None
        if speaker is not None and last is not None and last.speaker == speaker:
            parts[-1].append(body)
            if end is not None:
                last.end = end
            continue
        turns.append(RawTurn(text="", speaker=speaker, start=start, end=end))
        parts.append([body])
    if not turns:
        raise InputError("no segment with text", path=path)
    for turn, texts in zip(turns, parts):
        turn.text = " ".join(texts)
    return turns, attributes


def read_whisper_json(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read a Whisper-style JSON file as one interview."""
    turns, attributes = parse_whisper_json(read_text(path, options), path)
    return [
        RawTranscript(
            interview_id=path.stem, source=path, format="whisper_json", turns=turns, attributes=attributes
        )
    ]
