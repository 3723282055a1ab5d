"""Figures carry the right data: node labels, link values, z values, marks, hover counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from buyerlab import charts
from buyerlab.analysis.claims import Claim, claims_vs_motives
from buyerlab.analysis.compare import code_matrix, outcome_comparison
from buyerlab.analysis.process import (
    buying_centre, interview_processes, process_flows, stakeholder_entry,
)
from buyerlab.errors import StudyError

INTERVIEWS = pd.DataFrame({
    "interview_id": ["A", "B", "C"], "segment": ["re", "re", "mf"],
    "outcome": ["won", "lost", "won"],
})
TURNS = pd.DataFrame({
    "interview_id": ["A", "A", "B", "C"], "turn_index": [0, 2, 0, 0],
    "text": ["We saw the problem. Our CFO joined.", "We compared suppliers.",
             "We saw the problem.", "Cheap was key."],
})


def c(iid, turn, fam, code, start=0, end=1, role=None):
    return {"interview_id": iid, "turn_index": turn, "family": fam, "code": code, "char_start": start,
            "char_end": end, "evidence": "x", "polarity": "present", "buying_role": role}


CODES = pd.DataFrame([
    c("A", 0, "stage", "problem_identification", 3, 18),
    c("A", 0, "stakeholder", "finance", 24, 27, "decider"),
    c("A", 2, "stage", "supplier_selection", 3, 21),
    c("B", 0, "stage", "problem_identification", 3, 18),
    c("B", 0, "stakeholder", "finance", 0, 2),
    c("C", 0, "motive", "cost_roi", 0, 5),
])


@pytest.fixture(scope="module")
def processes():
    return interview_processes(CODES, TURNS, INTERVIEWS)


def test_family_colours_cover_every_family():
    assert set(charts.FAMILY_COLORS) == {"trigger", "stakeholder", "motive", "barrier", "alternative", "stage"}
    assert len(set(charts.FAMILY_COLORS.values())) == 6


def test_sankey_nodes_and_links(processes):
    fig = charts.process_sankey(process_flows(processes), labels={"supplier_selection": "Supplier selection"})
    assert isinstance(fig, go.Figure)
    s = fig.data[0]
    labels = list(s.node.label)
    assert labels == ["Start", "Problem identification", "Supplier selection", "End: won", "End: lost"]
    links = {(labels[a], labels[b]): v for a, b, v in zip(s.link.source, s.link.target, s.link.value)}
    assert links == {("Start", "Problem identification"): 2, ("Problem identification", "Supplier selection"): 1,
                     ("Supplier selection", "End: won"): 1, ("Problem identification", "End: lost"): 1,
                     ("Start", "End: won"): 1}
    assert s.node.color[3] == charts.OUTCOME_COLORS["won"] and s.node.color[4] == charts.OUTCOME_COLORS["lost"]
    assert "n = 3 interviews" in fig.layout.title.text


def test_sankey_for_one_group_and_unknown_group(processes):
    flows = process_flows(processes, "segment")
    s = charts.process_sankey(flows, group="mf").data[0]
    assert list(s.node.label) == ["Start", "End: won"] and list(s.link.value) == [1]
    assert s.link.customdata[0][1] == pytest.approx(1.0)  # share of the group, for the hover
    with pytest.raises(StudyError, match="no group 'xx'"):
        charts.process_sankey(flows, group="xx")


def test_stage_timeline(processes):
    fig = charts.stage_timeline(processes, "A")
    bar = fig.data[0]
    assert list(bar.y) == ["1. Problem identification", "2. Supplier selection"]
    assert list(bar.base) == [0.0, 2.0] and list(bar.x) == [1.0, 1.0]
    assert "stakeholders: Finance" in bar.hovertext[0]
    assert "won" in fig.layout.title.text
    empty = charts.stage_timeline(processes, "C")
    assert len(empty.data) == 0 and "no decision stage" in empty.layout.annotations[0].text
    with pytest.raises(StudyError):
        charts.stage_timeline(processes, "Z")


def _big_matrix():
    ids = [f"I{i}" for i in range(40)]
    interviews = pd.DataFrame({"interview_id": ids, "segment": ["a"] * 20 + ["b"] * 20})
    codes = pd.DataFrame([c(i, 0, "motive", "cost_roi") for i in ids[:18] + ids[20:22]]
                         + [c(i, 0, "motive", "ease_of_use") for i in ids[:5] + ids[20:25]])
    return code_matrix(codes, interviews, "segment"), codes, interviews


def test_heatmap_values_and_significance_marks():
    m, _, _ = _big_matrix()
    fig = charts.motive_heatmap(m)
    h = fig.data[0]
    assert list(h.y) == ["Cost roi *", "Ease of use"]  # 18/20 vs 2/20 is significant; 5 vs 5 is not
    assert np.allclose(np.asarray(h.z, dtype=float), [[0.9, 0.1], [0.25, 0.25]])
    assert list(h.x) == ["a (n=20)", "b (n=20)"]
    assert h.customdata[0][0][0] == 18 and h.customdata[0][0][1] == 20
    assert h.text[0][0] == "90%"


def test_outcome_chart_bars_error_bars_and_marks():
    m, codes, interviews = _big_matrix()
    interviews = interviews.assign(outcome=["won"] * 20 + ["lost"] * 20)
    oc = outcome_comparison(codes, interviews)
    fig = charts.outcome_comparison_chart(oc)
    assert [t.name for t in fig.data] == ["won (n=20)", "lost (n=20)"]
    won = fig.data[0]
    assert list(won.y) == ["Cost roi *", "Ease of use"] and list(won.x) == pytest.approx([0.9, 0.25])
    assert won.marker.color == charts.OUTCOME_COLORS["won"]
    row = oc[(oc["code"] == "cost_roi") & (oc["group"] == "won")].iloc[0]
    assert won.error_x.array[0] == pytest.approx(row["ci_high"] - 0.9)


def test_buying_centre_map_roles_and_over_time(processes):
    fig = charts.buying_centre_map(buying_centre(CODES, INTERVIEWS))
    h = fig.data[0]
    assert list(h.x) == ["Decider", "Unspecified"] and list(h.y) == ["Finance"]
    assert np.asarray(h.z).tolist() == [[1, 1]]
    t = charts.buying_centre_map(stakeholder_entry(processes)).data[0]
    assert list(t.x) == ["Problem identification"] and np.asarray(t.z).tolist() == [[2]]


def test_claims_chart():
    claims = [Claim("cheap", "Lowest price", codes=["cost_roi"]), Claim("api", "Open API")]
    result = claims_vs_motives(claims, CODES, TURNS, INTERVIEWS, embedder=False)
    fig = charts.claims_chart(result)
    bars, unanswered = fig.data
    got = dict(zip(bars.y, bars.x))
    assert got == {"Lowest price": pytest.approx(1 / 3), "Open API": 0.0}
    assert list(unanswered.y) == []  # cost_roi is the only voiced motive, and it is answered


def test_timeline_from_a_csv_round_trip(processes, tmp_path):
    path = tmp_path / "processes.csv"
    processes.to_csv(path, index=False)
    fig = charts.stage_timeline(pd.read_csv(path), "A")
    assert "moved" not in fig.data[0].hovertext[0] and list(fig.data[0].marker.pattern.shape) == ["", ""]
