"""Claims vs voiced motives, with a deterministic word-overlap embedder; claims.yaml validation."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from buyerlab.analysis.claims import Claim, claims_vs_motives, load_claims, quote_sentence
from buyerlab.errors import BuyerlabError, InputError

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample" / "claims.yaml"


class WordEmbedder:
    """Bag of lower-cased words, L2-normalised: similarities are easy to compute by hand."""

    def fit(self, texts):
        words = sorted({w for t in texts for w in re.findall(r"\w+", t.lower())})
        self.vocab = {w: i for i, w in enumerate(words)}
        return self

    def encode(self, texts):
        out = np.zeros((len(texts), len(self.vocab)))
        for i, t in enumerate(texts):
            for w in set(re.findall(r"\w+", t.lower())):
                if w in self.vocab:
                    out[i, self.vocab[w]] = 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


CLAIMS = [
    Claim("price", "Lowest price per meter", codes=["cost_roi"]),
    Claim("csrd", "CSRD reports out of the box", codes=["compliance"]),
    Claim("api", "Open API", "integration with BMS"),
]
INTERVIEWS = pd.DataFrame({"interview_id": ["A", "B", "C"], "segment": ["re", "re", "mf"]})
TURNS = pd.DataFrame({
    "interview_id": ["A", "B", "C"], "turn_index": [0, 0, 0], "speaker": ["a", "b", "c"],
    "text": ["Hello. The price per meter mattered most. Bye.",
             "We needed CSRD reports for the auditors.",
             "It had to be easy to use. Integration with our BMS was key."],
})


def span(iid, c, phrase):
    text = TURNS.loc[TURNS["interview_id"] == iid, "text"].iloc[0]
    s = text.index(phrase)
    return {"interview_id": iid, "turn_index": 0, "family": "motive", "code": c, "char_start": s,
            "char_end": s + len(phrase), "evidence": phrase, "polarity": "present"}


CODES = pd.DataFrame([
    span("A", "cost_roi", "price per meter"),
    span("B", "quality_accuracy", "CSRD reports"),
    span("C", "ease_of_use", "easy to use"),
    span("C", "integration", "Integration with our BMS"),
])


def test_quote_is_the_sentence_around_the_span():
    text = TURNS["text"].iloc[0]
    s = text.index("price")
    assert quote_sentence(text, s, s + 5) == "The price per meter mattered most."


def test_matches_by_code_and_by_embedding():
    r = claims_vs_motives(CLAIMS, CODES, TURNS, INTERVIEWS, embedder=WordEmbedder())
    assert r.method == "code+embedding"
    got = {(c, k): m for c, k, m in zip(r.quotes["claim_id"], r.quotes["code"], r.quotes["match"])}
    assert got == {("price", "cost_roi"): "code+embedding", ("csrd", "quality_accuracy"): "embedding",
                   ("api", "integration"): "embedding"}
    sims = r.quotes.set_index("claim_id")["similarity"]
    # by hand: 3 shared words of 4 and 6 -> 3/sqrt(24); 3 of 6 and 7 -> 3/sqrt(42); 3 of 5 and 6
    assert sims["price"] == pytest.approx(3 / np.sqrt(24))
    assert sims["csrd"] == pytest.approx(3 / np.sqrt(42))
    assert sims["api"] == pytest.approx(3 / np.sqrt(30))
    assert r.quotes.set_index("claim_id").loc["price", "quote"] == "The price per meter mattered most."
    assert r.unanswered["code"].tolist() == ["ease_of_use"]
    assert r.unanswered["example_quote"].iloc[0] == "It had to be easy to use."


def test_shares_per_group():
    r = claims_vs_motives(CLAIMS, CODES, TURNS, INTERVIEWS, by="segment", embedder=WordEmbedder())
    m = r.matches.set_index(["claim_id", "group"])
    assert m.loc[("price", "re"), "n_interviews_voicing"] == 1
    assert m.loc[("price", "re"), "share"] == pytest.approx(0.5)
    assert m.loc[("price", "mf"), "n_interviews_voicing"] == 0
    assert m.loc[("api", "mf"), "share"] == 1.0 and bool(m.loc[("api", "mf"), "small_group"])
    s = r.summary.set_index(["claim_id", "group"])
    assert s.loc[("csrd", "re"), "n_interviews_matched"] == 1 and s.loc[("csrd", "re"), "share"] == 0.5
    assert "segment" in r.matches.columns


def test_threshold_and_code_only_mode():
    strict = claims_vs_motives(CLAIMS, CODES, TURNS, INTERVIEWS, embedder=WordEmbedder(), threshold=0.5)
    assert set(strict.quotes["claim_id"]) == {"price", "api"}  # 0.46 for csrd falls below 0.5
    code_only = claims_vs_motives(CLAIMS, CODES, TURNS, INTERVIEWS, embedder=False)
    assert code_only.method == "code"
    assert code_only.quotes["match"].tolist() == ["code"]
    assert set(code_only.unanswered["code"]) == {"ease_of_use", "integration", "quality_accuracy"}
    # A claim nobody's motive answers still has a row in the summary, with zero interviews.
    assert code_only.summary.set_index("claim_id").loc["api", "n_interviews_matched"] == 0


def test_sample_claims_file_loads():
    claims = load_claims(SAMPLE)
    assert [c.id for c in claims] == ["realtime_data", "lowest_price_per_meter", "ai_anomaly_detection",
                                      "csrd_ready_reports", "open_api", "swedish_engineering"]
    assert claims[3].claim == "CSRD-ready reports out of the box" and claims[3].codes == ["compliance"]


@pytest.mark.parametrize("text,pattern", [
    ("claims:\n  - id: a\n    claim: x\n  - id: b\n", r"claims\.yaml:4: claim 2: b: 'claim'"),
    ("claims:\n  - id: a\n    claim: x\n  - id: a\n    claim: y\n",
     r":4: claim 2: duplicate id 'a' \(first used on line 2\)"),
    ("claims:\n  - id: a\n    claim: x\n    colour: red\n", r":2: claim 1: unknown key\(s\) \['colour'\]"),
    ("claims:\n  - id: Bad Id\n    claim: x\n", r":2: claim 1: 'id' must be"),
    ("claims:\n  - id: a\n    claim: x\n    codes: 3\n", r"'codes' must be a list"),
    ("claims: [\n", r"claims\.yaml:\d+: not valid YAML"),
    ("- id: a\n", r"claims\.yaml:1: expected a mapping with a 'claims' list"),
    ("claims: []\n", r"claims\.yaml:1: 'claims' must be a non-empty list"),
])
def test_invalid_claims_files_name_file_and_line(tmp_path, text, pattern):
    p = tmp_path / "claims.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=pattern) as info:
        load_claims(p)
    assert "\n" not in str(info.value)


def test_unknown_code_ids_with_a_codebook_and_missing_file(tmp_path):
    book = SimpleNamespace(codes=[SimpleNamespace(id="cost_roi", family="motive")])
    p = tmp_path / "claims.yaml"
    p.write_text("claims:\n  - id: a\n    claim: x\n    codes: [cost_roi, cheapness]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown code id\(s\) \['cheapness'\]"):
        load_claims(p, codebook=book)
    with pytest.raises(BuyerlabError, match="not found"):
        load_claims(tmp_path / "nope.yaml")


def test_sample_claims_are_valid_codebook_ids():
    codebook = pytest.importorskip("buyerlab.codebook")
    try:
        book = codebook.load_codebook()
    except BuyerlabError as exc:  # the default codebook is written by someone else
        pytest.skip(f"default codebook not available yet: {exc}")
    claims = load_claims(SAMPLE, codebook=book)
    motives = {c.id for c in book.codes if c.family == "motive"}
    assert {k for c in claims for k in c.codes} <= motives


QUOTES = {
    "compliance": "We had to produce CSRD reports for the auditors every year and it took weeks.",
    "cost_roi": "What mattered was the price per meter, it had to be the cheapest.",
    "integration": "It needed to connect to our building management system and SAP.",
    "risk_reduction": "We wanted to catch leaks and failing pumps before they cost us money.",
    "ease_of_use": "Honestly it had to be simple enough for the caretakers to use.",
    "vendor_trust": "We wanted a supplier we could trust for ten years.",
    "support_service": "Support in our own language mattered a lot.",
    "scalability": "It had to scale to all 300 of our sites.",
}


def test_default_embedding_backend_ranks_the_right_claim_first():
    pytest.importorskip("buyerlab.embeddings")
    claims = load_claims(SAMPLE)
    ids = [f"Q{i}" for i in range(len(QUOTES))]
    turns = pd.DataFrame({"interview_id": ids, "turn_index": 0, "text": list(QUOTES.values())})
    codes = pd.DataFrame([{"interview_id": i, "turn_index": 0, "family": "motive", "code": c,
                           "char_start": 0, "char_end": 5, "evidence": t[:5], "polarity": "present"}
                          for i, (c, t) in zip(ids, QUOTES.items())])
    interviews = pd.DataFrame({"interview_id": ids})
    r = claims_vs_motives(claims, codes, turns, interviews, threshold=-1.0)
    best = r.quotes.sort_values("similarity").groupby("code")["claim_id"].last()
    assert best["compliance"] == "csrd_ready_reports"
    assert best["cost_roi"] == "lowest_price_per_meter"
    assert best["integration"] == "open_api"
    default = claims_vs_motives(claims, codes, turns, interviews)
    assert default.method == "code+embedding" and default.threshold == pytest.approx(0.35)
    emb = default.quotes[default.quotes["match"].str.contains("embedding")]
    assert ("compliance", "csrd_ready_reports") in set(zip(emb["code"], emb["claim_id"]))


def test_two_spans_in_one_sentence_are_one_quote():
    codes = pd.concat([CODES, pd.DataFrame([span("A", "cost_roi", "mattered most")])], ignore_index=True)
    r = claims_vs_motives(CLAIMS, codes, TURNS, INTERVIEWS, embedder=False)
    assert len(r.quotes) == 1 and r.quotes["quote"].iloc[0] == "The price per meter mattered most."
