"""The YAML codebook: schema, loading, validation and the pattern syntax.

A codebook names code families (trigger, stakeholder, ...), their codes, and for every
code and language the phrase patterns the rule coder (``buyerlab.coding``) looks for.
This module only reads and checks the file; matching lives in ``buyerlab.coding``,
which compiles patterns from :func:`parse_pattern`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from buyerlab.errors import CodebookError

DEFAULT_NAME = "default"
BUYING_ROLES = ("initiator", "user", "influencer", "decider", "approver", "buyer", "gatekeeper")
GAP_TOKEN = "..."
GAP_MAX = 3  # a gap is 0 to GAP_MAX arbitrary tokens

_TOP_KEYS = {"name", "version", "languages", "families", "codes", "buying_roles", "extends", "description"}
_FAMILY_KEYS = {"id", "label", "description", "ordered"}
_CODE_KEYS = {"id", "family", "label", "description", "examples", "patterns"}


# --------------------------------------------------------------------------- patterns

@dataclass(frozen=True)
class PatternToken:
    """One position of a pattern.

    ``kind`` is one of ``exact`` (``values == (word,)``), ``prefix`` (``word*``),
    ``suffix`` (``*word``), ``infix`` (``*word*``), ``any-of`` (``a|b*|c``) or ``gap``
    (``...``: 0 to ``GAP_MAX`` arbitrary tokens, ``values == ()``). Values are lower-cased
    and stripped of their ``*``. For ``any-of``, ``values`` holds the stripped
    alternatives and ``options`` one exact/prefix/suffix/infix token per alternative.
    ``verbatim`` marks a word written in capitals in the codebook (an acronym such as
    ``IT``, ``AI``, ``CFO``): match it on the lower-cased text only and never lemmatise it,
    because lemmatisers map lower-cased acronyms onto function words (sv "it" -> "i",
    en "ai" -> "have").
    """

    kind: str
    values: tuple[str, ...] = ()
    options: tuple["PatternToken", ...] = ()
    verbatim: bool = False

    def matches(self, word: str) -> bool:
        """Whether one text token (its lemma or lower-cased form) fits this position; gaps fit any."""
        word = word.lower()
        if self.kind == "gap":
            return True
        if self.kind == "any-of":
            return any(o.matches(word) for o in self.options)
        value = self.values[0]
        if self.kind == "exact":
            return word == value
        if self.kind == "prefix":
            return word.startswith(value)
        if self.kind == "suffix":
            return word.endswith(value)
        return value in word  # infix


class PatternSyntaxError(ValueError):
    """A pattern string breaks the syntax; the loader turns it into a CodebookError."""


def _word_token(word: str, pattern: str) -> PatternToken:
    if word.startswith("!"):
        raise PatternSyntaxError(f"'!' (negation) is reserved and not supported: {pattern!r}")
    if word.startswith("**") or word.endswith("**"):
        raise PatternSyntaxError(f"use a single '*': {pattern!r}")
    stripped = word.strip("*")
    if not stripped:
        raise PatternSyntaxError(f"'*' needs a word to attach to: {pattern!r}")
    if "*" in stripped:
        raise PatternSyntaxError(f"'*' may only start or end a word: {pattern!r}")
    starts, ends = word.startswith("*"), word.endswith("*")
    kind = "infix" if starts and ends else "suffix" if starts else "prefix" if ends else "exact"
    letters = [ch for ch in stripped if ch.isalpha()]
    verbatim = len(letters) >= 2 and all(ch.isupper() for ch in letters)
    return PatternToken(kind, (stripped.lower(),), verbatim=verbatim)


def parse_pattern(s: str) -> list[PatternToken]:
    """Parse one pattern string into tokens; raise PatternSyntaxError if it is malformed."""
    if not isinstance(s, str):
        hint = " (quote words such as no, yes, on, off: YAML reads them as true/false)" if isinstance(s, bool) else ""
        raise PatternSyntaxError(f"a pattern must be a string, got {type(s).__name__}: {s!r}{hint}")
    words = s.split()
    if not words:
        raise PatternSyntaxError("empty pattern")
    tokens: list[PatternToken] = []
    for word in words:
        if word == GAP_TOKEN:
            if tokens and tokens[-1].kind == "gap":
                raise PatternSyntaxError(f"two gaps in a row: {s!r}")
            tokens.append(PatternToken("gap"))
        elif GAP_TOKEN in word:
            raise PatternSyntaxError(f"'...' must stand alone, separated by spaces: {s!r}")
        elif "|" in word:
            alternatives = word.split("|")
            if any(not a for a in alternatives):
                raise PatternSyntaxError(f"unbalanced '|' (an empty alternative): {s!r}")
            options = tuple(_word_token(a, s) for a in alternatives)
            tokens.append(PatternToken("any-of", tuple(o.values[0] for o in options), options,
                                       verbatim=all(o.verbatim for o in options)))
        else:
            tokens.append(_word_token(word, s))
    if all(t.kind == "gap" for t in tokens):
        raise PatternSyntaxError(f"a pattern cannot be only '...': {s!r}")
    if tokens[0].kind == "gap" or tokens[-1].kind == "gap":
        raise PatternSyntaxError(f"'...' must stand between two words: {s!r}")
    return tokens


# --------------------------------------------------------------------------- schema

@dataclass
class Family:
    """A code family (trigger, stakeholder, ...); ``ordered`` families list codes in process order."""

    id: str
    label: str
    description: str = ""
    ordered: bool = False


@dataclass
class Code:
    """One code: what it means, examples and its patterns per language."""

    id: str
    family: str
    label: str
    description: str
    examples: dict[str, list[str]] = field(default_factory=dict)
    patterns: dict[str, list[str | list[dict]]] = field(default_factory=dict)


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, not copied (for json.dumps)."""
    if not is_dataclass(obj):
        raise TypeError(f"not JSON serialisable: {type(obj).__name__}")
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


@dataclass
class Codebook:
    """A validated codebook: families, codes and buying-role cues."""

    name: str
    version: str
    languages: list[str]
    families: list[Family]
    codes: list[Code]
    buying_roles: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    source: str = ""  # the file it came from (not part of the content or the fingerprint)

    def code(self, id: str) -> Code:
        """Return the code with this id; KeyError if there is none."""
        for c in self.codes:
            if c.id == id:
                return c
        raise KeyError(f"no code {id!r} in codebook {self.name!r}")

    def family(self, id: str) -> Family:
        """Return the family with this id; KeyError if there is none."""
        for f in self.families:
            if f.id == id:
                return f
        raise KeyError(f"no family {id!r} in codebook {self.name!r}")

    def family_codes(self, family: str) -> list[Code]:
        """The codes of one family, in codebook order."""
        return [c for c in self.codes if c.family == family]

    @property
    def code_ids(self) -> list[str]:
        """All code ids, in codebook order."""
        return [c.id for c in self.codes]

    def to_dict(self) -> dict[str, Any]:
        """The content as plain data (what the fingerprint hashes)."""
        return {
            "name": self.name,
            "version": self.version,
            "languages": list(self.languages),
            "families": [asdict(f) for f in self.families],
            "codes": [asdict(c) for c in self.codes],
            "buying_roles": self.buying_roles,
        }

    def fingerprint(self) -> str:
        """sha256 hex of the canonical JSON of the content (a cache key for coding)."""
        # The JSON of to_dict(), without its deep copy of every code (6x faster: this runs on each coding call).
        content = {"name": self.name, "version": self.version, "languages": list(self.languages),
                   "families": self.families, "codes": self.codes, "buying_roles": self.buying_roles}
        blob = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_fields)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def to_frame(self):
        """One row per code: family, code, label, description, examples_xx, patterns_xx."""
        import pandas as pd

        rows = []
        for c in self.codes:
            row = {"family": c.family, "code": c.id, "label": c.label, "description": c.description}
            for lang in self.languages:
                row[f"examples_{lang}"] = " ; ".join(c.examples.get(lang, []))
            for lang in self.languages:
                row[f"patterns_{lang}"] = " ; ".join(_pattern_text(p) for p in c.patterns.get(lang, []))
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"Codebook({self.name!r}, version={self.version!r}, {len(self.codes)} codes)"


def _pattern_text(p: str | list[dict]) -> str:
    return p if isinstance(p, str) else json.dumps(p, ensure_ascii=False)


# --------------------------------------------------------------------------- loading

def default_codebook_path() -> Path:
    """Path of the packaged default codebook."""
    return Path(str(resources.files("buyerlab.data").joinpath("codebook.yaml")))


# The C loader is the same safe loader as yaml.safe_load, ten times faster on the default file.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RAW_CACHE: dict[tuple[str, int, int], Any] = {}


def _read_yaml(path: Path, label: str) -> dict:
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        if key in _RAW_CACHE:
            return copy.deepcopy(_RAW_CACHE[key])
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CodebookError(f"{label}: no such codebook file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CodebookError(f"{label}: cannot read: {exc}") from None
    try:
        raw = yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CodebookError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(raw, dict):
        raise CodebookError(f"{label}: a codebook must be a YAML mapping with 'version', 'families' and 'codes'")
    _RAW_CACHE[key] = raw
    return copy.deepcopy(raw)


def _read_default() -> dict:
    ref = resources.files("buyerlab.data").joinpath("codebook.yaml")
    with resources.as_file(ref) as p:
        return _read_yaml(Path(p), str(p))


def _merge(base: dict, extra: dict, label: str) -> dict:
    """Apply an ``extends: default`` file on top of the default content."""
    merged = copy.deepcopy(base)
    for key in ("name", "version", "languages", "description"):
        if key in extra:
            merged[key] = extra[key]
    families = extra.get("families") or []
    codes = extra.get("codes") or []
    if not isinstance(families, list):
        raise CodebookError(f"{label}: 'families' must be a list")
    if not isinstance(codes, list):
        raise CodebookError(f"{label}: 'codes' must be a list")
    for key, new_items in (("families", families), ("codes", codes)):
        items = merged.setdefault(key, [])
        index = {it.get("id"): i for i, it in enumerate(items) if isinstance(it, dict)}
        for it in new_items:
            if isinstance(it, dict) and it.get("id") in index:
                items[index[it["id"]]] = it  # same id replaces
            else:
                items.append(it)
    roles = extra.get("buying_roles")
    if roles is not None:
        if not isinstance(roles, dict):
            raise CodebookError(f"{label}: 'buying_roles' must be a mapping of role -> language -> cues")
        merged.setdefault("buying_roles", {}).update(roles)
    return merged


def load_codebook(path: Path | str | None = None) -> Codebook:
    """Load and validate a codebook; None (or "default") is the packaged default."""
    if path is None or str(path) == DEFAULT_NAME:
        raw = _read_default()
        label = str(default_codebook_path())
    else:
        p = Path(path)
        label = str(p)
        raw = _read_yaml(p, label)
        extends = raw.get("extends")
        if extends is not None:
            if extends != DEFAULT_NAME:
                raise CodebookError(f"{label}: extends: {extends!r} is not supported; only 'extends: default'")
            raw = _merge(_read_default(), raw, label)
    return validate(raw, label)


def _text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _check_patterns(where: str, lang: str, patterns: Any, allow_expert: bool) -> list:
    if not isinstance(patterns, list) or not patterns:
        raise CodebookError(f"{where}: patterns for language '{lang}' are empty; give at least one or drop the key")
    for i, p in enumerate(patterns):
        if isinstance(p, list) and allow_expert:
            if not p or not all(isinstance(d, dict) for d in p):
                raise CodebookError(
                    f"{where}: pattern {i + 1} ({lang}) is an expert list and must be a non-empty list of "
                    f"spaCy Matcher token dicts, got {p!r}")
            continue
        try:
            parse_pattern(p)
        except PatternSyntaxError as exc:
            raise CodebookError(f"{where}: pattern {i + 1} ({lang}): {exc}") from None
    return patterns


def _check_lang_map(where: str, what: str, value: Any, languages: list[str]) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CodebookError(f"{where}: '{what}' must be a mapping of language -> list")
    for lang in value:
        if lang not in languages:
            raise CodebookError(
                f"{where}: unknown language key '{lang}' in {what}; the codebook declares {', '.join(languages)}")
    return value


def validate(raw: dict, label: str = "<codebook>") -> Codebook:
    """Check raw codebook data (as read from YAML) and build a Codebook."""
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise CodebookError(f"{label}: unknown top-level key(s) {sorted(unknown)}; known: {sorted(_TOP_KEYS)}")
    if raw.get("version") is None or not _text(str(raw["version"])):
        raise CodebookError(f"{label}: 'version' is missing (e.g. version: \"1.0.0\"; bump it on every change)")
    version = str(raw["version"])
    languages = raw.get("languages")
    if not isinstance(languages, list) or not languages or not all(_text(x) for x in languages):
        raise CodebookError(f"{label}: 'languages' must be a non-empty list of ISO 639-1 codes, e.g. [en, sv, de]")
    if len(set(languages)) != len(languages):
        raise CodebookError(f"{label}: 'languages' lists a language twice")

    fam_raw = raw.get("families")
    if not isinstance(fam_raw, list) or not fam_raw:
        raise CodebookError(f"{label}: 'families' must be a non-empty list")
    families: list[Family] = []
    for i, f in enumerate(fam_raw):
        if not isinstance(f, dict) or not _text(f.get("id")):
            raise CodebookError(f"{label}: family {i + 1} needs an 'id'")
        where = f"{label}: family '{f['id']}'"
        bad = set(f) - _FAMILY_KEYS
        if bad:
            raise CodebookError(f"{where}: unknown key(s) {sorted(bad)}; known: {sorted(_FAMILY_KEYS)}")
        if any(x.id == f["id"] for x in families):
            raise CodebookError(f"{where}: duplicate family id")
        if not _text(f.get("label")):
            raise CodebookError(f"{where}: missing 'label'")
        if not isinstance(f.get("ordered", False), bool):
            raise CodebookError(f"{where}: 'ordered' must be true or false")
        families.append(Family(f["id"], f["label"].strip(), str(f.get("description") or "").strip(),
                               bool(f.get("ordered", False))))
    family_ids = [f.id for f in families]

    codes_raw = raw.get("codes")
    if not isinstance(codes_raw, list) or not codes_raw:
        raise CodebookError(f"{label}: 'codes' must be a non-empty list")
    codes: list[Code] = []
    seen: set[str] = set()
    for i, c in enumerate(codes_raw):
        if not isinstance(c, dict) or not _text(c.get("id")):
            raise CodebookError(f"{label}: code {i + 1} needs an 'id'")
        cid = c["id"]
        where = f"{label}: code '{cid}'"
        bad = set(c) - _CODE_KEYS
        if bad:
            raise CodebookError(f"{where}: unknown key(s) {sorted(bad)}; known: {sorted(_CODE_KEYS)}")
        if cid in seen:
            raise CodebookError(f"{where}: duplicate code id (ids are unique across the whole codebook)")
        seen.add(cid)
        if c.get("family") not in family_ids:
            raise CodebookError(f"{where}: unknown family {c.get('family')!r}; families: {', '.join(family_ids)}")
        for key in ("label", "description"):
            if not _text(c.get(key)):
                raise CodebookError(f"{where}: missing '{key}'")
        examples = _check_lang_map(where, "examples", c.get("examples"), languages)
        for lang, ex in examples.items():
            if not isinstance(ex, list) or not all(_text(e) for e in ex):
                raise CodebookError(f"{where}: examples for '{lang}' must be a list of sentences")
        patterns = _check_lang_map(where, "patterns", c.get("patterns"), languages)
        if not patterns:
            raise CodebookError(f"{where}: no 'patterns'; give patterns for at least one of {', '.join(languages)}")
        for lang, pats in patterns.items():
            _check_patterns(where, lang, pats, allow_expert=True)
        codes.append(Code(cid, c["family"], c["label"].strip(), " ".join(c["description"].split()),
                          {k: list(v) for k, v in examples.items()},
                          {k: list(v) for k, v in patterns.items()}))

    roles_raw = raw.get("buying_roles") or {}
    if not isinstance(roles_raw, dict):
        raise CodebookError(f"{label}: 'buying_roles' must be a mapping of role -> language -> cues")
    roles: dict[str, dict[str, list[str]]] = {}
    for role, cues in roles_raw.items():
        where = f"{label}: buying role '{role}'"
        if role not in BUYING_ROLES:
            raise CodebookError(f"{where}: unknown buying role; known: {', '.join(BUYING_ROLES)}")
        cues = _check_lang_map(where, "cues", cues, languages)
        for lang, pats in cues.items():
            _check_patterns(where, lang, pats, allow_expert=True)
        roles[role] = {k: list(v) for k, v in cues.items()}

    return Codebook(name=str(raw.get("name") or Path(label).stem), version=version, languages=list(languages),
                    families=families, codes=codes, buying_roles=roles, source=label)
