"""Read and check a study's metadata.csv: one row per interview."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from buyerlab.errors import InputError, StudyError

OUTCOMES = ("won", "lost", "no_decision")
_OUTCOME_ALIASES = {
    "won": "won", "win": "won", "closed won": "won", "vunnen": "won", "vann": "won", "gewonnen": "won",
    "lost": "lost", "loss": "lost", "closed lost": "lost", "förlorad": "lost", "verloren": "lost",
    "no_decision": "no_decision", "no decision": "no_decision", "no-decision": "no_decision",
    "nodecision": "no_decision", "status quo": "no_decision", "inget beslut": "no_decision",
    "keine entscheidung": "no_decision",
}
# Consumed by ingest as a per-interview role override, not kept as an attribute.
OVERRIDE_COLUMN = "interviewer_names"


@dataclass
class Metadata:
    """The checked metadata table plus the problems found in it."""

    table: pd.DataFrame  # interview_id + attributes, all strings ("" where empty)
    path: Path | None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        """Interview ids listed in the metadata, in file order."""
        return self.table["interview_id"].tolist()

    def rows(self) -> dict[str, dict[str, str]]:
        """Map interview_id -> its attributes (empty cells left out)."""
        out: dict[str, dict[str, str]] = {}
        for rec in self.table.to_dict("records"):
            iid = rec.pop("interview_id")
            out[iid] = {k: v for k, v in rec.items() if isinstance(v, str) and v != ""}
        return out


def normalise_outcome(value: str) -> str | None:
    """Map spellings such as 'Won' or 'no decision' to won / lost / no_decision; None if unknown."""
    key = " ".join(value.strip().lower().replace("_", " ").split())
    return _OUTCOME_ALIASES.get(key) or _OUTCOME_ALIASES.get(key.replace(" ", "_"))


def read_metadata(path: Path) -> Metadata:
    """Read metadata.csv; structural problems raise StudyError, row problems are listed."""
    if not path.exists():
        return Metadata(pd.DataFrame({"interview_id": pd.Series(dtype="string")}), None,
                        warnings=[f"{path}: no metadata.csv; interviews have no attributes"])
    from buyerlab.readers.encoding import decode_bytes

    try:
        text = decode_bytes(path.read_bytes(), path)
    except InputError as exc:
        raise StudyError(str(exc)) from None
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration:
        raise StudyError(f"{path}:1: metadata.csv is empty") from None
    header = [h.strip() for h in header]
    if "interview_id" not in header:
        raise StudyError(f"{path}:1: metadata.csv needs an 'interview_id' column; found {header}")
    if len(set(header)) != len(header):
        raise StudyError(f"{path}:1: repeated column names in {header}")
    errors: list[str] = []
    warnings: list[str] = []
    rows: list[list[str]] = []
    first_line: dict[str, int] = {}
    id_col = header.index("interview_id")
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(f"{path}:{line}: {len(row)} fields where the header has {len(header)}")
            continue
        row = [cell.strip() for cell in row]
        iid = row[id_col]
        if not iid:
            errors.append(f"{path}:{line}: empty interview_id")
            continue
        if iid in first_line:
            errors.append(f"{path}:{line}: duplicate interview_id '{iid}' (first on line {first_line[iid]})")
            continue
        first_line[iid] = line
        if "outcome" in header:
            raw = row[header.index("outcome")]
            if raw:
                norm = normalise_outcome(raw)
                if norm is None:
                    errors.append(f"{path}:{line}: unknown outcome '{raw}' for {iid}; "
                                  f"expected one of {', '.join(OUTCOMES)}")
                else:
                    row[header.index("outcome")] = norm
        rows.append(row)
    table = pd.DataFrame(rows, columns=header).astype("string")
    table.attrs["lines"] = first_line
    return Metadata(table, path, errors, warnings)


def require_valid(meta: Metadata) -> None:
    """Raise StudyError listing every metadata error, if there are any."""
    if meta.errors:
        listing = "; ".join(meta.errors)
        raise StudyError(f"metadata.csv has {len(meta.errors)} problem(s): {listing}")
