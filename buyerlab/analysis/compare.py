"""Which codes do which groups of interviews mention: shares, intervals, tests.

All shares are at interview level: an interview counts once for a code however often it
mentions it, so one talkative buyer does not outweigh five quiet ones. Only
``polarity == "present"`` rows count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from buyerlab.analysis.stats import SMALL_GROUP, compare_groups, fdr, wilson_arrays
from buyerlab.errors import StudyError

MISSING = "(missing)"  # group label for interviews without a value: shown, never dropped
GROUP_SEP = " / "
OUTCOMES = ("won", "lost", "no_decision")

MATRIX_COLUMNS = [
    "code", "family", "group", "n_interviews_in_group", "n_mentioning", "share", "ci_low",
    "ci_high", "small_group", "test", "p", "q", "cramers_v", "share_diff", "odds_ratio",
    "min_expected",
]


def as_list(by: str | Sequence[str] | None) -> list[str]:
    """``by`` as a list of column names ([] for None)."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise a one-line StudyError when ``frame`` lacks any of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        hint = " (add it to metadata.csv)" if what == "interviews" else ""
        raise StudyError(f"{what}: no column(s) {missing}{hint}; have {list(frame.columns)}")


def present(codes: pd.DataFrame, polarity: str | None = "present") -> pd.DataFrame:
    """The code rows that analyses count (``polarity`` None keeps all)."""
    if polarity is None or "polarity" not in codes.columns:
        return codes
    return codes[codes["polarity"] == polarity]


def group_interviews(interviews: pd.DataFrame, by: str | Sequence[str] | None) -> pd.DataFrame:
    """interview_id, the ``by`` columns and one ``group`` label per interview."""
    cols = as_list(by)
    require_columns(interviews, ["interview_id", *cols], "interviews")
    out = interviews[["interview_id", *cols]].copy()
    out["interview_id"] = out["interview_id"].astype(str)
    for c in cols:
        out[c] = out[c].astype("object").where(out[c].notna() & (out[c].astype(str) != ""), MISSING)
        out[c] = out[c].astype(str)
    if cols:
        out["group"] = out[cols].agg(GROUP_SEP.join, axis=1) if len(cols) > 1 else out[cols[0]]
    else:
        out["group"] = "all"
    return out


def _group_order(groups: pd.DataFrame, by: list[str]) -> list[str]:
    # Outcomes in their natural order; everything else alphabetical, missing last.
    def key(label: str):
        parts = label.split(GROUP_SEP)
        out = []
        for col, part in zip(by, parts):
            rank = OUTCOMES.index(part) if col == "outcome" and part in OUTCOMES else len(OUTCOMES)
            out.append((part == MISSING, rank, part))
        return out

    return sorted(groups["group"].unique(), key=key)


def code_matrix(
    codes: pd.DataFrame,
    interviews: pd.DataFrame,
    by: str | Sequence[str] | None,
    family: str | Sequence[str] | None = None,
    level: str = "interview",
    codebook=None,
) -> pd.DataFrame:
    """Tidy table, one row per (code, group): interview shares with Wilson CIs, test, p, q, effect."""
    if level != "interview":
        raise ValueError(f"level must be 'interview' (shares of interviews), got {level!r}")
    by_cols = as_list(by)
    groups = group_interviews(interviews, by_cols)
    require_columns(codes, ["interview_id", "family", "code"], "codes")
    rows = present(codes)
    families = as_list(family)
    if families:
        rows = rows[rows["family"].isin(families)]
    rows = rows[["interview_id", "family", "code"]].copy()
    rows["interview_id"] = rows["interview_id"].astype(str)
    # Codes of interviews missing from the interviews table have no group: they cannot count.
    rows = rows[rows["interview_id"].isin(groups["interview_id"])].drop_duplicates()

    code_family = rows.drop_duplicates("code").set_index("code")["family"].to_dict()
    if codebook is not None:
        for c in codebook.codes:
            if not families or c.family in families:
                code_family.setdefault(c.id, c.family)
    order = _group_order(groups, by_cols)
    sizes = groups.groupby("group").size().reindex(order)

    mentions = rows.merge(groups[["interview_id", "group"]], on="interview_id")
    counts = (
        mentions.groupby(["code", "group"]).size().unstack("group", fill_value=0)
        .reindex(index=sorted(code_family), columns=order, fill_value=0)
    )
    out_frames = []
    tests = []
    for code in counts.index:
        k = counts.loc[code].to_numpy()
        n = sizes.to_numpy()
        result = compare_groups(np.vstack([k, n - k]))
        tests.append(result)
        low, high = wilson_arrays(k, n)
        out_frames.append(pd.DataFrame({
            "code": code,
            "family": code_family[code],
            "group": order,
            "n_interviews_in_group": n,
            "n_mentioning": k,
            "share": k / n,
            "ci_low": low,
            "ci_high": high,
            "small_group": n < SMALL_GROUP,
            "test": result.test,
            "p": result.p,
            "cramers_v": result.cramers_v,
            "share_diff": result.share_diff,
            "odds_ratio": result.odds_ratio,
            "min_expected": result.min_expected,
        }))
    if not out_frames:
        empty = pd.DataFrame(columns=MATRIX_COLUMNS[:2] + by_cols + MATRIX_COLUMNS[2:])
        return empty
    out = pd.concat(out_frames, ignore_index=True)
    # One q per code, corrected across all codes tested in this table.
    q = dict(zip(counts.index, fdr([t.p for t in tests])))
    out["q"] = out["code"].map(q)
    labels = groups.drop_duplicates("group").set_index("group")[by_cols]
    out = out.join(labels, on="group")
    return out[MATRIX_COLUMNS[:2] + by_cols + MATRIX_COLUMNS[2:]]


def outcome_comparison(
    codes: pd.DataFrame,
    interviews: pd.DataFrame,
    families: Sequence[str] = ("motive", "barrier"),
    codebook=None,
) -> pd.DataFrame:
    """Won vs lost vs no_decision: ``code_matrix`` by outcome, most distinguishing codes first."""
    require_columns(interviews, ["interview_id", "outcome"], "interviews")
    matrix = code_matrix(codes, interviews, "outcome", family=list(families), codebook=codebook)
    if matrix.empty:
        return matrix
    # Which outcome mentions the code most: the headline of each row group.
    # Ties are all named: with small groups equal shares are common.
    best = matrix.groupby("code")["share"].transform("max")
    top = (matrix[np.isclose(matrix["share"], best)].groupby("code", sort=False)["group"]
           .agg("; ".join).rename("highest_in"))
    matrix = matrix.join(top, on="code")
    group_rank = {g: i for i, g in enumerate(dict.fromkeys(matrix["group"]))}
    matrix["_p"] = matrix["p"].fillna(2.0)
    matrix["_g"] = matrix["group"].map(group_rank)
    matrix = matrix.sort_values(["_p", "code", "_g"], kind="stable").drop(columns=["_p", "_g"])
    return matrix.reset_index(drop=True)
