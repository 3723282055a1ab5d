"""buyerlab.evaluation and `buyerlab codebook evaluate`: the coder measured on hand-labelled turns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buyerlab.cli import main as cli_main
from buyerlab.codebook import load_codebook
from buyerlab.evaluation import evaluate, per_code

CODEBOOK = Path(__file__).parent / "fixtures" / "coding" / "codebook.yaml"


def _label(family: str, code: str, evidence: str, polarity: str = "present", **kw) -> dict:
    return {"family": family, "code": code, "evidence": evidence, "polarity": polarity, **kw}


# With the fixture codebook: t1 finds finance and price (both labelled), t2 finds price where
# the hand label says none (a false positive), t3 misses security (labelled "IT security
# people", no pattern), t4 says the price was not the issue (negated, right polarity).
TURNS = [
    {"id": "t1", "lang": "en", "text": "Our CFO said the price was the problem.",
     "labels": [_label("stakeholder", "finance", "Our CFO", buying_role="decider"),
                _label("barrier", "price", "the price was the problem")]},
    {"id": "t2", "lang": "en", "text": "We compared the price lists.", "labels": []},
    {"id": "t3", "lang": "en", "text": "The IT security people were involved.",
     "labels": [_label("stakeholder", "security", "The IT security people")]},
    {"id": "t4", "lang": "en", "text": "The price was never the issue.",
     "labels": [_label("barrier", "price", "The price was never the issue", "negated")]},
]


@pytest.fixture()
def labelled(tmp_path) -> Path:
    path = tmp_path / "en.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in TURNS) + "\n", encoding="utf-8")
    return path


def test_family_and_code_figures_count_turns(labelled):
    t = evaluate([labelled], load_codebook(CODEBOOK))
    row = lambda scope, fam: t[(t.scope == scope) & (t.lang == "all") & (t.family == fam)].iloc[0]  # noqa: E731
    barrier = row("turn", "barrier")
    assert (barrier.tp, barrier.fp, barrier.fn) == (1, 1, 0)  # t1 right, t2 wrong, t4 negated = not present
    stake = row("turn", "stakeholder")
    assert (stake.tp, stake.fp, stake.fn) == (1, 0, 1)
    micro = row("code", "micro")
    assert (micro.tp, micro.fp, micro.fn) == (2, 1, 1) and micro.f1 == pytest.approx(2 / 3)
    assert (t.attrs["polarity_total"], t.attrs["polarity_correct"]) == (1, 1)
    assert t.attrs["turns"] == 4


def test_per_code_lists_weakest_first(labelled):
    table = per_code([labelled], load_codebook(CODEBOOK))
    assert table["code"].tolist() == ["security", "price", "finance"]
    assert table.set_index("code").loc["price", ["tp", "fp", "fn"]].tolist() == [1, 1, 0]


def test_cli_prints_tables(labelled, capsys):
    assert cli_main(["codebook", "evaluate", str(labelled), "--codebook", str(CODEBOOK), "--per-code"]) == 0
    out = capsys.readouterr().out
    assert "turn-level F1 per family" in out and "(4 labelled turns, codebook 0.1.0)" in out
    assert "weakest F1 first" in out and "security" in out


def test_cli_refuses_codes_the_codebook_lacks(tmp_path, capsys):
    path = tmp_path / "en.jsonl"
    path.write_text(json.dumps({"text": "We loved it.", "labels": [_label("motive", "delight", "loved it")]}) + "\n",
                    encoding="utf-8")
    assert cli_main(["codebook", "evaluate", str(path), "--codebook", str(CODEBOOK)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("buyerlab: error: ") and "delight" in err and str(path) in err
