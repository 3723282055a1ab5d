"""The codes table (``output/codes.parquet`` and friends): its schema, in one place.

Every producer of coded spans (rules, topics, human coders, reviews) and every reader
conforms to this schema; see docs/ARCHITECTURE.md. Light on purpose: no spaCy import.
"""

from __future__ import annotations

import pandas as pd

CODE_COLUMNS: dict[str, str] = {
    "interview_id": "string",
    "turn_index": "int64",
    "family": "string",
    "code": "string",
    "char_start": "int64",
    "char_end": "int64",
    "evidence": "string",
    "polarity": "string",
    "source": "string",
    "confidence": "float64",
    "coder": "string",
    "buying_role": "object",  # str or None, as the schema says
}


def empty_codes() -> pd.DataFrame:
    """An empty table with the codes schema."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CODE_COLUMNS.items()})


def conform_codes(df: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``df`` with exactly the codes-schema columns, in order, with their dtypes."""
    if df is None or not len(df):
        return empty_codes()
    df = df.copy()
    for c in CODE_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df = df[list(CODE_COLUMNS)]
    for c, t in CODE_COLUMNS.items():
        if t != "object":
            df[c] = df[c].astype(t)
    df["buying_role"] = df["buying_role"].astype(object).where(df["buying_role"].notna(), None)
    return df.reset_index(drop=True)
