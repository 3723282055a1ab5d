"""Study folder in, corpus and ingest report out: every input file accounted for."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from buyerlab.corpus import TURN_COLUMNS, Corpus
from buyerlab.errors import InputError, StudyError
from buyerlab.language import detect_language
from buyerlab.metadata import OVERRIDE_COLUMN, read_metadata, require_valid
from buyerlab.readers import read_file
from buyerlab.readers.base import RawTranscript
from buyerlab.roles import UNLABELLED, decide_roles
from buyerlab.study import Study


@dataclass
class FileEntry:
    """What happened to one input file."""

    file: str  # relative to the study folder
    status: str  # used | refused | ignored
    reason: str = ""
    format: str = ""
    interviews: list[str] = field(default_factory=list)
    n_turns: int = 0
    n_words: int = 0
    speakers: dict[str, str] = field(default_factory=dict)  # speaker -> role (of its interviews)
    languages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """Every input file with its fate, plus study-level checks of the metadata."""

    study: str
    files: list[FileEntry]
    metadata_warnings: list[str]
    missing_transcripts: list[str]  # ids in metadata with no transcript
    missing_metadata: list[str]  # transcripts with no metadata row
    n_interviews: int
    n_turns: int
    n_words: int

    @property
    def counts(self) -> dict[str, int]:
        """Number of files per status."""
        out = {"used": 0, "refused": 0, "ignored": 0}
        for f in self.files:
            out[f.status] += 1
        return out

    def to_dict(self) -> dict:
        """A JSON-ready dict of the whole report."""
        d = asdict(self)
        d["counts"] = self.counts
        return d

    def to_text(self) -> str:
        """The report as plain text for the terminal and for ingest_report.txt."""
        c = self.counts
        lines = [
            f"Study {self.study}: {len(self.files)} files: {c['used']} used, {c['refused']} refused, "
            f"{c['ignored']} ignored",
            f"{self.n_interviews} interviews, {self.n_turns} turns, {self.n_words} words",
            "",
        ]
        for f in self.files:
            if f.status == "used":
                roles = ", ".join(f"{s} ({r})" for s, r in f.speakers.items())
                lines.append(f"used     {f.file} [{f.format}]: {', '.join(f.interviews)}; {f.n_turns} turns, "
                             f"{f.n_words} words; language {', '.join(f.languages)}; speakers {roles}")
            else:
                lines.append(f"{f.status:8} {f.file}: {f.reason}")
            for w in f.warnings:
                lines.append(f"         warning: {w}")
        if self.missing_transcripts:
            lines.append(f"\nIn metadata.csv but no transcript: {', '.join(self.missing_transcripts)}")
        if self.missing_metadata:
            lines.append(f"Transcripts with no metadata.csv row: {', '.join(self.missing_metadata)}")
        for w in self.metadata_warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


@dataclass
class IngestResult:
    """The corpus built from a study and the report of how."""

    corpus: Corpus
    report: IngestReport


def list_input_files(study: Study) -> list[Path]:
    """Every file under transcripts/, sorted, symlinks included (they are checked later)."""
    if not study.transcripts_dir.is_dir():
        raise StudyError(f"{study.transcripts_dir}: no transcripts/ folder in the study")
    return sorted(p for p in study.transcripts_dir.rglob("*") if p.is_file() or p.is_symlink())


def ingest_study(study: Study | str | Path, *, write: bool = True, progress: bool = False) -> IngestResult:
    """Read every transcript of a study, check its metadata, and build the corpus."""
    study = Study.of(study)
    meta = read_metadata(study.metadata_path)
    require_valid(meta)

    files = list_input_files(study)
    entries: list[FileEntry] = []
    seen_ids: dict[str, str] = {}
    meta_rows = meta.rows()
    interview_rows: list[dict] = []
    # Turns go straight into column lists: holding every RawTurn and a DataFrame per
    # interview until the end would double peak memory on large studies.
    columns: dict[str, list] = {c: [] for c in TURN_COLUMNS}
    iterator = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="reading", unit="file")
    for path in iterator:
        rel = _relative(path, study)
        entry = FileEntry(file=rel, status="used")
        entries.append(entry)
        if path.name.startswith(".") or any(part.startswith(".") for part in Path(rel).parts[:-1]):
            entry.status, entry.reason = "ignored", "hidden file"
            continue
        resolved = path.resolve()
        if not resolved.is_relative_to(study.path):
            entry.status, entry.reason = "refused", f"path outside the study (points to {resolved})"
            continue
        try:
            raws = read_file(resolved, study.config.readers)
        except InputError as exc:
            entry.status, entry.reason = "refused", str(exc.with_path(rel))
            continue
        except OSError as exc:
            entry.status, entry.reason = "refused", f"{rel}: cannot read: {exc.strerror or exc}"
            continue
        entry.format = raws[0].format if raws else ""
        for raw in raws:
            entry.warnings.extend(raw.warnings)
            if raw.interview_id in seen_ids:
                entry.warnings.append(f"interview id {raw.interview_id} already read from "
                                      f"{seen_ids[raw.interview_id]}; this copy was not used")
                continue
            if not any(t.text.strip() for t in raw.turns):
                entry.warnings.append(f"interview {raw.interview_id} has no text; not used")
                continue
            seen_ids[raw.interview_id] = rel
            attrs = dict(meta_rows.get(raw.interview_id, {}))
            interview_rows.append(_add_interview(entry, raw, attrs, study, columns))
        del raws
        if not entry.interviews:
            entry.status = "refused"
            entry.reason = "no usable interview in this file" + (
                f" ({'; '.join(entry.warnings)})" if entry.warnings else "")

    interviews = pd.DataFrame(interview_rows)
    if interviews.empty:
        interviews = pd.DataFrame(columns=["interview_id", "source_file", "source_format", "language",
                                           "language_source", "n_turns", "n_words", "n_speakers",
                                           "interviewers", "role_method", "role_evidence"])
    for col in meta.table.columns:
        if col not in interviews.columns and col != OVERRIDE_COLUMN:
            interviews[col] = pd.NA
    turns_df = pd.DataFrame(index=pd.RangeIndex(len(columns["interview_id"])))
    for name, dtype in TURN_COLUMNS.items():
        # One column at a time, dropping each list once converted, to keep the peak low.
        turns_df[name] = pd.array(columns.pop(name), dtype=dtype)
    corpus = Corpus(interviews, turns_df)

    read_ids = set(seen_ids)
    report = IngestReport(
        study=study.name,
        files=entries,
        metadata_warnings=list(meta.warnings),
        missing_transcripts=[i for i in meta.ids if i not in read_ids],
        missing_metadata=[i for i in seen_ids if meta.path is not None and i not in set(meta.ids)],
        n_interviews=len(corpus.interviews),
        n_turns=len(corpus.turns),
        n_words=int(corpus.turns["n_words"].sum()) if len(corpus.turns) else 0,
    )
    if write:
        corpus.write(study.output_dir)
        study.output("ingest_report.json").write_text(
            json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
        study.output("ingest_report.txt").write_text(report.to_text() + "\n", encoding="utf-8")
    return IngestResult(corpus, report)




def _add_interview(entry: FileEntry, raw: RawTranscript, attrs: dict, study: Study,
                   columns: dict[str, list]) -> dict:
    """Decide roles and language for one transcript, append its turns, return its row."""
    names = list(study.config.interviewers)
    if attrs.get(OVERRIDE_COLUMN):
        names = [n.strip() for n in attrs[OVERRIDE_COLUMN].split(";") if n.strip()]
    attrs.pop(OVERRIDE_COLUMN, None)
    turns = [t for t in raw.turns if t.text.strip()]
    decision = decide_roles(turns, names)
    entry.warnings.extend(f"{raw.interview_id}: {w}" for w in decision.warnings)
    # Interned: a speaker's name is repeated on every one of their turns.
    speakers = [sys.intern(t.speaker) if t.speaker is not None else UNLABELLED for t in turns]
    roles = decision.per_turn if decision.per_turn is not None else [decision.roles[s] for s in speakers]
    texts = [t.text.strip() for t in turns]
    n_words = [len(x.split()) for x in texts]
    n = len(turns)
    columns["interview_id"].extend([raw.interview_id] * n)
    columns["turn_index"].extend(range(n))
    columns["speaker"].extend(speakers)
    columns["role"].extend(roles)
    columns["start"].extend(t.start for t in turns)
    columns["end"].extend(t.end for t in turns)
    columns["text"].extend(texts)
    columns["n_words"].extend(n_words)
    columns["source_line"].extend(t.line for t in turns)

    language, lang_source = _language(attrs, raw, texts, roles, study, entry)
    for s in dict.fromkeys(speakers):
        entry.speakers[s] = decision.roles.get(s, "mixed") if decision.per_turn is None else "guessed per turn"
    entry.interviews.append(raw.interview_id)
    entry.n_turns += n
    entry.n_words += sum(n_words)
    if language not in entry.languages:
        entry.languages.append(language)
    row = {
        "interview_id": raw.interview_id,
        "source_file": entry.file,
        "source_format": raw.format,
        "language": language,
        "language_source": lang_source,
        "n_turns": n,
        "n_words": sum(n_words),
        "n_speakers": len(set(speakers)),
        "interviewers": "; ".join(decision.interviewers) if decision.per_turn is None else "",
        "role_method": decision.method,
        "role_evidence": decision.evidence,
    }
    for k, v in {**raw.attributes, **attrs}.items():
        row.setdefault(k, v)
    return row


def _language(attrs: dict, raw: RawTranscript, texts: list[str], roles: list[str], study: Study,
              entry: FileEntry) -> tuple[str, str]:
    given = (attrs.get("language") or raw.attributes.get("language") or "").strip().lower()
    if given:
        return given, "metadata"
    if len(study.config.languages) == 1:
        return study.config.languages[0], "config"
    # Respondents' words decide: interviewers may speak a lingua franca in a local interview.
    resp = " ".join(t for t, r in zip(texts, roles) if r == "respondent") or " ".join(texts)
    guess = detect_language(resp)
    if guess is None:
        entry.warnings.append(f"{raw.interview_id}: language could not be detected; set it in metadata.csv")
        return "", "detected"
    if guess.confidence < 0.6:
        entry.warnings.append(f"{raw.interview_id}: language {guess.language} detected with low confidence "
                              f"({guess.confidence:.2f}); set it in metadata.csv if wrong")
    if study.config.languages and guess.language not in study.config.languages:
        entry.warnings.append(f"{raw.interview_id}: detected language {guess.language} is not among the "
                              f"study's languages {study.config.languages}")
    return guess.language, "detected"


def _relative(path: Path, study: Study) -> str:
    try:
        return str(path.relative_to(study.path))
    except ValueError:
        return str(path)
