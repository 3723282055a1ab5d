"""Group comparisons on a hand-made corpus: interview-level shares, intervals, tests, FDR."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from buyerlab.analysis.compare import code_matrix, outcome_comparison
from buyerlab.analysis.stats import wilson_interval
from buyerlab.errors import StudyError

IDS = [f"I{i}" for i in range(1, 11)]
INTERVIEWS = pd.DataFrame({
    "interview_id": IDS,
    "segment": ["re"] * 6 + ["mf"] * 4,
    "country": ["SE", "SE", "SE", "DE", "DE", "DE", "SE", "SE", "DE", "DE"],
    "outcome": ["won", "won", "lost", "lost", "no_decision", "won", "lost", "lost", "won", "no_decision"],
})


def rows(code, family, ids, polarity="present", times=1):
    return [{"interview_id": i, "turn_index": t, "family": family, "code": code, "char_start": 0,
             "char_end": 1, "evidence": "x", "polarity": polarity, "source": "rule", "confidence": 1.0,
             "coder": "auto", "buying_role": None} for i in ids for t in range(times)]


CODES = pd.DataFrame(
    rows("cost_roi", "motive", ["I1"], times=3)  # one talkative buyer: still one interview
    + rows("cost_roi", "motive", ["I2", "I7"])
    + rows("compliance", "motive", ["I1", "I2", "I3", "I4", "I5"])
    + rows("ease_of_use", "motive", ["I8"], polarity="negated")
    + rows("ease_of_use", "motive", ["I9"])
    + rows("price", "barrier", ["I1", "I7", "I8", "I9", "I10"])
    + rows("price", "barrier", ["X99"])  # not in the interviews table: cannot be grouped
)


def cell(m, code, group):
    return m[(m["code"] == code) & (m["group"] == group)].iloc[0]


def test_shares_are_interview_level_and_only_present():
    m = code_matrix(CODES, INTERVIEWS, "segment", family="motive")
    assert set(m["code"]) == {"cost_roi", "compliance", "ease_of_use"}
    c = cell(m, "cost_roi", "re")
    assert (c["n_mentioning"], c["n_interviews_in_group"]) == (2, 6)
    assert c["share"] == pytest.approx(2 / 6)
    assert (c["ci_low"], c["ci_high"]) == pytest.approx(wilson_interval(2, 6))
    assert cell(m, "ease_of_use", "mf")["n_mentioning"] == 1  # the negated I8 does not count
    assert cell(m, "ease_of_use", "re")["n_mentioning"] == 0


def test_tests_and_fdr_match_scipy():
    m = code_matrix(CODES, INTERVIEWS, "segment", family="motive")
    p = {}
    for code, table in {
        "compliance": [[5, 0], [1, 4]],
        "cost_roi": [[2, 1], [4, 3]],
        "ease_of_use": [[0, 1], [6, 3]],
    }.items():
        c = cell(m, code, "re")
        p[code] = stats.fisher_exact(table).pvalue
        assert c["test"] == "fisher" and c["p"] == pytest.approx(p[code])
    q = stats.false_discovery_control(list(p.values()))
    for code, qv in zip(p, q):
        assert m.loc[m["code"] == code, "q"].tolist() == pytest.approx([qv, qv])
    # Groups sort alphabetically (mf, re): share_diff = share(mf) - share(re).
    comp = cell(m, "compliance", "mf")
    assert comp["share_diff"] == pytest.approx(0 - 5 / 6)
    assert comp["odds_ratio"] == 0.0


def test_small_groups_are_flagged_not_dropped():
    m = code_matrix(CODES, INTERVIEWS, ["segment", "country"])
    sizes = m.drop_duplicates("group").set_index("group")["n_interviews_in_group"].to_dict()
    assert sizes == {"mf / DE": 2, "mf / SE": 2, "re / DE": 3, "re / SE": 3}
    assert m["small_group"].all()
    price = m[m["code"] == "price"].set_index("group")
    assert price.loc["mf / DE", "n_mentioning"] == 2 and price.loc["re / SE", "n_mentioning"] == 1
    assert price["test"].iloc[0] == "fisher_freeman_halton"
    assert {"segment", "country"} <= set(m.columns)
    assert price.loc["mf / SE", "segment"] == "mf" and price.loc["mf / SE", "country"] == "SE"


def test_chi_square_effect_size_on_large_groups():
    ids = [f"L{i}" for i in range(100)]
    interviews = pd.DataFrame({"interview_id": ids, "segment": ["a"] * 50 + ["b"] * 50})
    codes = pd.DataFrame(rows("cost_roi", "motive", ids[:30] + ids[50:60]))
    m = code_matrix(codes, interviews, "segment")
    chi2, p, _, _ = stats.chi2_contingency([[30, 10], [20, 40]], correction=False)
    row = m.iloc[0]
    assert row["test"] == "chi2" and row["p"] == pytest.approx(p)
    assert row["cramers_v"] == pytest.approx(np.sqrt(chi2 / 100))
    assert row["share_diff"] == pytest.approx(0.6 - 0.2)
    assert row["odds_ratio"] == pytest.approx((30 * 40) / (10 * 20))
    assert not m["small_group"].any()


def test_missing_attribute_is_its_own_group_and_codebook_adds_unmentioned_codes():
    interviews = INTERVIEWS.copy()
    interviews.loc[0, "segment"] = None
    book = SimpleNamespace(codes=[SimpleNamespace(id="innovation", family="motive"),
                                  SimpleNamespace(id="price", family="barrier")])
    m = code_matrix(CODES, interviews, "segment", family="motive", codebook=book)
    assert "(missing)" in set(m["group"]) and m["group"].iloc[-1] == "(missing)"
    inn = m[m["code"] == "innovation"]
    assert (inn["n_mentioning"] == 0).all() and (inn["test"] == "not_testable").all()
    assert inn["q"].isna().all() and "price" not in set(m["code"])


def test_outcome_comparison_orders_outcomes_and_sorts_by_p():
    oc = outcome_comparison(CODES, INTERVIEWS)
    assert set(oc["family"]) == {"motive", "barrier"}
    first_code = oc["code"].iloc[0]
    assert oc.loc[oc["code"] == first_code, "group"].tolist() == ["won", "lost", "no_decision"]
    ps = oc.drop_duplicates("code")["p"].tolist()
    assert ps == sorted(ps)
    lost = oc[(oc["code"] == "compliance")].set_index("group")
    assert lost.loc["lost", "n_mentioning"] == 2 and lost.loc["lost", "n_interviews_in_group"] == 4
    assert lost["highest_in"].iloc[0] == "won; lost; no_decision"  # 2/4, 2/4, 1/2: all tied
    assert oc.loc[oc["code"] == "cost_roi", "highest_in"].iloc[0] == "won"  # 2/4 vs 1/4 vs 0/2


def test_missing_columns_raise_one_line_errors():
    with pytest.raises(StudyError, match="no column.*'industry'"):
        code_matrix(CODES, INTERVIEWS, "industry")
    with pytest.raises(StudyError, match="outcome"):
        outcome_comparison(CODES, INTERVIEWS.drop(columns="outcome"))
    with pytest.raises(ValueError):
        code_matrix(CODES, INTERVIEWS, "segment", level="turn")


def test_analyse_command_writes_tables_and_summary(tmp_path, capsys):
    from buyerlab.cli import main

    study = tmp_path / "study"
    (study / "output").mkdir(parents=True)
    (study / "transcripts").mkdir()
    turns = pd.DataFrame({"interview_id": IDS, "turn_index": 0, "speaker": "B", "role": "respondent",
                          "start": np.nan, "end": np.nan, "text": "It was about cost.", "n_words": 4,
                          "source_line": pd.array([None] * len(IDS), dtype="Int64")})
    INTERVIEWS.to_parquet(study / "output" / "interviews.parquet")
    turns.to_parquet(study / "output" / "turns.parquet")
    CODES.to_parquet(study / "output" / "codes.parquet")
    (study / "claims.yaml").write_text("claims:\n  - id: cheap\n    claim: Cheap\n    codes: [cost_roi]\n",
                                       encoding="utf-8")
    assert main(["analyse", str(study), "--no-embeddings"]) == 0
    out = capsys.readouterr().out
    assert "by segment: " in out and "small groups (< 5 interviews): mf" in out
    assert "10 interview(s), 0 with at least one decision stage coded" in out
    folder = study / "output" / "analysis"
    written = {p.stem for p in folder.glob("*.csv")}
    assert {"matrix_by_segment", "matrix_by_country", "matrix_by_segment_country", "outcome_comparison",
            "flows", "stage_reach", "stall_points", "buying_centre", "stakeholder_entry", "claims",
            "motive_coverage"} <= written
    seg = pd.read_csv(folder / "matrix_by_segment.csv")
    assert seg[(seg["code"] == "cost_roi") & (seg["group"] == "re")]["n_mentioning"].iloc[0] == 2
    claims = pd.read_csv(folder / "claims.csv")
    assert claims["n_interviews_matched"].iloc[0] == 3  # I1, I2, I7 voice cost_roi


def test_analyse_command_names_the_missing_file(tmp_path, capsys):
    from buyerlab.cli import main

    (tmp_path / "s" / "output").mkdir(parents=True)
    assert main(["analyse", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("buyerlab: error: ") and "interviews.parquet: not found" in err
