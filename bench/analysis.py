"""Benchmark: 1,000 synthetic coded interviews through every analysis table and chart.

    python bench/analysis.py [--interviews 1000] [--no-embeddings]

Prints seconds per step and in total (aim: under 10 s for 1,000 interviews).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from buyerlab import charts  # noqa: E402
from buyerlab.analysis import (  # noqa: E402
    buying_centre, claims_vs_motives, code_matrix, interview_processes, load_claims,
    outcome_comparison, process_flows, quotes, stage_reach, stakeholder_entry, stall_points,
)
from buyerlab.analysis.process import DEFAULT_STAGE_ORDER  # noqa: E402

FAMILIES = {
    "trigger": ["pain_with_current", "growth", "incident", "regulation", "merger", "new_leadership",
                "contract_end", "cost_pressure", "recommendation", "competitor_move"],
    "stakeholder": ["management", "finance", "it", "security", "legal_compliance", "procurement",
                    "operations", "end_users", "board", "consultants", "clients", "colleagues", "vendor"],
    "motive": ["cost_roi", "time_efficiency", "risk_reduction", "compliance", "integration", "ease_of_use",
               "support_service", "scalability", "vendor_trust", "quality_accuracy", "strategic_fit",
               "innovation"],
    "barrier": ["price", "change_risk", "switching_cost", "trust", "security_privacy", "politics",
                "lack_resources", "technical_fit", "lock_in"],
    "alternative": ["status_quo", "do_nothing", "in_house", "competitor", "other_option"],
}
# Codes per interview, on average: about 40 in all.
PER_INTERVIEW = {"trigger": 3, "stakeholder": 9, "motive": 12, "barrier": 7, "alternative": 2}
ROLES = ["initiator", "user", "influencer", "decider", "approver", "buyer", "gatekeeper", None, None]
PHRASES = {
    "motive": "it had to {w} for us", "barrier": "the problem was {w}", "trigger": "it started with {w}",
    "stakeholder": "our {w} people were involved", "alternative": "we considered {w}",
    "stage": "then we did {w}",
}
FILLER = np.array(("energy meter data report price sites building team budget auditors sensor "
                   "cloud platform alarm heating cooling tenant invoice quarter board supplier pilot "
                   "dashboard minute accuracy leak pump emissions scope csrd api erp bms").split())
CUES = ["", "", "", "First ", "Then ", "Before that ", "After six months ", "Sedan ", "Danach "]


def synthetic(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Interviews, turns and codes for ``n`` synthetic interviews in the documented schemas."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:04d}" for i in range(n)]
    outcome = rng.choice(["won", "lost", "no_decision"], size=n, p=[0.45, 0.35, 0.2])
    interviews = pd.DataFrame({
        "interview_id": ids,
        "segment": rng.choice(["real_estate", "manufacturing", "public"], size=n),
        "country": rng.choice(["UK", "NL", "SE", "DE", "AT"], size=n, p=[0.25, 0.15, 0.3, 0.25, 0.05]),
        "outcome": outcome,
    })
    turn_rows, code_rows = [], []
    for i, iid in enumerate(ids):
        n_turns = int(rng.integers(40, 80))
        texts = {}
        spans = []
        # Stages roughly in order, with a stop depending on the outcome.
        last = {"won": 8, "lost": int(rng.integers(3, 7)), "no_decision": int(rng.integers(1, 5))}[outcome[i]]
        stages = [s for s in DEFAULT_STAGE_ORDER[:last] if rng.random() < 0.8]
        if len(stages) > 2 and rng.random() < 0.3:
            a, b = sorted(rng.choice(len(stages), 2, replace=False))
            stages[a], stages[b] = stages[b], stages[a]
        stage_turns = np.sort(rng.choice(np.arange(1, n_turns, 2), size=len(stages), replace=False))
        for s, t in zip(stages, stage_turns):
            spans.append((int(t), "stage", s, None))
        for fam, mean in PER_INTERVIEW.items():
            for _ in range(int(rng.poisson(mean))):
                code = FAMILIES[fam][int(rng.integers(len(FAMILIES[fam])))]
                role = ROLES[int(rng.integers(len(ROLES)))] if fam == "stakeholder" else None
                spans.append((int(rng.integers(0, n_turns // 2)) * 2 + 1, fam, code, role))
        for t, fam, code, role in spans:
            cue = CUES[int(rng.integers(len(CUES)))] if fam == "stage" else ""
            phrase = PHRASES[fam].format(w=code.replace("_", " "))
            if fam == "motive":
                # Distinct sentences, as real quotes are: the embedder cannot deduplicate them.
                phrase += " " + " ".join(FILLER[rng.integers(len(FILLER), size=6)])
            prefix = texts.get(t, "")
            start = len(prefix) + len(cue)
            texts[t] = prefix + cue + phrase + ". "
            code_rows.append((iid, t, fam, code, start, start + len(phrase), phrase, "present", "rule", 0.8,
                              "auto", role))
        for t in range(n_turns):
            interviewer = t % 2 == 0
            turn_rows.append((iid, t, "Interviewer" if interviewer else "Buyer",
                              "interviewer" if interviewer else "respondent", t * 20.0, t * 20.0 + 18,
                              "And what happened then?" if interviewer else texts.get(t, "Yes, I see.").strip()))
    turns = pd.DataFrame(turn_rows, columns=["interview_id", "turn_index", "speaker", "role", "start", "end",
                                             "text"])
    codes = pd.DataFrame(code_rows, columns=["interview_id", "turn_index", "family", "code", "char_start",
                                             "char_end", "evidence", "polarity", "source", "confidence",
                                             "coder", "buying_role"])
    # A few negated mentions, as the coder produces.
    codes.loc[codes.sample(frac=0.05, random_state=seed).index, "polarity"] = "negated"
    return interviews, turns, codes


def main() -> int:
    """Run the benchmark and print timings."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interviews", type=int, default=1000)
    ap.add_argument("--no-embeddings", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    interviews, turns, codes = synthetic(args.interviews)
    gen = time.perf_counter() - t0
    print(f"synthetic corpus: {len(interviews)} interviews, {len(turns)} turns, {len(codes)} codes "
          f"({len(codes) / len(interviews):.1f} per interview) in {gen:.2f} s (not counted)")
    timings = {}

    def step(name, fn):
        t = time.perf_counter()
        out = fn()
        timings[name] = time.perf_counter() - t
        return out

    m_seg = step("matrix by segment", lambda: code_matrix(codes, interviews, "segment"))
    step("matrix by country", lambda: code_matrix(codes, interviews, "country"))
    step("matrix by segment x country", lambda: code_matrix(codes, interviews, ["segment", "country"]))
    oc = step("outcome comparison", lambda: outcome_comparison(codes, interviews))
    proc = step("interview processes", lambda: interview_processes(codes, turns, interviews))
    flows = step("flows (all + by segment)", lambda: (process_flows(proc), process_flows(proc, "segment"))[0])
    step("stage reach", lambda: stage_reach(proc, "segment"))
    step("stall points", lambda: stall_points(proc))
    bc = step("buying centre", lambda: buying_centre(codes, interviews, "segment"))
    entry = step("stakeholder entry", lambda: stakeholder_entry(proc))
    claims = load_claims(Path(__file__).resolve().parents[1] / "data" / "sample" / "claims.yaml")
    warmup = 0.0
    if not args.no_embeddings:
        # The backend's first fit pays one-off imports (scikit-learn, sparse linear algebra):
        # timed apart, as a long-running notebook or pipeline pays it once.
        from buyerlab.embeddings import get_embedding_backend

        t = time.perf_counter()
        get_embedding_backend(None).fit([c.text for c in claims] * 3)
        warmup = time.perf_counter() - t
    res = step("claims vs motives" + (" (codes only)" if args.no_embeddings else " (TF-IDF)"),
               lambda: claims_vs_motives(claims, codes, turns, interviews,
                                         embedder=False if args.no_embeddings else None))
    step("quotes (one cell)", lambda: quotes(codes, turns, interviews, code="price", group={"segment": "public"}))
    step("charts", lambda: [
        charts.process_sankey(flows), charts.stage_timeline(proc, interviews["interview_id"].iloc[0]),
        charts.motive_heatmap(m_seg[m_seg["family"] == "motive"]), charts.outcome_comparison_chart(oc),
        charts.buying_centre_map(bc), charts.buying_centre_map(entry), charts.claims_chart(res)])
    width = max(len(k) for k in timings)
    for k, v in timings.items():
        print(f"  {k:<{width}}  {v:6.2f} s")
    total = sum(timings.values())
    print(f"  {'total':<{width}}  {total:6.2f} s  ({'ok' if total < 10 else 'SLOWER than'} 10 s target)")
    if warmup:
        print(f"  (plus {warmup:.2f} s one-off embedding backend warm-up: imports and first fit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
