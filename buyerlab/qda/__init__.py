"""Interop with QDA tools: human codes in (CSV, Taguette, REFI-QDA), codes out.

Shared pieces live here: the plain-text layout of an interview
used by REFI-QDA sources, quote location in transcripts, code-name resolution against a
codebook and the store of human codes (``output/human_codes/<coder>.parquet``).

Interview text layout (the ``sources/<guid>.txt`` of a .qdpx): each turn in spoken order
becomes ``"<speaker>: <text>"`` and turns are separated by one blank line (``"\\n\\n"``).
A turn's ``text`` therefore starts at ``len(speaker) + 2`` code points after its block
start, and a turn offset ``k`` maps to source offset ``turn_start + k``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from buyerlab.codes import CODE_COLUMNS, conform_codes, empty_codes  # noqa: F401 (re-exported)
from buyerlab.errors import StudyError

if TYPE_CHECKING:
    from buyerlab.study import Study

HUMAN_DIR = "human_codes"
TURN_SEPARATOR = "\n\n"
_SAFE_CODER = re.compile(r"^[\w][\w .@-]{0,63}$")


def human_rows(rows: list[dict], coder: str) -> pd.DataFrame:
    """Codes-schema rows for human codings (source ``human``, confidence 1)."""
    if not rows:
        return empty_codes()
    df = pd.DataFrame(rows)
    df["source"] = "human"
    df["coder"] = coder
    df["confidence"] = 1.0
    if "polarity" not in df.columns:
        df["polarity"] = "present"
    df["polarity"] = df["polarity"].fillna("present")
    df = conform_codes(df)
    return df.sort_values(["interview_id", "turn_index", "char_start", "char_end", "code"],
                          kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- text layout

@dataclass
class Layout:
    """An interview as one plain text, and where each turn's text sits in it."""

    interview_id: str
    text: str
    turn_index: list[int]
    speaker: list[str]
    starts: list[int]  # source offset of each turn's text
    ends: list[int]
    texts: list[str]

    def to_source(self, turn_index: int, char: int) -> int:
        """Source offset of a turn offset."""
        k = self.turn_index.index(turn_index)
        return self.starts[k] + char

    def normalised(self, turn_index: int | None = None) -> tuple[str, list[int]]:
        """The text (or one turn's text) prepared for quote search, computed once."""
        cache = self.__dict__.setdefault("_norm", {})
        if turn_index not in cache:
            text = self.text if turn_index is None else self.texts[self.turn_index.index(turn_index)]
            cache[turn_index] = _normalise(text)
        return cache[turn_index]

    def to_turns(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(turn_index, char_start, char_end) of every turn text the source span [start, end) overlaps."""
        out = []
        for tix, s, e in zip(self.turn_index, self.starts, self.ends):
            lo, hi = max(start, s), min(end, e)
            if hi > lo:
                out.append((tix, lo - s, hi - s))
        return out


def speaker_label(speaker: Any) -> str:
    """The speaker as written in a source text ("Speaker" where unknown)."""
    if speaker is None or pd.isna(speaker):
        return "Speaker"
    return str(speaker).replace("\n", " ").strip() or "Speaker"


def interview_layout(turns: pd.DataFrame, interview_id: str) -> Layout:
    """The plain-text source of one interview from its turns ("Speaker: text" blocks)."""
    g = turns[turns["interview_id"] == interview_id].sort_values("turn_index")
    parts: list[str] = []
    pos = 0
    tixs, speakers, starts, ends, texts = [], [], [], [], []
    for tix, spk, text in zip(g["turn_index"], g["speaker"], g["text"]):
        text = "" if pd.isna(text) else str(text)
        label = speaker_label(spk)
        if parts:
            parts.append(TURN_SEPARATOR)
            pos += len(TURN_SEPARATOR)
        head = f"{label}: "
        parts.append(head + text)
        tixs.append(int(tix))
        speakers.append(label)
        starts.append(pos + len(head))
        ends.append(pos + len(head) + len(text))
        texts.append(text)
        pos += len(head) + len(text)
    return Layout(interview_id, "".join(parts), tixs, speakers, starts, ends, texts)


# --------------------------------------------------------------------------- quotes

_CHAR_MAP = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                           "\u2014": "-", "\u00a0": " ", "\u2026": "."})


def _normalise(text: str) -> tuple[str, list[int]]:
    """Whitespace-collapsed, case-folded text and the source offset of each of its characters."""
    out: list[str] = []
    idx: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        ch = ch.translate(_CHAR_MAP)
        if ch.isspace():
            if prev_space:
                continue
            out.append(" ")
            idx.append(i)
            prev_space = True
            continue
        low = ch.lower()
        out.append(low if len(low) == 1 else ch)
        idx.append(i)
        prev_space = False
    while out and out[-1] == " ":
        out.pop()
        idx.pop()
    return "".join(out), idx


def same_text(a: str, b: str) -> bool:
    """True when two texts are equal ignoring case, whitespace runs and typographic quotes."""
    return _normalise(a)[0] == _normalise(b)[0]


def find_quote(quote: str, layout: Layout, turn_index: int | None = None) -> list[tuple[int, int, int]] | None:
    """Locate ``quote`` in an interview: (turn_index, char_start, char_end) pieces, or None.

    Matching ignores case, runs of whitespace and typographic quotes/dashes. With
    ``turn_index`` the search is limited to that turn. The first occurrence wins.
    """
    q, _ = _normalise(quote)
    # A quote wrapped in quotation marks by the person who copied it.
    candidates = [c for c in dict.fromkeys([q, q.strip("\"' ")]) if c]
    if turn_index is not None:
        if turn_index not in layout.turn_index:
            return None
        norm, idx = layout.normalised(turn_index)
        for c in candidates:
            at = norm.find(c)
            if at >= 0:
                return [(turn_index, idx[at], idx[at + len(c) - 1] + 1)]
        return None
    norm, idx = layout.normalised()
    for c in candidates:
        at = norm.find(c)
        if at >= 0:
            return layout.to_turns(idx[at], idx[at + len(c) - 1] + 1) or None
    return None


# A timestamp and/or a speaker label at the start of a line of another tool's transcript.
_PREFIX = re.compile(r"^\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*)?(?:[^:\n]{1,40}:\s+)?")


def locate_text(quote: str, layout: Layout) -> list[tuple[int, int, int]] | None:
    """Like ``find_quote``, then line by line, dropping timestamps and speaker labels of another layout.

    Lines are searched in order, each after the previous one, so a selection over several
    turns of another tool's transcript lands on the same turns here.
    """
    pieces = find_quote(quote, layout)
    if pieces:
        return pieces
    chunks = [c for c in re.split(r"\n+", quote) if c.strip()]
    norm, idx = layout.normalised()
    pos = 0
    found: list[tuple[int, int, int]] = []
    for chunk in chunks:
        q, _ = _normalise(_PREFIX.sub("", chunk, count=1))
        if not q:
            continue
        at = norm.find(q, pos)
        if at < 0:
            return None
        found += layout.to_turns(idx[at], idx[at + len(q) - 1] + 1)
        pos = at + len(q)
    return found or None


# --------------------------------------------------------------------------- code names

def slug(name: str) -> str:
    """A code-id-like form of a free code name ("Cost & ROI" -> "cost_roi")."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


class CodeResolver:
    """Map a code name from a file (id, label or slug, any case) to (family, code id)."""

    def __init__(self, codebook=None):
        self.codebook = codebook
        self._map: dict[str, tuple[str, str]] = {}
        if codebook is not None:
            for c in codebook.codes:
                for key in (c.id, c.label, slug(c.label), slug(c.id)):
                    self._map.setdefault(key.lower(), (c.family, c.id))

    def resolve(self, name: str) -> tuple[str, str] | None:
        """(family, code) for a name, trying the full name and then its last path part."""
        name = str(name).strip()
        if self.codebook is None:
            return ("", slug(name)) if name else None
        candidates = [name, slug(name)]
        for sep in ("/", "\\", ".", ">", ":"):
            if sep in name:
                last = name.rsplit(sep, 1)[-1].strip()
                candidates += [last, slug(last)]
        for cand in candidates:
            hit = self._map.get(cand.lower())
            if hit:
                return hit
        return None


# --------------------------------------------------------------------------- human code store

def check_coder(coder: str) -> str:
    """Return a coder name safe to use as a file name; StudyError otherwise."""
    coder = str(coder).strip()
    if not _SAFE_CODER.match(coder) or coder.lower() in {"auto", "effective"} or ".." in coder:
        raise StudyError(f"invalid coder name {coder!r}: use letters, digits, space, '.', '@', '-', '_' "
                         "(not 'auto' or 'effective'); on import, --coder NAME sets it")
    return coder


def human_codes_path(study: "Study", coder: str) -> Path:
    """Where a coder's human codes are stored."""
    return study.output_dir / HUMAN_DIR / f"{check_coder(coder)}.parquet"


def save_human_codes(study: "Study", codes: pd.DataFrame) -> list[Path]:
    """Write human codes to output/human_codes/<coder>.parquet, one file per coder (replacing it)."""
    written = []
    for coder, part in conform_codes(codes).groupby("coder", sort=True):
        path = human_codes_path(study, str(coder))
        path.parent.mkdir(parents=True, exist_ok=True)
        conform_codes(part).to_parquet(path, index=False)
        written.append(path)
    return written


def human_coders(study: "Study") -> list[str]:
    """Names of the coders with stored human codes."""
    folder = study.output_dir / HUMAN_DIR
    return sorted(p.stem for p in folder.glob("*.parquet")) if folder.is_dir() else []


def load_human_codes(study: "Study", coders: Iterable[str] | None = None) -> pd.DataFrame:
    """Stored human codes of the given coders (default: all)."""
    names = list(coders) if coders is not None else human_coders(study)
    frames = []
    for name in names:
        path = human_codes_path(study, name)
        if not path.exists():
            raise StudyError(f"{path}: no human codes for coder {name!r}; known coders: {human_coders(study)}")
        try:
            frames.append(pd.read_parquet(path))
        except (OSError, ValueError) as exc:
            raise StudyError(f"{path}: cannot read: {exc}") from None
    frames = [f for f in frames if len(f)]
    return conform_codes(pd.concat(frames, ignore_index=True)) if frames else empty_codes()


def load_auto_codes(study: "Study") -> pd.DataFrame:
    """The automatic codes (output/codes.parquet)."""
    path = study.output_dir / "codes.parquet"
    if not path.exists():
        raise StudyError(f"{path}: no automatic codes; run `buyerlab code` on the study first")
    try:
        return conform_codes(pd.read_parquet(path))
    except (OSError, ValueError) as exc:
        raise StudyError(f"{path}: cannot read: {exc}") from None


def study_codebook(study: "Study"):
    """The study's codebook (study.toml ``codebook``, else the default); CodebookError if invalid."""
    from buyerlab.codebook import load_codebook

    return load_codebook(study.config.codebook)


def merge_human_codes(study: "Study", new: pd.DataFrame) -> list[Path]:
    """Store imported codes: per coder, replace the codes of the interviews in ``new``, keep the others."""
    new = conform_codes(new)
    written = []
    for coder, part in new.groupby("coder", sort=True):
        path = human_codes_path(study, str(coder))
        old = empty_codes()
        if path.exists():
            old = load_human_codes(study, [str(coder)])
            old = old[~old["interview_id"].isin(set(part["interview_id"]))]
        frames = [f for f in (old, part) if len(f)]
        merged = conform_codes(pd.concat(frames, ignore_index=True)) if frames else empty_codes()
        merged = merged.sort_values(["interview_id", "turn_index", "char_start", "char_end", "code"], kind="stable")
        written += save_human_codes(study, merged)
    return written
