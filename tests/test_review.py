"""Review decisions: stored apart, applied on read, surviving re-runs of the coding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from buyerlab.corpus import Corpus
from buyerlab.qda import human_rows, save_human_codes
from buyerlab.review import (
    ReviewError,
    add_code,
    code_id,
    code_ids,
    decide,
    effective_codes,
    parse_code_id,
    review_path,
    review_status,
    stale_decisions,
)
from buyerlab.study import Study

FIX = Path(__file__).parent / "fixtures" / "qda"


@pytest.fixture
def study(qda_study) -> Study:
    return qda_study


def _row(corpus, iid, tix, phrase, code, family, coder="auto"):
    text = corpus.interview(iid).set_index("turn_index").at[tix, "text"]
    s = text.index(phrase)
    return dict(interview_id=iid, turn_index=tix, family=family, code=code, char_start=s, char_end=s + len(phrase),
                evidence=phrase)


def _auto(study: Study) -> pd.DataFrame:
    corpus = Corpus.load(study)
    codes = human_rows([_row(corpus, "A1", 1, "CFO", "finance", "stakeholder"),
                        _row(corpus, "A1", 1, "price", "price", "barrier"),
                        _row(corpus, "A1", 3, "finance", "finance", "stakeholder"),
                        _row(corpus, "A2", 1, "price", "price", "barrier")], "auto").assign(source="rule", confidence=0.7)
    codes.to_parquet(study.output("codes.parquet"), index=False)
    return codes


def test_code_id_is_stable_and_parses():
    assert code_id("UK:01", 3, "price", 10, 15) == "UK:01:3:price:10-15"
    assert parse_code_id("UK:01:3:price:10-15") == ("UK:01", 3, "price", 10, 15)
    with pytest.raises(ReviewError, match="malformed"):
        parse_code_id("nonsense")


def test_reject_accept_add_and_human_wins(study):
    auto = _auto(study)
    corpus = Corpus.load(study)
    ids = code_ids(auto).tolist()
    decide(study, "rita", "reject", [ids[1]])
    decide(study, "rita", "accept", [ids[0]])
    added = add_code(study, "rita", "A1", 3, "Cost and ROI", quote="save money")
    save_human_codes(study, human_rows([_row(corpus, "A2", 1, "The price was fine", "price", "barrier")], "alice"))
    eff = effective_codes(study)
    got = {(r.interview_id, r.turn_index, r.code, r.evidence, r.source, r.coder) for r in eff.itertuples()}
    assert got == {
        ("A1", 1, "finance", "CFO", "rule", "auto"),                       # accepted
        ("A1", 3, "finance", "finance", "rule", "auto"),                   # unreviewed
        ("A1", 3, "cost_roi", "save money", "human", "rita"),              # added by the reviewer
        ("A2", 1, "price", "The price was fine", "human", "alice"),        # human code replaces the overlapping auto one
    }
    assert added["id"] in set(code_ids(eff))
    # Decisions live apart from the automatic output, one JSON line each.
    lines = review_path(study, "rita").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x)["action"] for x in lines] == ["reject", "accept", "add"]
    status = review_status(study).set_index("id")["status"]
    assert status[ids[0]] == "accepted" and status[ids[1]] == "rejected" and status[ids[2]] == "unreviewed"


def test_latest_decision_wins_and_reset(study):
    auto = _auto(study)
    target = code_ids(auto).iloc[2]
    decide(study, "rita", "reject", [target])
    decide(study, "sam", "accept", [target])
    assert target in set(code_ids(effective_codes(study)))
    decide(study, "rita", "reject", [target])
    assert target not in set(code_ids(effective_codes(study)))
    decide(study, "rita", "reset", [target])
    assert target in set(code_ids(effective_codes(study)))


def test_unknown_id_and_bad_add_are_refused(study):
    _auto(study)
    with pytest.raises(ReviewError, match="no automatic or added code"):
        decide(study, "rita", "reject", ["A1:1:price:0-3"])
    with pytest.raises(ReviewError, match="quote not found"):
        add_code(study, "rita", "A1", 1, "price", quote="never said")
    with pytest.raises(ReviewError, match="not in the codebook"):
        add_code(study, "rita", "A1", 1, "pricing", char_start=0, char_end=3)
    with pytest.raises(ReviewError, match="offsets"):
        add_code(study, "rita", "A1", 1, "price", char_start=5, char_end=500)
    assert not review_path(study, "rita").exists()


@pytest.mark.slow
def test_decisions_survive_a_rerun_of_the_coding(study):
    from buyerlab.coding import code_study

    first = code_study(study, progress=False)
    assert len(first) >= 5
    rejected = code_ids(first).iloc[0]
    decide(study, "rita", "reject", [rejected])
    added = add_code(study, "rita", "A2", 3, "procurement", quote="Our finance director signed")
    before = effective_codes(study)
    shutil.rmtree(study.output_dir / ".cache")  # recompute from scratch, rewriting codes.parquet
    again = code_study(study, progress=False)
    assert rejected in set(code_ids(again))  # the coder still finds it ...
    after = effective_codes(study)
    assert rejected not in set(code_ids(after))  # ... and the decision still removes it
    assert added["id"] in set(code_ids(after))
    pd.testing.assert_frame_equal(before, after)
    assert stale_decisions(study).empty


def test_cli_review(study, capsys):
    from buyerlab.cli import main

    auto = _auto(study)
    target = code_ids(auto).iloc[1]
    assert main(["review", str(study.path), "--reviewer", "rita", "reject", target]) == 0
    assert main(["review", str(study.path), "--reviewer", "rita", "add", "A1", "5", "finance", "--quote",
                 "Acme AB"]) == 0
    assert main(["review", str(study.path), "list", "--status", "rejected"]) == 0
    out = capsys.readouterr().out
    assert target in out and "1 code(s)" in out
    assert main(["review", str(study.path), "reject", target]) == 2
    assert "--reviewer" in capsys.readouterr().err
    assert main(["review", str(study.path), "--reviewer", "rita", "accept", "A9:0:x:0-1"]) == 2
    eff = effective_codes(study)
    assert target not in set(code_ids(eff)) and "Acme AB" in set(eff["evidence"])


def test_analyses_and_notebook_apps_read_what_the_reviewer_decided(study):
    from buyerlab.analysis import analyse_study
    from buyerlab.widgets import load_frames

    auto = _auto(study)
    decide(study, "rita", "reject", code_ids(auto[auto["code"] == "price"]).tolist())
    assert "price" not in set(load_frames(study).codes["code"])
    matrix = analyse_study(study, embedder=False)["matrix_by_segment"]
    assert "price" not in set(matrix["code"]) or (matrix.loc[matrix["code"] == "price", "n_mentioning"] == 0).all()
