"""Safe sharing: a copy of a study's outputs with personal data replaced by stable placeholders.

What is replaced (placeholders ``PERSON_n``, ``COMPANY_n``, ``EMAIL_n``, ``PHONE_n``; the
same value gets the same placeholder in every file of one run):

- people's names: speaker labels that look like names (not "Interviewer", "Speaker 2",
  ...), the ``interviewers`` of the corpus and study.toml, metadata columns that hold
  names (``name``, ``contact``, ``interviewee``, ...), ``[redact] names`` in study.toml,
  and PERSON entities from a trained spaCy pipeline where one is installed (optional,
  never downloaded). A full name and each of its parts (first name, surname) map to the
  same placeholder; names match case-sensitively on word boundaries;
- company names: ``[redact] companies`` in study.toml (case-insensitive) and metadata
  columns that hold company names (``company``, ``organisation``, ...);
- e-mail addresses, and phone numbers in international (+46 70 123 45 67, +49 (0)30 ...)
  and national Swedish, German and UK formats (a leading 0, 8 to 15 digits).

Files: every ``*.parquet`` under output/ (except the coding cache) and the HTML files
under output/report/. In HTML, text inside <script>/<style> only gets the exact values
found elsewhere (a number pattern inside chart code is left alone). Tables with
``interview_id, turn_index, char_start, char_end`` (codes, human codes, segments) get
their offsets recomputed against the redacted turn text, and any cell equal to the
coded slice of the turn (``evidence``, a segment's ``text``) is re-sliced from the
redacted turn. Nothing else is changed. The mapping from values to placeholders is not
written into the copy (``key_path`` writes it elsewhere if asked).
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from buyerlab.errors import BuyerlabError, StudyError

if TYPE_CHECKING:
    from buyerlab.study import Study

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# + country code, or a national trunk 0; digits in groups joined by spaces, dashes, dots, slashes
# or parentheses, on one line. Digit count is checked after matching (8 to 15).
PHONE = re.compile(
    r"(?<![\w+/.-])(?:\+\d{1,3}|00\d{1,3}|\(0\d{1,5}\)|0\d{1,5})(?:[ \t]?(?:\(0\))?[ \t./-]?\(?\d{1,5}\)?){1,6}(?![\w@])"
)
GENERIC_SPEAKERS = frozenset(
    """speaker interviewer interviewee respondent moderator participant customer client host guest unknown
    q a i r int resp intervjuare intervjuad respondenten deltagare talare sprecher sprecherin befragter befragte
    interviewerin teilnehmer teilnehmerin kunde kund person user assistant other others all both
    facilitator note notes narrator""".split()
)
NAME_COLUMN_WORDS = {"name", "names", "interviewee", "respondent", "participant", "contact", "person", "interviewer",
                     "interviewers", "fullname", "namn", "kontakt"}
COMPANY_COLUMN_WORDS = {"company", "organisation", "organization", "org", "firm", "employer", "customer", "client",
                        "account", "företag", "firma", "unternehmen"}
NOT_A_VALUE_WORDS = {"role", "title", "position", "type", "id", "size", "count", "sector", "industry", "segment",
                     "country", "language", "n"}
_NAME_WORD = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]*(?:['’-][A-ZÀ-ÖØ-Þ]?[a-zà-öø-ÿ]+)*|[A-ZÀ-ÖØ-Þ]\.)$")
# Lower-case parts of surnames ("Pieter de Vries", "Ursula von der Leyen"): never replaced alone.
PARTICLES = frozenset("de van von der den da di du la le af zu ter ten del dos das y".split())
_SCRIPT = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>)", re.S | re.I)
KINDS = ("EMAIL", "PHONE", "PERSON", "COMPANY")
# Columns of an anchored table that name things (never a slice of the turn text).
ANCHOR_KEEP = {"interview_id", "family", "code", "polarity", "source", "coder", "buying_role", "role", "speaker",
               "language"}
_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})$")


class RedactError(BuyerlabError):
    """The study cannot be redacted (no outputs, output folder inside the study, ...)."""


def looks_like_name(label: str) -> bool:
    """True for a speaker label that is a person's name ("Anna Lindqvist", "Jörg M."), not a role."""
    words = str(label).split()
    if not 1 <= len(words) <= 4 or any(w.lower().strip(".:") in GENERIC_SPEAKERS for w in words):
        return False
    if str(label).isupper():
        # "FRANZ GRUBER" is a name, "CFO" or "Q" is not: all-caps labels need two words.
        return len(words) >= 2 and looks_like_name(str(label).title())
    if words[0] in PARTICLES or words[-1] in PARTICLES:
        return False
    if not all(_NAME_WORD.match(w) or w in PARTICLES for w in words):
        return False
    return any(len(w.rstrip(".")) >= 2 for w in words)


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


@dataclass
class Redactor:
    """Finds personal data in text and replaces it with placeholders, numbered once per run."""

    names: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    keep: set[str] = field(default_factory=set)  # words never replaced

    def __post_init__(self) -> None:
        self.placeholders: dict[tuple[str, str], str] = {}
        self.counts: dict[str, int] = {k: 0 for k in KINDS}
        self.replaced: dict[str, int] = {k: 0 for k in KINDS}
        self.literals: dict[str, str] = {}  # exact text seen -> placeholder (for HTML scripts)
        self._person_key: dict[str, str] = {}
        self._part_key: dict[str, str] = {}
        keep = {k.lower() for k in self.keep}
        self._memo: dict[str, tuple[str, list]] = {}
        # Longer names first, so "Anna" alone joins "Anna Lindqvist" instead of becoming someone else.
        for name in sorted(self.names, key=lambda n: -len(str(n).split())):
            self.add_person(name, keep)
        self._companies: dict[str, str] = {}
        for company in self.companies:
            c = " ".join(str(company).split())
            if c and c.lower() not in keep:
                self._companies.setdefault(c.lower(), c.lower())
                self._placeholder("COMPANY", c.lower())
        self._compile()

    def add_person(self, name: str, keep: set[str] | None = None) -> None:
        """Register a person's name (and its parts) before any text is redacted."""
        keep = keep if keep is not None else {k.lower() for k in self.keep}
        full = " ".join(str(name).split())
        if not full or full.lower() in keep:
            return
        # "JONAS WEBER" (a label typed in capitals) is the same person as "Jonas Weber".
        canonical = full.title() if full.isupper() else full
        key = self._person_key.get(canonical) or self._part_key.get(canonical) or canonical
        self._person_key.setdefault(full, key)
        if full.isupper():
            self._person_key.setdefault(canonical, key)
        self._placeholder("PERSON", key)
        words = canonical.split()
        if len(words) > 1:
            for w in words + ([w.upper() for w in words] if full.isupper() else []):
                w = w.strip(".,")
                if len(w) >= 2 and w.lower() not in keep and w.lower() not in GENERIC_SPEAKERS \
                        and w.lower() not in PARTICLES:
                    self._part_key.setdefault(w, key)  # an ambiguous first name maps to the first person

    def _compile(self) -> None:
        def alternation(values: Iterable[str]) -> str:
            return "|".join(re.escape(v) for v in sorted(set(values), key=len, reverse=True))

        people = list(self._person_key) + list(self._part_key)
        self._people = re.compile(rf"(?<!\w)(?:{alternation(people)})(?!\w)") if people else None
        companies = list(self._companies)
        self._company_re = (re.compile(rf"(?<!\w)(?:{alternation(companies)})(?!\w)", re.I) if companies else None)

    def _placeholder(self, kind: str, key: str) -> str:
        if (kind, key) not in self.placeholders:
            self.counts[kind] += 1
            self.placeholders[(kind, key)] = f"{kind}_{self.counts[kind]}"
        return self.placeholders[(kind, key)]

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        taken: list[tuple[int, int, str]] = []

        def free(s: int, e: int) -> bool:
            return all(e <= ts or s >= te for ts, te, _ in taken)

        for m in EMAIL.finditer(text):
            taken.append((m.start(), m.end(), self._placeholder("EMAIL", m.group().lower())))
        for m in PHONE.finditer(text):
            value = m.group().rstrip(" -./")
            if 8 <= len(_digits(value)) <= 15 and not _DATE.match(value) and free(m.start(), m.start() + len(value)):
                taken.append((m.start(), m.start() + len(value), self._placeholder("PHONE", _digits(value))))
        if self._people is not None:
            for m in self._people.finditer(text):
                if free(m.start(), m.end()):
                    v = m.group()
                    key = self._person_key.get(v) or self._part_key[v]
                    taken.append((m.start(), m.end(), self._placeholder("PERSON", key)))
        if self._company_re is not None:
            for m in self._company_re.finditer(text):
                if free(m.start(), m.end()):
                    taken.append((m.start(), m.end(), self._placeholder("COMPANY", m.group().lower())))
        return sorted(taken)

    def redact(self, text: str) -> tuple[str, list[tuple[int, int, int, int]]]:
        """The redacted text and its edits: (old_start, old_end, new_start, new_end) in code points."""
        if text in self._memo:
            return self._memo[text]
        result = self._redact(text)
        self._memo[text] = result
        return result

    def _redact(self, text: str) -> tuple[str, list[tuple[int, int, int, int]]]:
        spans = self._find(text)
        if not spans:
            return text, []
        out: list[str] = []
        edits: list[tuple[int, int, int, int]] = []
        pos = new = 0
        for s, e, ph in spans:
            out.append(text[pos:s])
            new += s - pos
            out.append(ph)
            edits.append((s, e, new, new + len(ph)))
            self.literals[text[s:e]] = ph
            self.replaced[ph.rsplit("_", 1)[0]] += 1
            new += len(ph)
            pos = e
        out.append(text[pos:])
        return "".join(out), edits

    def __call__(self, text: str) -> str:
        return self.redact(text)[0]

    def redact_literals(self, text: str) -> str:
        """Replace only exact values already seen (or registered), including their JSON-escaped forms."""
        pairs: dict[str, str] = dict(self.literals)
        for (kind, key), ph in self.placeholders.items():
            if kind == "PERSON":
                pairs.setdefault(key, ph)
        for part, key in self._part_key.items():
            pairs.setdefault(part, self.placeholders[("PERSON", key)])
        for value, ph in list(pairs.items()):
            escaped = json.dumps(value)[1:-1]
            if escaped != value:
                pairs.setdefault(escaped, ph)
        if not pairs:
            return text
        pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v in sorted(pairs, key=len, reverse=True))
                             + r")(?!\w)")
        text = pattern.sub(lambda m: pairs[m.group()], text)
        if self._company_re is not None:
            text = self._company_re.sub(lambda m: self.placeholders[("COMPANY", m.group().lower())], text)
        return text

    def mapping(self) -> dict[str, str]:
        """Placeholder -> the value it stands for (the key to re-identify; keep it private)."""
        return {ph: key for (kind, key), ph in self.placeholders.items()}


def map_offset(edits: list[tuple[int, int, int, int]], pos: int, end: bool = False) -> int:
    """Where an offset of the original text lands in the redacted text.

    A start inside a replaced value moves to the placeholder's start, an end inside one
    to the placeholder's end, so a span never cuts a placeholder in half.
    """
    shift = 0
    for s, e, ns, ne in edits:
        if end:
            if pos <= s:
                break
            if pos < e:
                return ne
        else:
            if pos < s:
                break
            if pos < e:
                return ns
        shift = ne - e
    return pos + shift


# --------------------------------------------------------------------------- study settings

def redact_settings(study: "Study") -> dict:
    """The ``[redact]`` table of study.toml (companies, names, keep), read directly."""
    if not study.config_path.exists():
        return {}
    try:
        raw = tomllib.loads(study.config_path.read_text(encoding="utf-8-sig")).get("redact", {})
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"{study.config_path}: cannot read: {exc}") from None
    if not isinstance(raw, dict):
        raise StudyError(f"{study.config_path}: [redact] must be a table")
    out = {}
    for key in ("companies", "names", "keep"):
        value = raw.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StudyError(f"{study.config_path}: [redact] {key} must be a list of strings")
        out[key] = value
    unknown = set(raw) - {"companies", "names", "keep", "ner"}
    if unknown:
        raise StudyError(f"{study.config_path}: unknown [redact] setting(s) {sorted(unknown)}")
    if "ner" in raw:
        out["ner"] = bool(raw["ner"])
    return out


def _column_words(name: str) -> set[str]:
    return set(re.split(r"[^a-zåäöü0-9]+", str(name).lower())) - {""}


def _values(series: pd.Series, split: str | None = None) -> list[str]:
    out = []
    for v in series.dropna().astype(str):
        out.extend(p.strip() for p in (v.split(split) if split else [v]) if p.strip())
    return out


def ner_names(texts: Iterable[str], languages: Iterable[str], models: dict[str, str] | None = None) -> list[str] | None:
    """PERSON entities found by installed trained spaCy pipelines; None when none is installed.

    Per language, the pipeline named in study.toml ``[nlp] models`` is used, else spaCy's usual
    package names (``en_core_web_sm``, ``de_core_news_sm``, ...) when installed.
    """
    import spacy

    found: list[str] = []
    used = False
    texts = list(texts)
    models = models or {}
    for lang in sorted(set(languages)):
        candidates = [models[lang]] if lang in models else []
        candidates += [f"{lang}_core_web_sm", f"{lang}_core_news_sm", f"{lang}_core_web_md", f"{lang}_core_news_md"]
        for package in candidates:
            if spacy.util.is_package(package) or Path(package).is_dir():
                nlp = spacy.load(package, exclude=["parser", "lemmatizer"])
                if "ner" not in nlp.pipe_names:
                    continue
                used = True
                for doc in nlp.pipe(texts, batch_size=64):
                    found.extend(e.text for e in doc.ents if e.label_ in ("PERSON", "PER"))
                break
    return sorted(set(found)) if used else None


# --------------------------------------------------------------------------- the study copy

@dataclass
class RedactReport:
    """What ``redact_study`` wrote and replaced."""

    out_dir: Path
    files: list[str]
    skipped: list[str]
    replaced: dict[str, int]
    placeholders: int
    ner: bool

    def to_text(self) -> str:
        """A short summary for the terminal."""
        counts = ", ".join(f"{n} {k.lower()}" for k, n in self.replaced.items())
        lines = [f"wrote {len(self.files)} redacted file(s) to {self.out_dir}: {counts} replaced "
                 f"({self.placeholders} distinct values); spaCy NER {'used' if self.ner else 'not used'}"]
        if self.skipped:
            lines.append(f"not copied (not parquet or report HTML): {', '.join(self.skipped[:10])}"
                         + (" ..." if len(self.skipped) > 10 else ""))
        return "\n".join(lines)


def _redact_table(df: pd.DataFrame, redactor: Redactor, turn_edits: dict, turn_text: dict) -> pd.DataFrame:
    df = df.copy()
    str_cols = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    anchored = {"interview_id", "turn_index", "char_start", "char_end"} <= set(df.columns)
    slices_old: list[str | None] = [None] * len(df)
    slices_new: list[str | None] = [None] * len(df)
    if anchored and len(df):
        new_s, new_e = [], []
        rows = zip(df["interview_id"], df["turn_index"], df["char_start"], df["char_end"])
        for k, (iid, tix, s, e) in enumerate(rows):
            text = turn_text.get((iid, tix))
            if text is None or pd.isna(s) or pd.isna(e):
                new_s.append(s)
                new_e.append(e)
                continue
            red, edits = turn_edits[(iid, tix)]
            ns, ne = map_offset(edits, int(s), False), map_offset(edits, int(e), True)
            new_s.append(ns)
            new_e.append(ne)
            slices_old[k], slices_new[k] = text[int(s):int(e)], red[ns:ne]
        df["char_start"] = pd.Series(new_s, index=df.index).astype(df["char_start"].dtype)
        df["char_end"] = pd.Series(new_e, index=df.index).astype(df["char_end"].dtype)
    for col in str_cols:
        sliced = col not in ANCHOR_KEEP
        df[col] = pd.Series(
            [sn if (sliced and so is not None and v == so) else (redactor(v) if isinstance(v, str) else v)
             for v, so, sn in zip(df[col].tolist(), slices_old, slices_new)], index=df.index, dtype=df[col].dtype)
    return df


def _redact_html(text: str, redactor: Redactor) -> str:
    parts = _SCRIPT.split(text)
    return "".join(redactor.redact_literals(p) if k % 2 else redactor(p) for k, p in enumerate(parts))


def build_redactor(study: "Study", *, companies: Iterable[str] = (), names: Iterable[str] = (),
                   ner: bool | None = None) -> tuple[Redactor, bool]:
    """The redactor for a study: names and companies from its corpus, metadata and study.toml."""
    settings = redact_settings(study)
    out = study.output_dir
    people: list[str] = list(settings.get("names", [])) + list(names)
    firms: list[str] = list(settings.get("companies", [])) + list(companies)
    people += [n for n in study.config.interviewers if looks_like_name(n)]
    turns = pd.read_parquet(out / "turns.parquet") if (out / "turns.parquet").exists() else None
    interviews = pd.read_parquet(out / "interviews.parquet") if (out / "interviews.parquet").exists() else None
    if turns is not None:
        people += [s for s in pd.unique(turns["speaker"].dropna().astype(str)) if looks_like_name(s)]
    if interviews is not None:
        if "interviewers" in interviews:
            people += [s for s in _values(interviews["interviewers"], ";") if looks_like_name(s)]
        for col in interviews.columns:
            words = _column_words(col)
            if words & NOT_A_VALUE_WORDS or col in ("interviewers", "interview_id"):
                continue
            if words & NAME_COLUMN_WORDS:
                people += _values(interviews[col], ";")
            elif words & COMPANY_COLUMN_WORDS:
                firms += _values(interviews[col], ";")
    use_ner = settings.get("ner", True) if ner is None else ner
    ner_used = False
    if use_ner and turns is not None:
        langs = interviews["language"].dropna().astype(str).tolist() if interviews is not None else ["en"]
        found = ner_names(turns["text"].dropna().astype(str).tolist(), langs or ["en"], study.config.nlp_models)
        if found is not None:
            ner_used = True
            people += [n for n in found if len(n) >= 3]
    seen: set[str] = set()
    ordered = [p for p in people if not (p in seen or seen.add(p))]
    return Redactor(names=ordered, companies=firms, keep=set(settings.get("keep", []))), ner_used


def redact_study(study: "Study", out_dir: str | Path, *, companies: Iterable[str] = (), names: Iterable[str] = (),
                 ner: bool | None = None, key_path: str | Path | None = None, overwrite: bool = False) -> RedactReport:
    """Write a redacted copy of the study's outputs (parquet tables, report HTML) to ``out_dir``."""
    src = study.output_dir
    out = Path(out_dir).resolve()
    if not src.is_dir() or not any(src.rglob("*.parquet")):
        raise RedactError(f"{src}: no outputs to redact; run `buyerlab ingest` first")
    if out == src or src in out.parents:
        raise RedactError(f"{out}: the redacted copy must not be written inside the study's output folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise RedactError(f"{out}: folder exists and is not empty (use --force to replace it)")
        shutil.rmtree(out)
    redactor, ner_used = build_redactor(study, companies=companies, names=names, ner=ner)

    tables = sorted(p for p in src.rglob("*.parquet") if ".cache" not in p.relative_to(src).parts)
    report_dir = src / "report"
    htmls = sorted(report_dir.rglob("*.htm*")) if report_dir.is_dir() else []
    # turns first: every anchored table's offsets are remapped against its redacted text.
    turns_path = src / "turns.parquet"
    turn_text: dict = {}
    turn_edits: dict = {}
    if turns_path.exists():
        turns = pd.read_parquet(turns_path)
        for iid, tix, text in zip(turns["interview_id"], turns["turn_index"], turns["text"]):
            if isinstance(text, str):
                turn_text[(iid, tix)] = text
                turn_edits[(iid, tix)] = redactor.redact(text)
        tables = [turns_path] + [t for t in tables if t != turns_path]
    written: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    for path in tables:
        rel = path.relative_to(src)
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError) as exc:
            raise RedactError(f"{path}: cannot read: {exc}") from None
        red = _redact_table(df, redactor, turn_edits, turn_text)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        red.to_parquet(target, index=False)
        written.append(str(rel))
    for path in htmls:
        rel = path.relative_to(src)
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_redact_html(path.read_text(encoding="utf-8", errors="replace"), redactor),
                          encoding="utf-8")
        written.append(str(rel))
    copied = {src / w for w in written}
    skipped = sorted(str(p.relative_to(src)) for p in src.rglob("*")
                     if p.is_file() and p not in copied and ".cache" not in p.relative_to(src).parts)
    if key_path is not None:
        key = Path(key_path).resolve()
        if out in key.parents:
            raise RedactError(f"{key}: keep the re-identification key outside the shared folder")
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text(json.dumps(redactor.mapping(), ensure_ascii=False, indent=2), encoding="utf-8")
    return RedactReport(out_dir=out, files=written, skipped=skipped, replaced=dict(redactor.replaced),
                        placeholders=len(redactor.placeholders), ner=ner_used)
