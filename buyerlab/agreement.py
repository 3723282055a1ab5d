"""Inter-coder agreement: percentage agreement, Cohen's kappa, Krippendorff's alpha (nominal).

Two coders are compared on units: respondent turns (``level="turn"``) or the sentences
of respondent turns (``level="segment"``, buyerlab.segment's sentence splitter). A code is
*present* in a unit for a coder if any of that coder's spans of that code (polarity
``present`` unless ``polarity=None``) overlaps the unit. For every code, each unit is then a
yes/no decision by each coder, and the three statistics are computed over those pairs. A
family is present in a unit if any of its codes is. The pooled row (``ALL``) treats every
(unit, code) pair as one decision.

Only interviews both coders coded (at least one code each) are compared, unless
``interviews`` are given: a coder who has not looked at an interview has not said "absent".

Coders: ``auto`` (output/codes.parquet), ``effective`` (after review, see buyerlab.review)
or the name of a human coder (output/human_codes/<name>.parquet).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import pandas as pd

from buyerlab.errors import BuyerlabError

if TYPE_CHECKING:
    from buyerlab.corpus import Corpus
    from buyerlab.study import Study

LEVELS = ("turn", "segment")


class AgreementError(BuyerlabError):
    """Agreement cannot be computed (unknown coder, no shared interviews, ...)."""


# --------------------------------------------------------------------------- statistics

def percent_agreement(a: Sequence, b: Sequence) -> float:
    """Share of units on which two coders give the same value."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b):
        raise ValueError("the two codings must have the same length")
    return float((a == b).mean()) if len(a) else math.nan


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two coders' nominal values (NaN when chance agreement is 1)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b):
        raise ValueError("the two codings must have the same length")
    if not len(a):
        return math.nan
    cats = np.unique(np.concatenate([a, b]))
    p_o = float((a == b).mean())
    p_e = float(sum((a == c).mean() * (b == c).mean() for c in cats))
    if math.isclose(p_e, 1.0):
        return math.nan
    return (p_o - p_e) / (1.0 - p_e)


def krippendorff_alpha(data: Sequence[Sequence], missing: object = None) -> float:
    """Krippendorff's alpha for nominal data: rows are coders, columns units; ``missing``/NaN = no value.

    Built on the coincidence matrix: every unit with m >= 2 values adds 1/(m-1) for each
    ordered pair of its values; alpha = 1 - (n-1) * sum_{c!=k} o_ck / sum_{c!=k} n_c n_k.
    NaN when there is no variation (expected disagreement 0).
    """
    rows = [list(r) for r in data]
    if not rows:
        return math.nan
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError("every coder needs a value slot for every unit")

    def is_missing(v: object) -> bool:
        return v is missing or v is None or (isinstance(v, float) and math.isnan(v))

    coincidence: dict[tuple[object, object], float] = {}
    for u in range(width):
        values = [r[u] for r in rows if not is_missing(r[u])]
        m = len(values)
        if m < 2:
            continue
        for i in range(m):
            for j in range(m):
                if i != j:
                    key = (values[i], values[j])
                    coincidence[key] = coincidence.get(key, 0.0) + 1.0 / (m - 1)
    n_c: dict[object, float] = {}
    for (c, _), v in coincidence.items():
        n_c[c] = n_c.get(c, 0.0) + v
    n = sum(n_c.values())
    if n <= 1:
        return math.nan
    observed = sum(v for (c, k), v in coincidence.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if expected == 0:
        return math.nan
    return 1.0 - (n - 1) * observed / expected


# --------------------------------------------------------------------------- units and presence

def unit_definition(level: str) -> str:
    """One sentence saying what a unit is and when a code is present in it."""
    unit = "a respondent turn" if level == "turn" else "a sentence of a respondent turn"
    return (f"Unit: {unit}. A code is present in a unit for a coder if any of that coder's spans of that code "
            "overlaps the unit; a family is present if any of its codes is.")


def make_units(corpus: "Corpus", level: str = "turn", interviews: Iterable[str] | None = None) -> pd.DataFrame:
    """The units of comparison: interview_id, turn_index, unit, char_start, char_end, text."""
    if level not in LEVELS:
        raise AgreementError(f"unknown level {level!r}; use one of {', '.join(LEVELS)}")
    turns = corpus.respondent_turns()
    if interviews is not None:
        turns = turns[turns["interview_id"].isin(set(interviews))]
    rows = []
    if level == "turn":
        for iid, tix, text in zip(turns["interview_id"], turns["turn_index"], turns["text"]):
            text = "" if pd.isna(text) else str(text)
            rows.append((iid, int(tix), 0, 0, len(text), text))
    else:
        from buyerlab.segment import sentence_spans

        langs = corpus.languages()
        for iid, tix, text in zip(turns["interview_id"], turns["turn_index"], turns["text"]):
            text = "" if pd.isna(text) else str(text)
            for k, (s, e) in enumerate(sentence_spans(text, langs.get(iid) or "en")):
                rows.append((iid, int(tix), k, s, e, text[s:e]))
    return pd.DataFrame(rows, columns=["interview_id", "turn_index", "unit", "char_start", "char_end", "text"])


def presence(codes: pd.DataFrame, units: pd.DataFrame, column: str = "code") -> pd.DataFrame:
    """A boolean table, one row per unit (same order as ``units``), one column per code (or family)."""
    values = sorted(set(codes[column].dropna().astype(str))) if len(codes) else []
    out = pd.DataFrame(False, index=units.index, columns=values)
    if not len(codes) or not len(units):
        return out
    m = units.reset_index().merge(codes[["interview_id", "turn_index", column, "char_start", "char_end"]],
                                  on=["interview_id", "turn_index"], suffixes=("", "_c"))
    m = m[(m["char_start_c"] < m["char_end"]) & (m["char_start"] < m["char_end_c"])]
    for value, idx in m.groupby(column)["index"]:
        out.loc[idx.unique(), str(value)] = True
    return out


# --------------------------------------------------------------------------- coders

def load_coder(study: "Study", name: str) -> pd.DataFrame:
    """The codes of one coder: ``auto``, ``effective`` or a human coder's name."""
    from buyerlab.qda import load_auto_codes, load_human_codes

    if name == "auto":
        return load_auto_codes(study)
    if name == "effective":
        from buyerlab.review import effective_codes

        return effective_codes(study)
    return load_human_codes(study, [name])


def _filter(codes: pd.DataFrame, polarity: str | None) -> pd.DataFrame:
    if polarity is None or not len(codes):
        return codes
    return codes[codes["polarity"] == polarity]


def _shared(a: pd.DataFrame, b: pd.DataFrame, interviews: Iterable[str] | None) -> list[str]:
    if interviews is not None:
        return sorted(set(interviews))
    return sorted(set(a["interview_id"]) & set(b["interview_id"]))


def _row(level: str, family: str, code: str, x: np.ndarray, y: np.ndarray) -> dict:
    return {"level": level, "family": family, "code": code, "units": len(x), "a_present": int(x.sum()),
            "b_present": int(y.sum()), "both_present": int((x & y).sum()),
            "agreement": percent_agreement(x, y), "kappa": cohen_kappa(x, y),
            "alpha": krippendorff_alpha([x.astype(int).tolist(), y.astype(int).tolist()])}


def compare_codes(a: pd.DataFrame, b: pd.DataFrame, corpus: "Corpus", *, level: str = "turn",
                  interviews: Iterable[str] | None = None, polarity: str | None = "present",
                  codebook=None) -> pd.DataFrame:
    """Agreement per code, per family and pooled (``ALL``) between two codes tables.

    ``result.attrs``: level, definition, interviews, n_units.
    """
    a, b = _filter(a, polarity), _filter(b, polarity)
    shared = _shared(a, b, interviews)
    if not shared:
        raise AgreementError("the two coders have no interview in common; nothing to compare")
    units = make_units(corpus, level, shared)
    if not len(units):
        raise AgreementError("no respondent text in the shared interviews")
    a = a[a["interview_id"].isin(shared)]
    b = b[b["interview_id"].isin(shared)]
    family_of = {}
    if codebook is not None:
        family_of = {c.id: c.family for c in codebook.codes}
    for df in (a, b):
        family_of.update(dict(zip(df["code"].astype(str), df["family"].astype(str))))
    pa, pb = presence(a, units), presence(b, units)
    fam_rank = {f.id: k for k, f in enumerate(codebook.families)} if codebook is not None else {}
    code_rank = {c.id: k for k, c in enumerate(codebook.codes)} if codebook is not None else {}
    codes = sorted(set(pa.columns) | set(pb.columns),
                   key=lambda c: (fam_rank.get(family_of.get(c, ""), len(fam_rank)), family_of.get(c, ""),
                                  code_rank.get(c, len(code_rank)), c))
    rows = []
    cube_a, cube_b = [], []
    for code in codes:
        x = pa[code].to_numpy(bool) if code in pa else np.zeros(len(units), bool)
        y = pb[code].to_numpy(bool) if code in pb else np.zeros(len(units), bool)
        cube_a.append(x)
        cube_b.append(y)
        rows.append(_row("code", family_of.get(code, ""), code, x, y))
    families = sorted({family_of.get(c, "") for c in codes})
    if codebook is not None:
        order = [f.id for f in codebook.families]
        families = [f for f in order if f in families] + [f for f in families if f not in order]
    for fam in families:
        members = [k for k, c in enumerate(codes) if family_of.get(c, "") == fam]
        x = np.any([cube_a[k] for k in members], axis=0)
        y = np.any([cube_b[k] for k in members], axis=0)
        rows.append(_row("family", fam, "", x, y))
    if codes:
        rows.append(_row("all", "ALL", "", np.concatenate(cube_a), np.concatenate(cube_b)))
    table = pd.DataFrame(rows, columns=["level", "family", "code", "units", "a_present", "b_present",
                                        "both_present", "agreement", "kappa", "alpha"])
    table.attrs.update(level=level, definition=unit_definition(level), interviews=shared, n_units=len(units))
    return table


def agreement(study: "Study", a: str = "auto", b: str | None = None, *, level: str = "turn",
              interviews: Iterable[str] | None = None, polarity: str | None = "present") -> pd.DataFrame:
    """Agreement table between two coders of a study (see ``compare_codes``)."""
    from buyerlab.corpus import Corpus

    if not b:
        raise AgreementError("name the second coder (--b NAME)")
    if a == b:
        raise AgreementError(f"compare two different coders, not {a!r} with itself")
    table = compare_codes(load_coder(study, a), load_coder(study, b), Corpus.load(study), level=level,
                          interviews=interviews, polarity=polarity, codebook=_codebook_or_none(study))
    table.attrs.update(a=a, b=b)
    return table


def _codebook_or_none(study: "Study"):
    from buyerlab.errors import CodebookError
    from buyerlab.qda import study_codebook

    try:
        return study_codebook(study)
    except (CodebookError, OSError, ImportError):
        return None


def disagreements(a: pd.DataFrame, b: pd.DataFrame, corpus: "Corpus", *, level: str = "turn",
                  interviews: Iterable[str] | None = None, polarity: str | None = "present",
                  code: str | None = None) -> pd.DataFrame:
    """Every (unit, code) on which the coders differ, with the unit's text and each coder's spans."""
    a, b = _filter(a, polarity), _filter(b, polarity)
    shared = _shared(a, b, interviews)
    units = make_units(corpus, level, shared)
    a = a[a["interview_id"].isin(shared)]
    b = b[b["interview_id"].isin(shared)]
    pa, pb = presence(a, units), presence(b, units)
    codes = sorted(set(pa.columns) | set(pb.columns))
    if code is not None:
        codes = [c for c in codes if c == code]
    family_of = {**dict(zip(a["code"].astype(str), a["family"].astype(str))),
                 **dict(zip(b["code"].astype(str), b["family"].astype(str)))}
    rows = []
    for c in codes:
        x = pa[c] if c in pa else pd.Series(False, index=units.index)
        y = pb[c] if c in pb else pd.Series(False, index=units.index)
        for idx in units.index[(x != y).to_numpy()]:
            u = units.loc[idx]

            def spans(df: pd.DataFrame) -> str:
                hit = df[(df["interview_id"] == u["interview_id"]) & (df["turn_index"] == u["turn_index"])
                         & (df["code"] == c) & (df["char_start"] < u["char_end"]) & (df["char_end"] > u["char_start"])]
                return " | ".join(hit["evidence"].astype(str))

            rows.append({"interview_id": u["interview_id"], "turn_index": int(u["turn_index"]),
                         "unit": int(u["unit"]), "char_start": int(u["char_start"]),
                         "char_end": int(u["char_end"]), "family": family_of.get(c, ""), "code": c,
                         "a": bool(x[idx]), "b": bool(y[idx]), "text": u["text"],
                         "a_evidence": spans(a), "b_evidence": spans(b)})
    return pd.DataFrame(rows, columns=["interview_id", "turn_index", "unit", "char_start", "char_end", "family",
                                       "code", "a", "b", "text", "a_evidence", "b_evidence"])


def study_disagreements(study: "Study", a: str = "auto", b: str | None = None, *, level: str = "turn",
                        interviews: Iterable[str] | None = None, polarity: str | None = "present",
                        code: str | None = None) -> pd.DataFrame:
    """``disagreements`` between two coders of a study, named as in ``agreement``."""
    from buyerlab.corpus import Corpus

    if not b:
        raise AgreementError("name the second coder")
    return disagreements(load_coder(study, a), load_coder(study, b), Corpus.load(study), level=level,
                         interviews=interviews, polarity=polarity, code=code)


def format_table(table: pd.DataFrame) -> str:
    """The agreement table as text, with the unit definition above it."""
    a, b = table.attrs.get("a", "A"), table.attrs.get("b", "B")
    head = [f"Agreement between {a} (a) and {b} (b): {table.attrs.get('n_units', 0)} units in "
            f"{len(table.attrs.get('interviews', []))} interview(s) coded by both.",
            table.attrs.get("definition", ""),
            "agreement = share of units where both agree; kappa = Cohen's kappa; alpha = Krippendorff's alpha "
            "(nominal); nan = no variation (a code neither coder used, or used everywhere)."]
    shown = table.copy()
    for col in ("agreement", "kappa", "alpha"):
        shown[col] = shown[col].map(lambda v: "nan" if pd.isna(v) else f"{v:.3f}")
    return "\n".join(head) + "\n\n" + shown.to_string(index=False)
