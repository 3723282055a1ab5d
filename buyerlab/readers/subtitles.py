"""WebVTT and SRT subtitle files: cues to speaker turns.

Speakers come from ``<v Name>`` voice tags (VTT), ``Name:`` prefixes, ``[Name]`` prefixes (SRT)
or ``- `` dialogue dashes (a new, unnamed speaker). A cue without any of these continues the
previous cue's speaker. Consecutive cues of the same named speaker are merged into one turn
(start of the first, end of the last); cues without a speaker stay one turn each.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from buyerlab.errors import InputError
from buyerlab.readers.base import RawTranscript, RawTurn, ReaderOptions
from buyerlab.readers.encoding import read_text
from buyerlab.readers.turns import accept_labels, looks_like_name, match_label

_TS = r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_TIMING = re.compile(rf"[ \t]*{_TS}[ \t]+-->[ \t]+{_TS}(?:[ \t].*)?")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
_TAG = re.compile(r"<[^>]*>")
_ASS_TAG = re.compile(r"\{\\[^}]*\}")
_BRACKET_NAME = re.compile(r"\[([^\[\]\d]{1,40})\][ \t]*:?[ \t]*(.*)")
_INDEX = re.compile(r"\d+")
# Looks like an attempt at a timing line even though it does not parse.
_TIMING_ATTEMPT = re.compile(r"\d+:\d|-->|->")

_UNSET = object()  # the piece continues the previous speaker


@dataclass
class _Cue:
    start: float
    end: float
    line: int  # 1-based line of the timing line
    lines: list[str]


def _seconds(h: str | None, m: str, sec: str, frac: str) -> float | None:
    if int(m) > 59 or int(sec) > 59:
        return None
    return int(h or 0) * 3600 + int(m) * 60 + int(sec) + int(frac.ljust(3, "0")) / 1000


def _parse_timing(line: str, lineno: int, path, kind: str) -> tuple[float, float]:
    m = _TIMING.fullmatch(line)
    sep = "." if kind == "WebVTT" else ","
    shown = line.strip()[:60]
    if m is None:
        raise InputError(
            f"malformed {kind} cue timing '{shown}' (expected 'hh:mm:ss{sep}ttt --> hh:mm:ss{sep}ttt')",
            path=path,
            line=lineno,
        )
    g = m.groups()
    start, end = _seconds(*g[:4]), _seconds(*g[4:])
    if start is None or end is None:
        raise InputError(f"malformed {kind} cue timing '{shown}' (minutes or seconds over 59)", path=path, line=lineno)
    if end < start:
        raise InputError(f"{kind} cue ends before it starts ('{shown}')", path=path, line=lineno)
    return start, end


def _blocks(lines: list[str], begin: int):
    """Yield (index of first line, lines) of each blank-line-separated block from ``begin``."""
    i, n = begin, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < n and lines[j].strip():
            j += 1
        yield i, lines[i:j]
        i = j


def _vtt_cues(text: str, path) -> list[_Cue]:
    lines = text.split("\n")
    head = lines[0]
    if not head.startswith("WEBVTT") or (len(head) > 6 and head[6] not in " \t"):
        raise InputError("not a WebVTT file: line 1 must start with 'WEBVTT'", path=path, line=1)
    header_end = 1
    while header_end < len(lines) and lines[header_end].strip():
        if "-->" in lines[header_end]:
            raise InputError("a blank line must follow the WEBVTT header", path=path, line=header_end + 1)
        header_end += 1
    cues: list[_Cue] = []
    blocks = list(_blocks(lines, header_end))
    for k, (i, block) in enumerate(blocks):
        first = block[0].strip()
        if "-->" not in first:
            keyword = first.split(None, 1)[0] if first else ""
            if keyword in ("NOTE", "STYLE", "REGION"):
                continue
            if len(block) < 2:
                raise InputError(
                    f"cue '{first[:40]}' has no timing line (truncated file?)", path=path, line=i + 1
                )
            timing_at = 1
        else:
            timing_at = 0
        start, end = _parse_timing(block[timing_at], i + timing_at + 1, path, "WebVTT")
        body = block[timing_at + 1 :]
        if not body and k == len(blocks) - 1:
            raise InputError("the last cue has no text (truncated file?)", path=path, line=i + timing_at + 1)
        cues.append(_Cue(start, end, i + timing_at + 1, body))
    return cues


def _srt_cues(text: str, path) -> list[_Cue]:
    lines = text.split("\n")
    cues: list[_Cue] = []
    blocks = list(_blocks(lines, 0))
    for k, (i, block) in enumerate(blocks):
        first = block[0].strip()
        if _INDEX.fullmatch(first):
            if len(block) < 2:
                raise InputError(f"cue {first} has no timing line (truncated file?)", path=path, line=i + 1)
            timing_at = 1
        elif "-->" in first or _TIMING_ATTEMPT.match(first):
            timing_at = 0
        elif cues:
            # A blank line inside a cue's text: the text goes on.
            cues[-1].lines.extend(block)
            continue
        else:
            raise InputError(
                f"expected a cue number or 'hh:mm:ss,ttt --> hh:mm:ss,ttt', found '{first[:40]}'",
                path=path,
                line=i + 1,
            )
        start, end = _parse_timing(block[timing_at], i + timing_at + 1, path, "SRT")
        body = block[timing_at + 1 :]
        if not body and k == len(blocks) - 1:
            raise InputError("the last cue has no text (truncated file?)", path=path, line=i + timing_at + 1)
        cues.append(_Cue(start, end, i + timing_at + 1, body))
    return cues


def _clean(text: str) -> str:
    if "<" in text:
        text = _TAG.sub("", text)
    if "{\\" in text:
        text = _ASS_TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return " ".join(text.split())


def _pieces(cue: _Cue) -> list[tuple[object, str]]:
    """Split a cue into (speaker marker, clean text) pieces at voice tags and dialogue dashes."""
    pieces: list[tuple[object, str]] = []
    for raw in cue.lines:
        line = raw.strip()
        if "<v" in line:
            matches = list(_VOICE.finditer(line))
            if matches:
                if matches[0].start() > 0:
                    pieces.append((_UNSET, _clean(line[: matches[0].start()])))
                for k, m in enumerate(matches):
                    stop = matches[k + 1].start() if k + 1 < len(matches) else len(line)
                    pieces.append((_clean(m.group(1) or "") or None, _clean(line[m.end() : stop])))
                continue
        if line.startswith("- ") or line == "-":
            pieces.append((None, _clean(line[1:])))
        else:
            pieces.append((_UNSET, _clean(line)))
    return pieces


def _label_of(text: str) -> tuple[str, str] | None:
    hit = match_label(text)
    if hit is not None:
        return hit
    if text.startswith("["):
        m = _BRACKET_NAME.match(text)
        if m is not None and looks_like_name(m.group(1).strip()):
            return m.group(1).strip(), m.group(2)
    return None


def cues_to_turns(cues: list[_Cue]) -> list[RawTurn]:
    """Assign speakers to cue pieces and merge consecutive cues of the same named speaker."""
    split = []
    counts: Counter = Counter()
    for cue in cues:
        pieces = []
        for marker, text in _pieces(cue):
            hit = None if isinstance(marker, str) else _label_of(text)
            if hit is not None:
                counts[hit[0]] += 1
            pieces.append((marker, text, hit))
        split.append((cue, pieces))
    accepted = accept_labels(counts)

    # Texts are collected in lists and joined once: merging by += would be quadratic for a
    # long monologue split over thousands of cues.
    turns: list[RawTurn] = []
    parts: list[list[str]] = []
    current: str | None = None
    for cue, pieces in split:
        units: list[tuple[str | None, list[str]]] = []
        for marker, text, hit in pieces:
            explicit = marker is not _UNSET
            speaker = marker if explicit else current
            if hit is not None and hit[0] in accepted:
                speaker, text, explicit = hit[0], hit[1], True
            if explicit or not units:
                units.append((speaker, []))
            if text:
                units[-1][1].append(text)
            current = units[-1][0]
        for speaker, texts in units:
            if not texts:
                continue
            if speaker is not None and turns and turns[-1].speaker == speaker:
                parts[-1].extend(texts)
                turns[-1].end = cue.end
                continue
            turns.append(RawTurn(text="", speaker=speaker, start=cue.start, end=cue.end, line=cue.line))
            parts.append(texts)
    for turn, texts in zip(turns, parts):
        turn.text = " ".join(texts)
    return turns


def parse_vtt(text: str, path: str | Path | None = None) -> list[RawTurn]:
    """Turns of a WebVTT document (already decoded)."""
    return cues_to_turns(_vtt_cues(text, path))


def parse_srt(text: str, path: str | Path | None = None) -> list[RawTurn]:
    """Turns of an SRT document (already decoded)."""
    return cues_to_turns(_srt_cues(text, path))


def _read(path: Path, options: ReaderOptions, fmt: str, parse) -> list[RawTranscript]:
    turns = parse(read_text(path, options), path)
    if not turns:
        raise InputError(f"no cue with text in this {fmt.upper()} file", path=path)
    return [RawTranscript(interview_id=path.stem, source=path, format=fmt, turns=turns)]


def read_vtt(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read a WebVTT file as one interview."""
    return _read(path, options, "vtt", parse_vtt)


def read_srt(path: Path, options: ReaderOptions) -> list[RawTranscript]:
    """Read an SRT file as one interview."""
    return _read(path, options, "srt", parse_srt)
