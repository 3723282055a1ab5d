"""The corpus: interviews and their turns as pandas DataFrames with a fixed schema.

In the spirit of ConvoKit's Corpus / Speaker / Utterance: an interview carries its
attributes (the metadata row), a turn is an utterance by a speaker with a role.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from buyerlab.errors import StudyError

if TYPE_CHECKING:
    from buyerlab.study import Study

ROLES = ("interviewer", "respondent", "other")

# Column order and dtypes of the two tables; documented in the README.
INTERVIEW_COLUMNS: dict[str, str] = {
    "interview_id": "str",
    "source_file": "str",
    "source_format": "str",
    "language": "str",
    "language_source": "str",
    "n_turns": "int64",
    "n_words": "int64",
    "n_speakers": "int64",
    "interviewers": "str",
    "role_method": "str",
    "role_evidence": "str",
}
TURN_COLUMNS: dict[str, str] = {
    "interview_id": "str",
    "turn_index": "int64",
    "speaker": "str",
    "role": "str",
    "start": "float64",
    "end": "float64",
    "text": "str",
    "n_words": "int64",
    "source_line": "Int64",
}


def _conform(frame: pd.DataFrame, columns: dict[str, str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StudyError(f"{what} table lacks column(s) {missing}")
    extra = [c for c in frame.columns if c not in columns]
    frame = frame[list(columns) + extra].copy()
    for name, dtype in columns.items():
        frame[name] = frame[name].astype(dtype)
    return frame


class Corpus:
    """Interviews (one row each, with attributes) and turns (one row per speaker turn)."""

    def __init__(self, interviews: pd.DataFrame, turns: pd.DataFrame):
        self.interviews = _conform(interviews, INTERVIEW_COLUMNS, "interviews").reset_index(drop=True)
        self.turns = _conform(turns, TURN_COLUMNS, "turns").reset_index(drop=True)
        if self.interviews["interview_id"].duplicated().any():
            dup = self.interviews.loc[self.interviews["interview_id"].duplicated(), "interview_id"].tolist()
            raise StudyError(f"duplicate interview ids in corpus: {dup}")
        bad_roles = set(self.turns["role"].dropna().unique()) - set(ROLES)
        if bad_roles:
            raise StudyError(f"unknown turn roles {sorted(bad_roles)}; expected one of {ROLES}")

    @property
    def attribute_columns(self) -> list[str]:
        """The metadata attributes (segment, country, ...) beyond the fixed schema."""
        return [c for c in self.interviews.columns if c not in INTERVIEW_COLUMNS]

    def respondent_turns(self) -> pd.DataFrame:
        """Turns spoken by respondents: the only text that is coded or modelled."""
        return self.turns[self.turns["role"] == "respondent"].reset_index(drop=True)

    def interview(self, interview_id: str) -> pd.DataFrame:
        """The turns of one interview, in spoken order."""
        if interview_id not in set(self.interviews["interview_id"]):
            raise KeyError(f"no interview {interview_id!r} in this corpus")
        return self.turns[self.turns["interview_id"] == interview_id].sort_values("turn_index")

    def languages(self) -> dict[str, str]:
        """Map interview_id -> language code."""
        return dict(zip(self.interviews["interview_id"], self.interviews["language"].fillna("")))

    def with_attributes(self, frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
        """Join interview attributes onto any table that has an interview_id column."""
        cols = columns if columns is not None else self.attribute_columns
        keep = ["interview_id"] + [c for c in cols if c not in frame.columns]
        return frame.merge(self.interviews[keep], on="interview_id", how="left")

    def write(self, output_dir: str | Path) -> tuple[Path, Path]:
        """Write interviews.parquet and turns.parquet into ``output_dir``."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        ipath, tpath = out / "interviews.parquet", out / "turns.parquet"
        self.interviews.to_parquet(ipath, index=False)
        self.turns.to_parquet(tpath, index=False)
        return ipath, tpath

    @classmethod
    def read(cls, output_dir: str | Path) -> "Corpus":
        """Read a corpus written by :meth:`write` (``buyerlab ingest`` output)."""
        out = Path(output_dir)
        ipath, tpath = out / "interviews.parquet", out / "turns.parquet"
        if not ipath.exists() or not tpath.exists():
            raise StudyError(f"{out}: no ingested corpus here; run `buyerlab ingest` on the study first")
        return cls(pd.read_parquet(ipath), pd.read_parquet(tpath))

    @classmethod
    def load(cls, study: "Study | str | Path") -> "Corpus":
        """Read the ingested corpus of a study (a Study or its folder)."""
        from buyerlab.study import Study

        study = Study.of(study)
        return cls.read(study.output_dir)

    def __len__(self) -> int:
        return len(self.interviews)

    def __repr__(self) -> str:
        return f"<Corpus: {len(self.interviews)} interviews, {len(self.turns)} turns>"
