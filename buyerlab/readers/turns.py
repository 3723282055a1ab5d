"""Speaker turns in plain text: detect the transcript style from the whole text, then split.

Styles (see data/sample/FORMATS.md): ``colon`` (``Name: text``), ``header`` (Otter
``Name  0:05`` / ``Speaker 1  0:05``, Rev ``EMMA CLARKE 00:01:02`` and
``Emma Clarke (00:01:02):``, text on the lines below), ``bracket`` (``[00:01:02] Name: text``),
``timestamp`` (``00:01:02 Name: text``) and ``paragraphs`` (no speakers).

Joining rule: the lines of one paragraph are joined with a space; the paragraphs of one
turn (blank-line separated) are joined with a single ``\\n``. Lines are only stripped.
Text before the first speaker label becomes a turn with speaker None. A line holding only a
timestamp (``00:05:00``, ``(1:02)``) is never text: it gives the next turn its start.

The style is chosen from the whole text: the one whose turn-start lines begin at least
MIN_SHARE of the paragraphs (ties go to the earlier, more specific style in STYLES). A
``Name:`` label counts only when it is a speaker by ``accept_labels``, so prose such as
``Note: ...`` or ``The thing is: ...`` and times like ``10:30`` never start turns.
Consecutive turns of one speaker are kept apart; the corpus step decides about merging.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from buyerlab.readers.base import RawTurn

STYLES = ("bracket", "timestamp", "header", "colon", "paragraphs")
_TIME_LINE = "time"  # not a style: a bare timestamp line, never text

# A style is chosen when at least this share of the paragraphs start with one of its lines.
MIN_SHARE = 0.25
MAX_LABEL_CHARS = 40
_COLON_WITHIN = MAX_LABEL_CHARS + 32  # label, optional (role) and markdown bold

_TIME = r"(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_WORD = r"[\w.'’\-]+"
# A label: 1-4 words, starting with a letter (so times like 10:30 never qualify).
_LABEL = rf"[^\W\d_][\w.'’\-]*(?:[ \t]+{_WORD}){{0,3}}"
# An optional role in parentheses after a colon label: "Anna (CFO): ...".
_ROLE = r"(?:[ \t]*\([^()\d:]{1,25}\))?"
_BOLD = r"(?:\*\*|__)?"

_COLON = re.compile(rf"{_BOLD}(?P<name>{_LABEL}{_ROLE}){_BOLD}[ \t]*:{_BOLD}(?:[ \t]+(?P<rest>.*)|$)")
_HEADER_PLAIN = re.compile(rf"(?P<name>{_LABEL})[ \t]+(?P<ts>{_TIME})")
_HEADER_PAREN = re.compile(rf"(?P<name>{_LABEL})[ \t]*\((?P<ts>{_TIME})\)[ \t]*:?(?:[ \t]+(?P<rest>.*))?")
_BRACKET = re.compile(rf"\[(?P<ts>{_TIME})\][ \t]*(?P<rest>.*)")
_TS_PREFIX = re.compile(rf"(?P<ts>{_TIME})[ \t]+(?:-[ \t]+)?(?P<name>{_LABEL}{_ROLE})[ \t]*:(?:[ \t]+(?P<rest>.*)|$)")
_TIME_ONLY = re.compile(rf"\(?(?P<ts>{_TIME})\)?")
_LABEL_IN_REST = re.compile(rf"(?P<name>{_LABEL}{_ROLE})[ \t]*:(?:[ \t]+(?P<rest>.*)|$)")

# Prose lead-ins that look like labels; never speakers.
_NOT_SPEAKERS = frozenset(
    """note notes nb n.b ps p.s re subject example e.g eg i.e ie update edit summary disclaimer
    warning tip important source sources date time location place duration attendees participants
    agenda title context background url link email e-mail phone tel fax address website page""".split()
)
# Capitalised words that open a sentence ("So: ..."); speakers only when they recur.
_NOT_SINGLE = frozenset(
    """so well and but yes no ok okay then also because result results conclusion step reason problem
    question answer first second finally again""".split()
)
_ROLE_WORDS = frozenset(
    """interviewer interviewee respondent moderator facilitator speaker participant customer client
    q a i r int resp intervjuare intervjuad respondent befragter befragte interviewerin sprecher""".split()
)
_PARTICLES = frozenset("von van der den de la le du da di af zu ter ten del dos das y".split())


def parse_time(value: str) -> float:
    """Seconds from ``h:mm:ss``, ``mm:ss`` or ``m:ss`` with optional ``.ttt``/``,ttt``."""
    value = value.replace(",", ".")
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def clean_label(name: str) -> str:
    """Collapse whitespace inside a speaker label."""
    return " ".join(name.split())


def looks_like_name(label: str) -> bool:
    """True for a label shaped like a person or role name: capitalised words, no prose lead-in."""
    if len(label) > MAX_LABEL_CHARS:
        return False
    base = label.split("(")[0].strip()
    words = base.split()
    if not words or base.lower().rstrip(".") in _NOT_SPEAKERS:
        return False
    for i, word in enumerate(words):
        first = word[0]
        if first.isupper() or first.isdigit():
            continue
        if i > 0 and word.lower() in _PARTICLES:
            continue
        return False
    return True


def accept_labels(counts: Counter) -> set[str]:
    """Labels taken as speakers.

    A name-like label (capitalised words) is a speaker when it recurs or, once, is not a prose
    lead-in. A lower-case label must recur and be a role word ("interviewer", "q") or come from
    a file without any name-like label: otherwise wrapped prose ("... but: well") would split turns.
    """
    names, others = set(), {}
    for label, n in counts.items():
        if len(label) > MAX_LABEL_CHARS:
            continue
        if label.split("(")[0].strip().lower().rstrip(".") in _NOT_SPEAKERS:
            continue
        if looks_like_name(label):
            if n >= 2 or label.lower() not in _NOT_SINGLE:
                names.add(label)
        elif n >= 2 and len(label.split()) <= 2:
            others[label] = n
    accepted = set(names)
    for label in others:
        words = label.lower().split()
        role = words[0] in _ROLE_WORDS and (len(words) == 1 or words[1].isdigit())
        if role or not names:
            accepted.add(label)
    return accepted


def match_label(line: str) -> tuple[str, str] | None:
    """Split ``Name: text`` into (label, text) when the line starts with a label, else None."""
    if line.find(":", 0, _COLON_WITHIN) < 0:
        return None
    m = _COLON.match(line)
    if m is None:
        return None
    return clean_label(m.group("name")), (m.group("rest") or "").strip()


class _Candidate:
    """A line that could start a turn in some style."""

    __slots__ = ("style", "name", "start", "rest")

    def __init__(self, style: str, name: str | None, start: float | None, rest: str):
        self.style = style
        self.name = name
        self.start = start
        self.rest = rest


def _candidate(s: str) -> _Candidate | None:
    first = s[0]
    if first == "[":
        m = _BRACKET.match(s)
        if m is None:
            return None
        rest = m.group("rest")
        lm = _LABEL_IN_REST.match(rest) if rest.find(":", 0, _COLON_WITHIN) >= 0 else None
        if lm is not None:
            # The label may be prose ("The thing is: ..."); the parser then keeps the whole rest as text.
            return _Candidate("bracket", clean_label(lm.group("name")), parse_time(m.group("ts")), rest)
        return _Candidate("bracket", None, parse_time(m.group("ts")), rest)
    if first.isdigit() or first == "(":
        m = _TIME_ONLY.fullmatch(s)
        if m is not None:
            # A timestamp on its own line (Google Meet, some Word exports): the next turn's start.
            return _Candidate(_TIME_LINE, None, parse_time(m.group("ts")), "")
        m = _TS_PREFIX.match(s)
        if m is None:
            return None
        return _Candidate("timestamp", clean_label(m.group("name")), parse_time(m.group("ts")), m.group("rest") or "")
    if s[-1].isdigit():
        m = _HEADER_PLAIN.fullmatch(s)
        if m is not None:
            return _Candidate("header", clean_label(m.group("name")), parse_time(m.group("ts")), "")
    if s.find("(", 0, _COLON_WITHIN) >= 0:
        m = _HEADER_PAREN.fullmatch(s)
        if m is not None:
            return _Candidate("header", clean_label(m.group("name")), parse_time(m.group("ts")), m.group("rest") or "")
    colon = s.find(":", 0, _COLON_WITHIN)
    # Cheap pre-check before the regex: a label has at most a handful of spaces before its colon.
    if colon > 0 and s.count(" ", 0, colon) <= 8:
        m = _COLON.match(s)
        if m is not None:
            return _Candidate("colon", clean_label(m.group("name")), None, m.group("rest") or "")
    return None


def _label_text(c: _Candidate) -> str:
    """The turn text on a bracket line whose label was accepted."""
    m = _LABEL_IN_REST.match(c.rest)
    return (m.group("rest") or "") if m else c.rest


def _accepts(c: _Candidate, style: str, accepted: dict[str, set[str]]) -> bool:
    if c.style != style:
        return False
    if style == "bracket":
        return True  # the timestamp alone starts a turn; the label is optional
    return c.name in accepted[style]


def _choose_style(
    lines: list[str], cands: list[_Candidate | None], accepted: dict[str, set[str]]
) -> str:
    para_hits: Counter = Counter()
    line_hits: Counter = Counter()
    n_paras = 0
    first_nonempty = None
    prev_blank = True
    for i, s in enumerate(lines):
        if not s:
            prev_blank = True
            continue
        c = cands[i]
        if c is not None and c.style == _TIME_LINE:
            continue
        if first_nonempty is None:
            first_nonempty = i
        ok = c is not None and _accepts(c, c.style, accepted)
        if prev_blank:
            n_paras += 1
            if ok:
                para_hits[c.style] += 1
        if ok:
            line_hits[c.style] += 1
        prev_blank = False
    best, best_share = "paragraphs", 0.0
    for style in STYLES[:-1]:
        hits = line_hits[style]
        share = para_hits[style] / n_paras if n_paras else 0.0
        if hits >= 2 and share >= MIN_SHARE:
            pass
        elif hits == 1 and n_paras and para_hits[style] == 1 and cands[first_nonempty] is not None \
                and cands[first_nonempty].style == style and _accepts(cands[first_nonempty], style, accepted):
            # A one-turn file: a single label on its first line.
            if style in ("colon", "header") and not looks_like_name(cands[first_nonempty].name or ""):
                continue
        else:
            continue
        if share > best_share:  # ties keep the earlier, more specific style
            best, best_share = style, share
    return best


def detect_style(text: str) -> str:
    """Name of the turn style of ``text``: one of STYLES."""
    lines = [s.strip() for s in text.split("\n")]
    cands = [(_candidate(s) if s else None) for s in lines]
    return _choose_style(lines, cands, _accepted_labels(cands))


def _accepted_labels(cands: Iterable[_Candidate | None]) -> dict[str, set[str]]:
    counts: dict[str, Counter] = {style: Counter() for style in (*STYLES, _TIME_LINE)}
    for c in cands:
        if c is not None and c.name is not None:
            counts[c.style][c.name] += 1
    return {style: accept_labels(counter) for style, counter in counts.items()}


def parse_turns_with_style(text: str, first_line: int = 1) -> tuple[list[RawTurn], str]:
    """Split ``text`` into turns and name the detected style; line numbers start at ``first_line``."""
    lines = [s.strip() for s in text.split("\n")]
    cands = [(_candidate(s) if s else None) for s in lines]
    accepted = _accepted_labels(cands)
    style = _choose_style(lines, cands, accepted)
    turns: list[RawTurn] = []

    pending: float | None = None  # from a bare timestamp line, for the next turn
    if style == "paragraphs":
        para: list[str] = []
        start_line = 0
        para_start: float | None = None
        for i, s in enumerate(lines):
            c = cands[i]
            if c is not None and c.style == _TIME_LINE:
                if not para:
                    pending = c.start
                continue
            if s:
                if not para:
                    start_line, para_start, pending = i, pending, None
                para.append(s)
            elif para:
                turns.append(RawTurn(text=" ".join(para), start=para_start, line=first_line + start_line))
                para = []
        if para:
            turns.append(RawTurn(text=" ".join(para), start=para_start, line=first_line + start_line))
        return turns, style

    speaker: str | None = None
    start: float | None = None
    turn_line = 0
    paras: list[list[str]] = []
    open_turn = False
    new_para = False

    def flush() -> None:
        body = "\n".join(" ".join(p) for p in paras if p)
        if body:
            turns.append(RawTurn(text=body, speaker=speaker, start=start, line=first_line + turn_line))

    for i, s in enumerate(lines):
        if not s:
            new_para = True
            continue
        c = cands[i]
        if c is not None and c.style == _TIME_LINE:
            pending = c.start
            continue
        if c is not None and _accepts(c, style, accepted):
            if open_turn:
                flush()
            open_turn = True
            start = c.start if c.start is not None else pending
            turn_line = i
            if style == "bracket":
                if c.name is not None and c.name in accepted["bracket"]:
                    speaker, rest = c.name, _label_text(c)
                else:
                    speaker, rest = None, c.rest
            else:
                speaker, rest = c.name, c.rest
            rest = rest.strip()
            paras = [[rest]] if rest else [[]]
            new_para = False
            pending = None
            continue
        if not open_turn:
            open_turn = True
            speaker, start, turn_line, paras = None, pending, i, [[]]
            new_para = False
        pending = None
        if new_para and paras[-1]:
            paras.append([])
        new_para = False
        paras[-1].append(s)
    if open_turn:
        flush()
    return turns, style


def parse_turns(text: str, first_line: int = 1) -> list[RawTurn]:
    """Split plain transcript text into speaker turns (style detected from the whole text)."""
    return parse_turns_with_style(text, first_line)[0]
