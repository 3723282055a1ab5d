"""What the vendor claims vs what buyers say they want: claims matched to voiced motives.

A claim answers a voiced motive in two ways:
- by code: the claim lists the motive's code id under ``codes`` in claims.yaml;
- by embedding: a motive quote (the sentence around the coded span) is at least
  ``threshold`` cosine-similar to the claim's text (claim + description), using the
  project's embedding backend (TF-IDF + SVD by default, offline). Default thresholds
  (``default_threshold``): 0.35 for the TF-IDF backends, 0.40 for sentence-transformers
  and any other backend. On hand-made claim/quote pairs related pairs scored 0.22-0.63 with
  TF-IDF and 0.30-0.68 with all-MiniLM-L6-v2, unrelated ones at most 0.16 and 0.32; on the
  sample study's real quotes TF-IDF matches between 0.20 and 0.35 were mostly noise (shared
  words, not shared meaning), so TF-IDF is held to 0.35 and the code ids carry the rest.
  Every match reports its similarity so the threshold can be tuned;
  ``embedder=False`` switches embedding matches off. Character TF-IDF does not match across
  languages: list code ids in claims.yaml for Swedish and German interviews.
A voiced motive no claim answers in either way is listed as unanswered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from buyerlab.analysis.compare import as_list, group_interviews, present, require_columns
from buyerlab.analysis.stats import SMALL_GROUP, wilson_arrays
from buyerlab.errors import InputError

TFIDF_THRESHOLD = 0.35
DEFAULT_THRESHOLD = 0.40
FIT_SAMPLE = 1_000  # distinct quotes the embedder is fitted on, at most (fitting dominates)
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_CLAIM_KEYS = {"id", "claim", "description", "codes"}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass
class Claim:
    """One claimed strength of the vendor."""

    id: str
    claim: str
    description: str = ""
    codes: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The text compared with buyers' quotes: the claim and its description."""
        return f"{self.claim}. {self.description}".strip() if self.description else self.claim


def load_claims(path: str | Path, codebook=None) -> list[Claim]:
    """Read and validate claims.yaml; unknown code ids are an error when a codebook is given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("claims file not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read claims file: {exc}", path) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path, line) from None
    if not isinstance(data, dict) or "claims" not in data:
        raise InputError("expected a mapping with a 'claims' list", path, 1)
    items = data["claims"]
    item_nodes = []
    for key, value in root.value:
        if key.value == "claims":
            item_nodes = value.value if isinstance(value, yaml.SequenceNode) else []
            claims_line = key.start_mark.line + 1
    if not isinstance(items, list) or not items:
        raise InputError("'claims' must be a non-empty list", path, claims_line)
    known = {c.id for c in codebook.codes} if codebook is not None else None
    out: list[Claim] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        line = item_nodes[i].start_mark.line + 1 if i < len(item_nodes) else None

        def fail(msg: str) -> None:
            raise InputError(f"claim {i + 1}: {msg}", path, line)

        if not isinstance(item, dict):
            fail("must be a mapping with id, claim, description, codes")
        extra = set(item) - _CLAIM_KEYS
        if extra:
            fail(f"unknown key(s) {sorted(extra)}; known: {sorted(_CLAIM_KEYS)}")
        cid = item.get("id")
        if not isinstance(cid, str) or not _ID_RE.match(cid):
            fail(f"'id' must be a lower-case identifier (letters, digits, _), got {cid!r}")
        if cid in seen:
            fail(f"duplicate id {cid!r} (first used on line {seen[cid]})")
        seen[cid] = line
        claim = item.get("claim")
        if not isinstance(claim, str) or not claim.strip():
            fail(f"{cid}: 'claim' must be a non-empty string")
        desc = item.get("description", "") or ""
        if not isinstance(desc, str):
            fail(f"{cid}: 'description' must be a string")
        codes = item.get("codes", []) or []
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            fail(f"{cid}: 'codes' must be a list of code ids")
        if known is not None:
            unknown = [c for c in codes if c not in known]
            if unknown:
                fail(f"{cid}: unknown code id(s) {unknown} (not in the codebook)")
        out.append(Claim(cid, claim.strip(), desc.strip(), list(codes)))
    return out


@dataclass
class ClaimsResult:
    """Claims matched to voiced motives, the supporting quotes, and motives no claim answers."""

    matches: pd.DataFrame  # one row per (claim, motive code, group)
    quotes: pd.DataFrame  # the quotes behind every match
    coverage: pd.DataFrame  # one row per voiced motive code: answered or not, by which claims
    summary: pd.DataFrame  # one row per (claim, group): interviews with a matching quote
    method: str  # "code" or "code+embedding"
    threshold: float = math.nan  # the similarity threshold used (NaN: code matches only)

    @property
    def unanswered(self) -> pd.DataFrame:
        """Voiced motives that no claim answers."""
        return self.coverage[~self.coverage["answered"]].reset_index(drop=True)


def quote_sentence(text: str, char_start: int, char_end: int) -> str:
    """The sentence(s) of ``text`` around a coded span (the span itself when text is missing)."""
    if not isinstance(text, str) or not text:
        return ""
    lo = 0
    for m in _SENTENCE_END.finditer(text, 0, max(0, int(char_start))):
        lo = m.end()
    m = _SENTENCE_END.search(text, int(char_end))
    hi = m.start() if m else len(text)
    return text[lo:hi].strip()


def default_threshold(embedder) -> float:
    """The similarity threshold for a backend: 0.35 for TF-IDF, 0.40 otherwise."""
    name = str(getattr(embedder, "name", ""))
    return TFIDF_THRESHOLD if name.startswith("tfidf") else DEFAULT_THRESHOLD


def _default_embedder():
    try:
        from buyerlab.embeddings import get_embedding_backend
    except ImportError:
        return None
    return get_embedding_backend(None)


def claims_vs_motives(
    claims: Sequence[Claim],
    codes: pd.DataFrame,
    turns: pd.DataFrame,
    interviews: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    embedder=None,
    threshold: float | None = None,
    families: Sequence[str] = ("motive",),
) -> ClaimsResult:
    """Match each claim to the voiced motives it answers (by code ids and by similarity), per group."""
    require_columns(codes, ["interview_id", "turn_index", "family", "code", "char_start", "char_end"], "codes")
    require_columns(turns, ["interview_id", "turn_index", "text"], "turns")
    by_cols = as_list(by)
    groups = group_interviews(interviews, by_cols)
    sizes = groups.groupby("group").size()
    rows = present(codes)
    rows = rows[rows["family"].isin(families)].copy()
    rows["interview_id"] = rows["interview_id"].astype(str)
    rows = rows[rows["interview_id"].isin(groups["interview_id"])]
    t = turns[["interview_id", "turn_index", "text"] + (["speaker"] if "speaker" in turns.columns else [])].copy()
    t["interview_id"] = t["interview_id"].astype(str)
    rows = rows.merge(t, on=["interview_id", "turn_index"], how="left")
    rows["quote"] = [quote_sentence(tx, cs, ce) or (ev if isinstance(ev, str) else "")
                     for tx, cs, ce, ev in zip(rows["text"], rows["char_start"], rows["char_end"],
                                               rows.get("evidence", pd.Series("", index=rows.index)))]
    rows = rows.merge(groups[["interview_id", "group"]], on="interview_id").reset_index(drop=True)

    if embedder is None:
        embedder = _default_embedder()
    sim = None
    if embedder is not False and embedder is not None and len(rows) and claims:
        claim_texts = [c.text for c in claims]
        unique = list(dict.fromkeys(rows["quote"].tolist()))
        # Fitting (TF-IDF + SVD) is the slow part: fit on the claims and an evenly spaced
        # sample of the distinct quotes, then encode them all.
        step = max(1, len(unique) // FIT_SAMPLE)
        embedder.fit(claim_texts + unique[::step])
        cv = np.asarray(embedder.encode(claim_texts), dtype=float)
        qv = np.asarray(embedder.encode(unique), dtype=float)
        where = {q: i for i, q in enumerate(unique)}
        # Rows are L2-normalised, so the dot product is the cosine.
        sim = (qv @ cv.T)[[where[q] for q in rows["quote"]]]
    method = "code" if sim is None else "code+embedding"
    if threshold is None:
        threshold = default_threshold(embedder) if sim is not None else math.nan

    qcols = ["claim_id", "code", "match", "similarity", "interview_id", "group", "turn_index",
             "speaker", "evidence", "quote"]
    for col in ("speaker", "evidence"):
        if col not in rows.columns:
            rows[col] = None
    parts = []
    for ci, claim in enumerate(claims):
        by_code = rows["code"].isin(claim.codes).to_numpy()
        similar = sim[:, ci] >= threshold if sim is not None else np.zeros(len(rows), bool)
        hit = np.flatnonzero(by_code | similar)
        if not len(hit):
            continue
        part = rows.iloc[hit][qcols[4:] + ["code"]].copy()
        part["claim_id"] = claim.id
        part["match"] = np.where(by_code[hit] & similar[hit], "code+embedding",
                                 np.where(by_code[hit], "code", "embedding"))
        part["similarity"] = sim[hit, ci] if sim is not None else math.nan
        parts.append(part[qcols])
    qframe = (pd.concat(parts, ignore_index=True) if parts
              else pd.DataFrame(columns=qcols))
    # Two spans of one code in one sentence are one quote.
    qframe = qframe.drop_duplicates(["claim_id", "code", "interview_id", "turn_index", "quote"],
                                    ignore_index=True)

    # Matches: one row per (claim, motive code, group) the claim answers.
    match_rows = []
    if len(qframe):
        voicing_all = rows.groupby(["code", "group"])["interview_id"].nunique()
        per_pair = qframe.groupby(["claim_id", "code", "group"]).agg(
            n_interviews_matched=("interview_id", "nunique"), n_quotes=("interview_id", "size"),
            best_similarity=("similarity", "max"))
        for (cid, code), g in qframe.groupby(["claim_id", "code"], sort=False):
            kinds = set("+".join(g["match"].unique()).split("+"))
            kind = "code+embedding" if kinds == {"code", "embedding"} else kinds.pop()
            for grp in sizes.index:
                pair = (cid, code, grp)
                found = pair in per_pair.index
                match_rows.append({
                    "claim_id": cid, "code": code, "match": kind, "group": grp,
                    # Interviews voicing this motive at all (whether or not the quote matched).
                    "n_interviews_voicing": int(voicing_all.get((code, grp), 0)),
                    "n_interviews_matched": int(per_pair.at[pair, "n_interviews_matched"]) if found else 0,
                    "n_interviews_in_group": int(sizes[grp]),
                    "n_quotes": int(per_pair.at[pair, "n_quotes"]) if found else 0,
                    "best_similarity": per_pair.at[pair, "best_similarity"] if found else math.nan,
                })
    mcols = ["claim_id", "claim", "code", "match", *by_cols, "group", "n_interviews_voicing",
             "n_interviews_matched", "n_interviews_in_group", "share", "ci_low", "ci_high",
             "small_group", "n_quotes", "best_similarity"]
    matches = pd.DataFrame.from_records(match_rows)
    if len(matches):
        matches["claim"] = matches["claim_id"].map({c.id: c.claim for c in claims})
        # Share of the group's interviews that voice the motive the claim answers.
        matches["share"] = matches["n_interviews_voicing"] / matches["n_interviews_in_group"]
        matches["ci_low"], matches["ci_high"] = wilson_arrays(matches["n_interviews_voicing"],
                                                              matches["n_interviews_in_group"])
        matches["small_group"] = matches["n_interviews_in_group"] < SMALL_GROUP
        labels = groups.drop_duplicates("group").set_index("group")[by_cols]
        matches = matches.join(labels, on="group")
        matches = matches[mcols]
    else:
        matches = pd.DataFrame(columns=mcols)

    n_all = len(groups)
    cov = []
    for code, g in rows.groupby("code", sort=True):
        by_code_claims = [c.id for c in claims if code in c.codes]
        emb = qframe[(qframe["code"] == code) & qframe["match"].str.contains("embedding")]
        emb_claims = list(dict.fromkeys(emb["claim_id"]))
        matched_quotes = qframe.loc[qframe["code"] == code, ["interview_id", "turn_index", "quote"]]
        n_int = g["interview_id"].nunique()
        cov.append({
            "code": code, "family": g["family"].iloc[0], "n_interviews": n_int,
            "n_interviews_total": n_all, "share": n_int / n_all if n_all else math.nan,
            "n_quotes": len(g), "n_quotes_matched": len(matched_quotes.drop_duplicates()),
            "claims_by_code": "; ".join(by_code_claims),
            "claims_by_embedding": "; ".join(emb_claims),
            "answered": bool(by_code_claims or emb_claims),
            "example_quote": g["quote"].iloc[0],
            "example_interview": g["interview_id"].iloc[0],
        })
    coverage = pd.DataFrame.from_records(cov, columns=[
        "code", "family", "n_interviews", "n_interviews_total", "share", "n_quotes", "n_quotes_matched",
        "claims_by_code", "claims_by_embedding", "answered", "example_quote", "example_interview"])
    coverage["answered"] = coverage["answered"].astype(bool)
    coverage = coverage.sort_values(["answered", "n_interviews"], ascending=[True, False],
                                    kind="stable").reset_index(drop=True)
    summary_rows = []
    for claim in claims:
        g = qframe[qframe["claim_id"] == claim.id]
        per_group = g.groupby("group")["interview_id"].nunique()
        for grp in sizes.index:
            summary_rows.append({
                "claim_id": claim.id, "claim": claim.claim, "group": grp,
                "codes_answered": "; ".join(dict.fromkeys(g.loc[g["group"] == grp, "code"])),
                "n_interviews_matched": int(per_group.get(grp, 0)),
                "n_interviews_in_group": int(sizes[grp]),
                "n_quotes": int((g["group"] == grp).sum()),
            })
    summary = pd.DataFrame.from_records(summary_rows, columns=[
        "claim_id", "claim", "group", "codes_answered", "n_interviews_matched",
        "n_interviews_in_group", "n_quotes"])
    summary["share"] = summary["n_interviews_matched"] / summary["n_interviews_in_group"]
    summary["ci_low"], summary["ci_high"] = wilson_arrays(summary["n_interviews_matched"],
                                                          summary["n_interviews_in_group"])
    summary["small_group"] = summary["n_interviews_in_group"] < SMALL_GROUP
    return ClaimsResult(matches, qframe, coverage, summary, method, threshold)
