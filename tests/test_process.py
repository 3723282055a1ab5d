"""Decision processes from a hand-made corpus whose sequences and flows are worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from buyerlab.analysis.process import (
    DEFAULT_STAGE_ORDER, buying_centre, find_cue, interview_processes, process_flows, stage_reach,
    stakeholder_entry, stall_points,
)
from buyerlab.errors import StudyError

# (interview, turn, speaker role, text, [(family, code, phrase, buying_role)])
SCRIPT = [
    ("A", 0, "interviewer", "How did it start?", []),
    ("A", 1, "respondent", "Our energy bills doubled last winter. We realised we had no idea where the energy went.",
     [("trigger", "cost_pressure", "energy bills doubled", None),
      ("stage", "problem_identification", "realised we had no idea", None)]),
    ("A", 2, "interviewer", "What happened next?", []),
    ("A", 3, "respondent", "We compared three suppliers and our CFO wanted the cheapest.",
     [("stage", "supplier_selection", "compared three suppliers", None),
      ("stakeholder", "finance", "CFO", "decider"),
      ("motive", "cost_roi", "cheapest", None)]),
    ("A", 4, "respondent", "Before that we wrote a list of requirements with IT.",
     [("stage", "requirements_building", "wrote a list of requirements", None),
      ("stakeholder", "it", "IT", "influencer")]),
    ("A", 5, "respondent", "Then we ran a pilot in two buildings.",
     [("stage", "validation", "ran a pilot", None)]),
    ("A", 6, "respondent", "After six months we signed the contract.",
     [("stage", "purchase", "signed the contract", None)]),
    ("B", 0, "respondent", "Meter reading by hand was a mess.",
     [("stage", "problem_identification", "Meter reading by hand was a mess", None)]),
    ("B", 1, "respondent", "We compared suppliers, the price was too high.",
     [("stage", "supplier_selection", "compared suppliers", None),
      ("barrier", "price", "price was too high", None)]),
    ("B", 2, "respondent", "We had to go back and rewrite the requirements with IT.",
     [("stage", "requirements_building", "rewrite the requirements", None),
      ("stakeholder", "it", "IT", None)]),
    ("B", 3, "respondent", "We compared suppliers again.",
     [("stage", "supplier_selection", "compared suppliers again", None)]),
    ("C", 0, "respondent", "The problem was our ESG report. The problem was big.",
     [("stage", "problem_identification", "The problem was our ESG report", None),
      ("stage", "problem_identification", "The problem was big", None)]),
    ("C", 1, "respondent", "Vi tittade sedan på marknaden.",
     [("stage", "solution_exploration", "tittade sedan på marknaden", None),
      ("stakeholder", "finance", "marknaden", None)]),
    ("D", 0, "respondent", "It had to be easy to use.", [("motive", "ease_of_use", "easy to use", None)]),
]
INTERVIEWS = pd.DataFrame({
    "interview_id": ["A", "B", "C", "D"],
    "segment": ["re", "mf", "re", "mf"],
    "country": ["SE", "SE", "DE", "DE"],
    "outcome": ["won", "lost", "no_decision", "won"],
    "n_words": [1, 2, 3, 4],
})


def build():
    turns, codes = [], []
    for iid, ti, role, text, spans in SCRIPT:
        turns.append({"interview_id": iid, "turn_index": ti, "speaker": "X", "role": role,
                      "start": float(ti * 10), "end": float(ti * 10 + 9), "text": text})
        for fam, code, phrase, brole in spans:
            s = text.index(phrase)
            codes.append({"interview_id": iid, "turn_index": ti, "family": fam, "code": code,
                          "char_start": s, "char_end": s + len(phrase), "evidence": phrase,
                          "polarity": "present", "source": "rule", "confidence": 1.0, "coder": "auto",
                          "buying_role": brole})
    return pd.DataFrame(turns), pd.DataFrame(codes)


@pytest.fixture(scope="module")
def frames():
    turns, codes = build()
    return turns, codes, interview_processes(codes, turns, INTERVIEWS, DEFAULT_STAGE_ORDER)


def seq(processes, iid):
    return processes[processes["interview_id"] == iid].sort_values("step")["stage"].tolist()


def test_cue_moves_retrospective_stage_earlier(frames):
    _, _, p = frames
    assert seq(p, "A") == ["problem_identification", "requirements_building", "supplier_selection",
                           "validation", "purchase"]
    rb = p[(p["interview_id"] == "A") & (p["stage"] == "requirements_building")].iloc[0]
    assert rb["moved"] == "earlier" and rb["cues"] == "before that"


def test_loop_without_cue_is_kept_and_repeats_collapse(frames):
    _, _, p = frames
    assert seq(p, "B") == ["problem_identification", "supplier_selection", "requirements_building",
                           "supplier_selection"]
    assert seq(p, "C") == ["problem_identification", "solution_exploration"]
    c0 = p[(p["interview_id"] == "C") & (p["step"] == 0)].iloc[0]
    assert c0["n_mentions"] == 2


def test_codes_land_in_the_step_of_their_span(frames):
    _, _, p = frames
    a = p[p["interview_id"] == "A"].set_index("stage")
    # The trigger is spoken before any stage: it belongs to the first step.
    assert a.loc["problem_identification", "triggers"] == "cost_pressure"
    assert a.loc["supplier_selection", "stakeholders"] == "finance"
    assert a.loc["supplier_selection", "motives"] == "cost_roi"
    assert a.loc["requirements_building", "stakeholders"] == "it"
    assert a.loc["validation", "stakeholders"] == ""
    assert set(p.columns) >= {"outcome", "segment", "country"} and "n_words" not in p.columns


def test_interview_without_stages_still_has_a_row(frames):
    _, _, p = frames
    d = p[p["interview_id"] == "D"]
    assert len(d) == 1 and pd.isna(d["stage"].iloc[0]) and d["motives"].iloc[0] == "ease_of_use"


def test_flows_counted_by_hand(frames):
    _, _, p = frames
    f = process_flows(p)
    got = {(s, t): c for s, t, c in zip(f["source"], f["target"], f["count"])}
    assert got == {
        ("start", "problem_identification"): 3,
        ("problem_identification", "requirements_building"): 1,
        ("requirements_building", "supplier_selection"): 2,
        ("supplier_selection", "validation"): 1,
        ("validation", "purchase"): 1,
        ("purchase", "end: won"): 1,
        ("problem_identification", "supplier_selection"): 1,
        ("supplier_selection", "requirements_building"): 1,
        ("supplier_selection", "end: lost"): 1,
        ("problem_identification", "solution_exploration"): 1,
        ("solution_exploration", "end: no_decision"): 1,
        ("start", "end: won"): 1,
    }
    assert set(f["n_interviews_in_group"]) == {4}


def test_flows_without_revisits_drop_the_loop(frames):
    _, _, p = frames
    f = process_flows(p, revisits=False)
    b = {(s, t) for s, t in zip(f["source"], f["target"])}
    # B: pi -> ss -> rb -> ss becomes pi -> ss -> rb -> end
    assert ("requirements_building", "end: lost") in b and ("supplier_selection", "end: lost") not in b
    assert f.loc[(f["source"] == "requirements_building") & (f["target"] == "supplier_selection"),
                 "count"].tolist() == [1]  # only A now


def test_flows_in_process_order_have_no_backward_link(frames):
    _, _, p = frames
    f = process_flows(p, canonical=True)
    got = {(s, t): c for s, t, c in zip(f["source"], f["target"], f["count"])}
    # B said pi -> ss -> rb -> ss; in process order it reached pi, rb, ss and stopped there.
    assert got == {
        ("start", "problem_identification"): 3,
        ("problem_identification", "requirements_building"): 2,
        ("requirements_building", "supplier_selection"): 2,
        ("supplier_selection", "validation"): 1,
        ("validation", "purchase"): 1,
        ("purchase", "end: won"): 1,
        ("supplier_selection", "end: lost"): 1,
        ("problem_identification", "solution_exploration"): 1,
        ("solution_exploration", "end: no_decision"): 1,
        ("start", "end: won"): 1,
    }


def test_flows_by_group(frames):
    _, _, p = frames
    f = process_flows(p, "segment")
    re_ = f[f["group"] == "re"]
    assert re_["n_interviews_in_group"].iloc[0] == 2
    start = re_[(re_["source"] == "start")]
    assert start["count"].tolist() == [2] and start["share"].tolist() == [1.0]
    assert (f[f["group"] == "mf"]["target"] == "end: lost").sum() == 1


def test_stage_reach_shares(frames):
    _, _, p = frames
    r = stage_reach(p).set_index("stage")
    assert r.loc["problem_identification", "n_reaching"] == 3
    assert r.loc["supplier_selection", "share"] == pytest.approx(0.5)
    assert r.loc["onboarding", "n_reaching"] == 0  # every stage listed, even unreached
    assert r["small_group"].all()  # 4 interviews < 5: flagged, not hidden
    assert list(r.index[:3]) == DEFAULT_STAGE_ORDER[:3]


def test_stall_points(frames):
    _, _, p = frames
    s = stall_points(p)
    assert s[["outcome", "last_stage", "n_interviews", "interview_ids"]].values.tolist() == [
        ["lost", "supplier_selection", 1, "B"],
        ["no_decision", "solution_exploration", 1, "C"],
    ]


def test_buying_centre_and_entry(frames):
    turns, codes, p = frames
    bc = buying_centre(codes, INTERVIEWS, "segment")
    rows = {(g, s, r): n for g, s, r, n in zip(bc["group"], bc["stakeholder"], bc["buying_role"], bc["n_interviews"])}
    assert rows == {("re", "finance", "decider"): 1, ("re", "it", "influencer"): 1,
                    ("re", "finance", "unspecified"): 1, ("mf", "it", "unspecified"): 1}
    e = stakeholder_entry(p)
    it = e[e["stakeholder"] == "it"].set_index("entry_stage")["n_interviews"].to_dict()
    assert it == {"requirements_building": 2}
    fin = e[e["stakeholder"] == "finance"].set_index("entry_stage")["n_interviews"].to_dict()
    assert fin == {"supplier_selection": 1, "solution_exploration": 1}


@pytest.mark.parametrize("text,phrase,expected", [
    ("First we compared suppliers, then we ran a pilot.", "compared suppliers", ("earlier", "First")),
    ("First we compared suppliers, then we ran a pilot.", "ran a pilot", ("later", "then")),
    ("We compared suppliers first and then ran a pilot.", "compared suppliers", ("earlier", "first")),
    ("We compared suppliers first and then ran a pilot.", "ran a pilot", ("later", "then")),
    ("Zuerst haben wir Anforderungen gesammelt.", "Anforderungen gesammelt", ("earlier", "Zuerst")),
    ("Danach kam die Pilotphase.", "Pilotphase", ("later", "Danach")),
    ("Nach sechs Monaten haben wir unterschrieben.", "unterschrieben", ("later", "Nach sechs Monaten")),
    ("Efter tre månader skrev vi på avtalet.", "skrev vi på", ("later", "Efter tre månader")),
    ("Vi letade efter en leverantör.", "letade", (None, None)),  # "efter" alone is not a cue
    ("We were then-ish unsure.", "unsure", ("later", "then")),
    ("Our CFO was worried.", "worried", (None, None)),
])
def test_find_cue(text, phrase, expected):
    s = text.index(phrase)
    assert find_cue(text, s, s + len(phrase)) == expected


def test_missing_outcome_column_is_a_named_group_and_missing_by_column_is_an_error(frames):
    turns, codes, _ = frames
    p = interview_processes(codes, turns, INTERVIEWS.drop(columns="outcome"))
    assert "end: (missing)" in set(process_flows(p)["target"])
    with pytest.raises(StudyError, match="company_size"):
        process_flows(p, "company_size")


def test_negated_stage_does_not_count(frames):
    turns, codes, _ = frames
    codes = codes.copy()
    codes.loc[(codes["interview_id"] == "A") & (codes["code"] == "purchase"), "polarity"] = "negated"
    p = interview_processes(codes, turns, INTERVIEWS)
    assert seq(p, "A")[-1] == "validation"


def _one(text_spans, stage_order=None):
    turns = pd.DataFrame({"interview_id": "E", "turn_index": range(len(text_spans)),
                          "text": [t for t, _ in text_spans]})
    rows = []
    for ti, (text, spans) in enumerate(text_spans):
        for code, phrase in spans:
            s = text.index(phrase)
            rows.append({"interview_id": "E", "turn_index": ti, "family": "stage", "code": code,
                         "char_start": s, "char_end": s + len(phrase), "polarity": "present"})
    p = interview_processes(pd.DataFrame(rows), turns, pd.DataFrame({"interview_id": ["E"]}), stage_order)
    return p


def test_later_cue_moves_a_stage_forward():
    p = _one([("Eventually we signed the contract.", [("purchase", "signed the contract")]),
              ("We ran a pilot.", [("validation", "ran a pilot")])])
    assert p["stage"].tolist() == ["validation", "purchase"]
    assert p["moved"].tolist() == ["", "later"] and p["outcome"].tolist() == ["(missing)"] * 2


def test_custom_stage_order_and_unknown_stages():
    order = ["look", "buy"]
    p = _one([("We bought it.", [("buy", "bought")]),
              ("Before that we had a look, and a chat.", [("look", "had a look"), ("chat", "a chat")])],
             stage_order=order)
    # "look" moves before "buy"; "chat" is not in the order, so it ranks after it and stays.
    assert p["stage"].tolist() == ["look", "buy", "chat"]
    assert p["stage_index"].tolist() == [0, 1, 2]
