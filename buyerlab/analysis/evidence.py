"""The quotes behind any number: filter coded spans and show them with their turn and attributes."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from buyerlab.analysis.compare import MISSING, present, require_columns

QUOTE_COLUMNS = [
    "interview_id", "speaker", "turn_index", "family", "code", "polarity", "evidence", "text",
    "char_start", "char_end", "buying_role", "source", "confidence",
]


def _isin(values: str | Sequence[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [values] if isinstance(values, str) else list(values)


def quotes(
    codes: pd.DataFrame,
    turns: pd.DataFrame,
    interviews: pd.DataFrame,
    *,
    code: str | Sequence[str] | None = None,
    family: str | Sequence[str] | None = None,
    group: dict | None = None,
    interview_id: str | Sequence[str] | None = None,
    polarity: str | None = "present",
    limit: int | None = None,
) -> pd.DataFrame:
    """Coded spans with speaker, full turn text and interview attributes; ``group`` = {column: value(s)}."""
    require_columns(codes, ["interview_id", "turn_index", "family", "code", "evidence"], "codes")
    require_columns(turns, ["interview_id", "turn_index", "text"], "turns")
    require_columns(interviews, ["interview_id"], "interviews")
    rows = present(codes, polarity)
    if (codes_ := _isin(code)) is not None:
        rows = rows[rows["code"].isin(codes_)]
    if (fams := _isin(family)) is not None:
        rows = rows[rows["family"].isin(fams)]
    if (ids := _isin(interview_id)) is not None:
        rows = rows[rows["interview_id"].astype(str).isin(ids)]
    attrs = interviews.copy()
    attrs["interview_id"] = attrs["interview_id"].astype(str)
    if group:
        require_columns(attrs, list(group), "interviews")
        for col, wanted in group.items():
            values = attrs[col].astype("object").where(attrs[col].notna(), MISSING).astype(str)
            attrs = attrs[values.isin([str(v) for v in _isin(wanted)])]
    rows = rows.copy()
    rows["interview_id"] = rows["interview_id"].astype(str)
    rows = rows[rows["interview_id"].isin(attrs["interview_id"])]
    turn_cols = ["interview_id", "turn_index", "text"] + (["speaker"] if "speaker" in turns.columns else [])
    t = turns[turn_cols].copy()
    t["interview_id"] = t["interview_id"].astype(str)
    out = rows.merge(t, on=["interview_id", "turn_index"], how="left")
    for col in QUOTE_COLUMNS:
        if col not in out.columns:
            out[col] = None
    sort = ["interview_id", "turn_index"] + (["char_start"] if out["char_start"].notna().any() else [])
    out = out.sort_values(sort, kind="stable")
    extra = [c for c in attrs.columns if c != "interview_id" and c not in QUOTE_COLUMNS]
    out = out[QUOTE_COLUMNS].merge(attrs[["interview_id", *extra]], on="interview_id", how="left")
    if limit is not None:
        out = out.head(limit)
    return out.reset_index(drop=True)
