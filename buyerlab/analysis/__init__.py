"""Analysis of coded interviews: process flows, group comparisons, statistics, claims, evidence."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from buyerlab.analysis.claims import Claim, ClaimsResult, claims_vs_motives, load_claims
from buyerlab.analysis.compare import code_matrix, group_interviews, outcome_comparison
from buyerlab.analysis.evidence import quotes
from buyerlab.analysis.process import (
    DEFAULT_STAGE_ORDER, buying_centre, interview_processes, process_flows, stage_reach,
    stakeholder_entry, stall_points,
)
from buyerlab.analysis.stats import compare_groups, fdr, wilson_interval
from buyerlab.errors import StudyError

__all__ = [
    "Claim", "ClaimsResult", "analyse_frames", "analyse_study", "buying_centre", "claims_vs_motives",
    "code_matrix", "compare_groups", "fdr", "group_interviews", "interview_processes",
    "load_claims", "outcome_comparison", "process_flows", "quotes", "stage_reach",
    "stakeholder_entry", "stall_points", "wilson_interval", "write_tables",
]

INPUTS = {"interviews": "interviews.parquet", "turns": "turns.parquet", "codes": "codes.parquet"}
COMPARE_BY = ("segment", "country")


def _stage_order(codebook) -> list[str]:
    if codebook is None:
        return list(DEFAULT_STAGE_ORDER)
    stages = [c.id for c in codebook.codes if c.family == "stage"]
    return stages or list(DEFAULT_STAGE_ORDER)


def analyse_frames(
    interviews: pd.DataFrame,
    turns: pd.DataFrame,
    codes: pd.DataFrame,
    claims: list[Claim] | None = None,
    codebook=None,
    embedder=None,
) -> dict[str, pd.DataFrame]:
    """Every analysis table from in-memory frames; keys are the CSV names ``analyse`` writes."""
    out: dict[str, pd.DataFrame] = {}
    by_cols = [c for c in COMPARE_BY if c in interviews.columns]
    for col in by_cols:
        out[f"matrix_by_{col}"] = code_matrix(codes, interviews, col, codebook=codebook)
    if len(by_cols) == 2:
        out["matrix_by_" + "_".join(by_cols)] = code_matrix(codes, interviews, by_cols, codebook=codebook)
    if "outcome" in interviews.columns:
        out["outcome_comparison"] = outcome_comparison(codes, interviews, codebook=codebook)
    processes = interview_processes(codes, turns, interviews, _stage_order(codebook))
    out["processes"] = processes
    out["flows"] = process_flows(processes)
    out["flows_first_visits"] = process_flows(processes, revisits=False)
    out["flows_in_process_order"] = process_flows(processes, canonical=True)
    out["stage_reach"] = stage_reach(processes)
    for col in by_cols:
        out[f"flows_by_{col}"] = process_flows(processes, col)
        out[f"stage_reach_by_{col}"] = stage_reach(processes, col)
    out["stall_points"] = stall_points(processes)
    out["buying_centre"] = buying_centre(codes, interviews, by_cols[0] if by_cols else None)
    out["stakeholder_entry"] = stakeholder_entry(processes)
    if claims:
        result = claims_vs_motives(claims, codes, turns, interviews, embedder=embedder)
        out["claims"] = result.summary
        out["claims_matches"] = result.matches
        out["claims_quotes"] = result.quotes
        out["motive_coverage"] = result.coverage
    return out


def _read(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a damaged file
        raise StudyError(f"{path}: cannot read parquet: {exc}") from None


def _load_codebook(study):
    try:
        from buyerlab.codebook import load_codebook
    except ImportError:
        return None
    return load_codebook(study.config.codebook)


def load_inputs(study) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, object]:
    """A study's interviews, turns, effective codes and codebook: what every analysis view reads.

    Effective codes are the automatic ones after the researchers' review, plus human codes
    (buyerlab.review): the numbers in tables, notebooks and reports all follow what people decided.
    """
    from buyerlab.review import effective_codes
    from buyerlab.study import Study

    study = Study.of(study)
    for name, path in INPUTS.items():
        path = study.output_dir / path
        if not path.exists():
            step = "buyerlab code" if name == "codes" else "buyerlab ingest"
            raise StudyError(f"{path}: not found; run `{step} {study.path}` first")
    interviews = _read(study.output_dir / INPUTS["interviews"])
    turns = _read(study.output_dir / INPUTS["turns"])
    return interviews, turns, effective_codes(study), _load_codebook(study)


def analyse_study(study, embedder=None) -> dict[str, pd.DataFrame]:
    """Load a study's interviews, turns and codes from output/ and return every analysis table.

    ``embedder``: None = the study's ``[nlp] embedding_model`` or the default TF-IDF backend;
    False = match claims by code ids only; or any object with ``fit`` and ``encode``.
    """
    from buyerlab.study import Study

    study = Study.of(study)
    interviews, turns, codes, codebook = load_inputs(study)
    claims = load_claims(study.config.claims, codebook) if study.config.claims else None
    if claims and embedder is None and study.config.embedding_model:
        # The study's [nlp] embedding_model: the same vectors its themes use.
        from buyerlab.embeddings import get_embedding_backend

        embedder = get_embedding_backend(study.config.embedding_model)
    return analyse_frames(interviews, turns, codes, claims=claims, codebook=codebook, embedder=embedder)


def analyse_and_write(study, embedder=None) -> dict[str, pd.DataFrame]:
    """Build every analysis table of a study and write them to output/analysis/ (pipeline step)."""
    tables = analyse_study(study, embedder=embedder)
    write_tables(study, tables)
    return tables


def write_tables(study, tables: dict[str, pd.DataFrame]) -> Path:
    """Write analysis tables as CSV into the study's output/analysis/ folder; returns the folder."""
    from buyerlab.study import Study

    study = Study.of(study)
    folder = study.output("analysis")
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder
