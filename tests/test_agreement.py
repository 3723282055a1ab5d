"""Agreement statistics against worked examples and reference implementations, and per code/family tables."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from buyerlab.agreement import (
    AgreementError,
    agreement,
    cohen_kappa,
    compare_codes,
    disagreements,
    krippendorff_alpha,
    make_units,
    percent_agreement,
)
from buyerlab.corpus import Corpus
from buyerlab.qda import human_rows, save_human_codes
from buyerlab.study import Study

FIX = Path(__file__).parent / "fixtures" / "qda"
nan = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example:
# 4 observers, 12 units, missing values; alpha = 0.743.
KRIPPENDORFF_EXAMPLE = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]
# Same paper, binary data, 2 observers, 10 units: alpha = 0.095.
KRIPPENDORFF_BINARY = [[0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]


def test_krippendorff_worked_examples():
    assert krippendorff_alpha(KRIPPENDORFF_EXAMPLE) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(KRIPPENDORFF_BINARY) == pytest.approx(0.095, abs=5e-4)


def test_krippendorff_matches_reference_package():
    import krippendorff

    rng = np.random.default_rng(7)
    for _ in range(20):
        data = rng.integers(0, 4, size=(3, 30)).astype(float)
        data[rng.random(data.shape) < 0.15] = np.nan
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert krippendorff_alpha(data.tolist()) == pytest.approx(expected, abs=1e-9)


def test_cohen_kappa_textbook_and_sklearn():
    # 50 units: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> p_o 0.7, p_e 0.5, kappa 0.4.
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert percent_agreement(a, b) == pytest.approx(0.7)
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(3)
    for _ in range(10):
        x, y = rng.integers(0, 3, 40), rng.integers(0, 3, 40)
        assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x, y))
    assert math.isnan(cohen_kappa([1, 1, 1], [1, 1, 1]))  # no variation: undefined, not 1


@pytest.fixture
def study(qda_study) -> Study:
    return qda_study


def _row(corpus, iid, tix, phrase, code, family):
    text = corpus.interview(iid).set_index("turn_index").at[tix, "text"]
    s = text.index(phrase)
    return dict(interview_id=iid, turn_index=tix, family=family, code=code, char_start=s, char_end=s + len(phrase),
                evidence=phrase)


def _coders(study: Study):
    corpus = Corpus.load(study)
    auto = human_rows([_row(corpus, "A1", 1, "CFO", "finance", "stakeholder"),
                       _row(corpus, "A1", 1, "price", "price", "barrier"),
                       _row(corpus, "A1", 3, "finance", "finance", "stakeholder"),
                       _row(corpus, "A2", 3, "finance", "finance", "stakeholder"),
                       _row(corpus, "A2", 1, "price", "price", "barrier")], "auto").assign(source="rule")
    alice = human_rows([_row(corpus, "A1", 1, "Our CFO", "finance", "stakeholder"),
                        _row(corpus, "A2", 1, "asked finance", "finance", "stakeholder"),
                        _row(corpus, "A1", 1, "no time", "price", "barrier"),
                        _row(corpus, "A1", 3, "Procurement", "procurement", "stakeholder")], "alice")
    auto.to_parquet(study.output("codes.parquet"), index=False)
    save_human_codes(study, alice)
    return corpus, auto, alice


def test_turn_level_table(study):
    corpus, auto, alice = _coders(study)
    from buyerlab.codebook import load_codebook

    table = compare_codes(auto, alice, corpus, level="turn", codebook=load_codebook(FIX / "codebook.yaml"))
    # Units, in order: A1 turns 1, 3, 5 and A2 turns 1, 3 (respondent turns only).
    assert table.attrs["n_units"] == 5 and table.attrs["interviews"] == ["A1", "A2"]
    finance = table[(table["level"] == "code") & (table["code"] == "finance")].iloc[0]
    a, b = [1, 1, 0, 0, 1], [1, 0, 0, 1, 0]
    assert finance["units"] == 5 and finance["a_present"] == 3 and finance["b_present"] == 2
    assert finance["both_present"] == 1
    assert finance["agreement"] == pytest.approx(0.4)
    assert finance["kappa"] == pytest.approx(cohen_kappa(a, b))
    assert finance["alpha"] == pytest.approx(krippendorff_alpha([a, b]))
    price = table[(table["code"] == "price")].iloc[0]
    assert price["agreement"] == pytest.approx(0.8)  # A1 turn 1 both; A2 turn 1 only auto
    stakeholder = table[(table["level"] == "family") & (table["family"] == "stakeholder")].iloc[0]
    x, y = [1, 1, 0, 0, 1], [1, 1, 0, 1, 0]
    assert stakeholder["agreement"] == pytest.approx(0.6)
    assert stakeholder["kappa"] == pytest.approx(cohen_kappa(x, y))
    pooled = table[table["level"] == "all"].iloc[0]
    assert pooled["units"] == 5 * 3  # every (unit, code) pair of finance, price, procurement
    assert list(table.loc[table["level"] == "family", "family"]) == ["stakeholder", "barrier"]
    assert list(table.loc[table["level"] == "code", "code"]) == ["finance", "procurement", "price"]


def test_segment_level_sees_what_turn_level_hides(study):
    corpus, auto, alice = _coders(study)
    units = make_units(corpus, "segment")
    assert units[(units["interview_id"] == "A1") & (units["turn_index"] == 1)]["text"].tolist() == [
        "Our CFO said the price was too high.", "We had no time to switch, honestly."]
    seg = compare_codes(auto, alice, corpus, level="segment")
    price = seg[seg["code"] == "price"].iloc[0]
    # Auto codes "price" in sentence 1, alice in sentence 2: they agree on the turn, not on the sentence.
    assert price["both_present"] == 0
    assert seg.attrs["definition"].startswith("Unit: a sentence of a respondent turn")
    dis = disagreements(auto, alice, corpus, level="segment", code="price")
    assert sorted(zip(dis["text"], dis["a"], dis["b"])) == [
        ("Our CFO said the price was too high.", True, False),
        ("The price was fine but purchasing wanted three quotes.", True, False),
        ("We had no time to switch, honestly.", False, True)]
    assert "no time" in set(dis["b_evidence"])


def test_study_agreement_and_cli(study, capsys):
    _coders(study)
    table = agreement(study, "auto", "alice")
    assert table.attrs["a"] == "auto" and set(table["code"]) >= {"finance", "price", "procurement"}
    with pytest.raises(AgreementError, match="itself"):
        agreement(study, "alice", "alice")
    from buyerlab.cli import main

    out_csv = study.path / "dis.csv"
    assert main(["agree", str(study.path), "--a", "auto", "--b", "alice", "--level", "turn",
                 "--disagreements", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "Unit: a respondent turn. A code is present in a unit for a coder if any" in out
    assert "5 units in 2 interview(s)" in out and "finance" in out and "kappa" in out
    assert len(pd.read_csv(out_csv)) > 0
    assert main(["agree", str(study.path), "--b", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
