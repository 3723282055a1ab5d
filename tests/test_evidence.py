"""The quotes behind a number: filters, joins and ordering."""

from __future__ import annotations

import pandas as pd
import pytest

from buyerlab.analysis.compare import code_matrix
from buyerlab.analysis.evidence import quotes
from buyerlab.errors import StudyError

INTERVIEWS = pd.DataFrame({"interview_id": ["A", "B", "C"], "segment": ["re", "mf", None],
                           "country": ["SE", "DE", "SE"], "outcome": ["won", "lost", "won"]})
TURNS = pd.DataFrame({
    "interview_id": ["A", "A", "B", "C"],
    "turn_index": [0, 1, 0, 0],
    "speaker": ["Anna", "Anna", "Bernd", "Cecilia"],
    "role": ["respondent"] * 4,
    "text": ["It was too expensive. But the reports were great.", "Price again.",
             "Der Preis war zu hoch.", "Billigt var viktigt."],
})


def code(iid, turn, fam, c, phrase, polarity="present"):
    text = TURNS[(TURNS["interview_id"] == iid) & (TURNS["turn_index"] == turn)]["text"].iloc[0]
    s = text.index(phrase)
    return {"interview_id": iid, "turn_index": turn, "family": fam, "code": c, "char_start": s,
            "char_end": s + len(phrase), "evidence": phrase, "polarity": polarity, "source": "rule",
            "confidence": 0.9, "coder": "auto", "buying_role": None}


CODES = pd.DataFrame([
    code("A", 1, "barrier", "price", "Price"),
    code("A", 0, "motive", "compliance", "reports were great"),
    code("A", 0, "barrier", "price", "too expensive"),
    code("B", 0, "barrier", "price", "Preis war zu hoch"),
    code("C", 0, "motive", "cost_roi", "Billigt"),
    code("C", 0, "barrier", "price", "Billigt", polarity="negated"),
])


def test_quotes_for_a_code_carry_turn_text_speaker_and_attributes():
    q = quotes(CODES, TURNS, INTERVIEWS, code="price")
    assert q[["interview_id", "turn_index", "evidence"]].values.tolist() == [
        ["A", 0, "too expensive"], ["A", 1, "Price"], ["B", 0, "Preis war zu hoch"]]
    assert q["text"].iloc[0] == TURNS["text"].iloc[0] and q["speaker"].iloc[2] == "Bernd"
    assert q["segment"].tolist() == ["re", "re", "mf"] and "outcome" in q.columns


def test_group_filter_reproduces_a_matrix_cell():
    m = code_matrix(CODES, INTERVIEWS, "segment")
    n = m[(m["code"] == "price") & (m["group"] == "re")]["n_mentioning"].iloc[0]
    q = quotes(CODES, TURNS, INTERVIEWS, code="price", group={"segment": "re"})
    assert q["interview_id"].nunique() == n == 1
    missing = quotes(CODES, TURNS, INTERVIEWS, family="motive", group={"segment": "(missing)"})
    assert missing["interview_id"].tolist() == ["C"]


def test_polarity_family_interview_and_limit():
    assert quotes(CODES, TURNS, INTERVIEWS, code="price", polarity="negated")["interview_id"].tolist() == ["C"]
    assert len(quotes(CODES, TURNS, INTERVIEWS, code="price", polarity=None)) == 4
    assert set(quotes(CODES, TURNS, INTERVIEWS, family="motive")["code"]) == {"compliance", "cost_roi"}
    assert quotes(CODES, TURNS, INTERVIEWS, interview_id=["B"])["code"].tolist() == ["price"]
    assert len(quotes(CODES, TURNS, INTERVIEWS, family="barrier", limit=2)) == 2
    g = quotes(CODES, TURNS, INTERVIEWS, code="price", group={"country": ["SE", "DE"], "outcome": "lost"})
    assert g["interview_id"].tolist() == ["B"]


def test_unknown_group_column_is_an_error():
    with pytest.raises(StudyError, match="industry"):
        quotes(CODES, TURNS, INTERVIEWS, group={"industry": "x"})
