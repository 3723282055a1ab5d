"""The explorer apps driven from Python: set a control, check the figure and the tables follow."""

from __future__ import annotations

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from buyerlab import display, widgets
from buyerlab.errors import StudyError

TEXTS = {
    1: "First we saw the energy costs rise & <spike>. Then our CFO wanted a cheaper tool.",
    2: "We did not care about price. Finally we signed the contract with them.",
}


def _span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def frames() -> widgets.StudyFrames:
    """Six interviews in two segments and three countries, coded by hand."""
    interviews = pd.DataFrame({
        "interview_id": ["A1", "A2", "A3", "B1", "B2", "B3"],
        "segment": ["mfg", "mfg", "re", "re", "mfg", "re"],
        "country": ["UK", "UK", "SE", "SE", "DE", "DE"],
        "language": ["en"] * 6,
        "outcome": ["won", "lost", "won", "no_decision", "lost", "won"],
    })
    turns = []
    for iid in interviews["interview_id"]:
        turns.append(dict(interview_id=iid, turn_index=0, speaker="Emma", role="interviewer", start=0.0, end=1.0,
                          text="What happened first?", n_words=3, source_line=1))
        for t, text in TEXTS.items():
            turns.append(dict(interview_id=iid, turn_index=t, speaker=f"Buyer {iid}", role="respondent",
                              start=float(t), end=t + 1.0, text=text, n_words=len(text.split()), source_line=t + 1))
    turns = pd.DataFrame(turns)
    rows = []

    def add(iid, turn, family, code, phrase, polarity="present", role=None):
        s, e = _span(TEXTS[turn], phrase)
        rows.append(dict(interview_id=iid, turn_index=turn, family=family, code=code, char_start=s, char_end=e,
                         evidence=phrase, polarity=polarity, source="rule", confidence=0.9, coder="auto",
                         buying_role=role))

    for iid in ["A1", "A2", "A3", "B1"]:
        add(iid, 1, "stage", "problem_identification", "First we saw the energy costs rise")
        add(iid, 1, "motive", "cost_roi", "energy costs")
    for iid in ["A1", "A3", "B3"]:
        add(iid, 1, "stakeholder", "finance", "CFO", role="decider")
        add(iid, 2, "stage", "purchase", "we signed the contract")
    for iid in ["A2", "B2"]:
        add(iid, 2, "barrier", "price", "price", polarity="negated")
        add(iid, 1, "motive", "time_efficiency", "cheaper tool")
    add("B2", 2, "barrier", "switching_cost", "contract")
    add("A1", 2, "barrier", "switching_cost", "contract")
    return widgets.StudyFrames(interviews, turns, pd.DataFrame(rows))


def test_codes_explorer_family_control_changes_matrix_figure_and_table(frames):
    app = widgets.CodesExplorer(frames, family="motive", by="country")
    assert set(app.matrix["family"]) == {"motive"}
    assert set(app.matrix["code"]) == {"cost_roi", "time_efficiency"}
    assert app.matrix["share"].between(0, 1).all()
    assert "Time efficiency" in app.table["code"].tolist()

    app.controls["family"].value = "barrier"
    # Only present mentions count: the negated 'price' spans are no finding.
    assert set(app.matrix["code"]) == {"switching_cost"}
    assert app.table["code"].tolist() == ["Switching cost"]
    assert isinstance(app.figure, go.Figure)
    assert app.figure.data[0].type == "heatmap"
    assert app.figure.layout.title.text.startswith("Barrier")
    # The code choices follow the family.
    assert [v for _, v in app.controls["codes"].options] == ["price", "switching_cost"]


def test_codes_explorer_filters_and_grouping(frames):
    app = widgets.CodesExplorer(frames, family="motive", by="country")
    assert list(app.table.columns) == ["code", "DE", "SE", "UK", "q"]
    app.controls["segment"].value = "mfg"
    sizes = app.matrix.drop_duplicates("group").set_index("group")["n_interviews_in_group"]
    assert sizes.to_dict() == {"DE": 1, "UK": 2}
    app.controls["by"].value = "outcome"
    assert list(app.table.columns) == ["code", "won", "lost", "q"]
    cost = app.matrix[(app.matrix["code"] == "cost_roi")].set_index("group")["share"]
    assert cost.to_dict() == {"won": 1.0, "lost": 0.5}
    app.controls["codes"].value = ("time_efficiency",)
    assert set(app.matrix["code"]) == {"time_efficiency"}


def test_codes_explorer_cell_choice_shows_its_quotes_with_the_span_marked(frames):
    app = widgets.CodesExplorer(frames, family="motive", by="country")
    # Starts on a cell that has quotes.
    assert len(app.quotes) > 0
    app.controls["quote_code"].value = "cost_roi"
    app.controls["quote_group"].value = "SE"
    assert sorted(app.quotes["interview_id"]) == ["A3", "B1"]
    assert (app.quotes["country"] == "SE").all()
    assert all("<mark>energy costs</mark>" in q for q in app.quotes["quote"])
    # Escaped: the turn's '&' and '<spike>' cannot break the page.
    assert all("&amp; &lt;spike&gt;" in q for q in app.quotes["quote"])
    app.controls["quote_group"].value = "DE"
    assert app.quotes.empty


def test_codes_explorer_empty_filter_result_is_a_message_not_an_error(frames):
    app = widgets.CodesExplorer(frames, family="motive", by="country")
    app.controls["segment"].value = "re"
    app.controls["country"].value = "UK"  # no real-estate interview in the UK
    assert app.matrix.empty and app.quotes.empty
    assert "no interviews" in app.figure.layout.title.text


def test_transcript_reader_highlights_spans_per_family(frames):
    reader = widgets.TranscriptReader(frames, interview_id="A2")
    assert reader.html.count('class="bl-turn"') == 3
    assert 'data-code="time_efficiency"' in reader.html
    assert 'data-code="finance"' not in reader.html
    # Negated mentions are drawn dashed, present ones filled.
    price = reader.html.split('data-code="price"')[1].split(">")[0]
    assert "dashed" in price
    reader.controls["interview"].value = "A1"
    assert 'data-code="finance"' in reader.html and ">CFO</mark>" in reader.html
    reader.controls["families"].value = ("motive",)
    assert "bl-stakeholder" not in reader.html and "bl-motive" in reader.html
    assert set(reader.table["family"]) == {"motive"}
    reader.controls["show_interviewer"].value = False
    assert "What happened first?" not in reader.html


def test_highlight_nested_spans_keep_text_and_mark_the_narrowest():
    text = "a < b and costs rise"
    spans = pd.DataFrame({"char_start": [0, 10], "char_end": [20, 15], "family": ["stage", "motive"],
                          "code": ["problem_identification", "cost_roi"], "polarity": ["present", "present"]})
    out = widgets.highlight(text, spans)
    assert out.count("<mark") == 3
    assert 'data-code="cost_roi"' in out.split("costs")[0].rsplit("<mark", 1)[1]
    stripped = pd.Series([out]).str.replace(r"<[^>]+>", "", regex=True)[0]
    assert stripped == "a &lt; b and costs rise"


def test_process_explorer_controls(frames):
    app = widgets.ProcessExplorer(frames, by="segment", interview_id="A1")
    assert app.controls["group"].options == ("mfg", "re")
    assert app.figure.data[0].type == "sankey"
    assert "mfg" in app.figure.layout.title.text
    assert app.table["stage"].tolist() == ["Problem identification", "Purchase"]
    app.controls["group"].value = "re"
    assert "re" in app.figure.layout.title.text and "n = 3" in app.figure.layout.title.text
    app.controls["by"].value = "country"
    assert app.controls["group"].options == ("DE", "SE", "UK")
    app.controls["interview"].value = "B2"
    assert app.timeline.layout.title.text.startswith("B2")
    assert app.table["stage"].tolist() == ["(no stage coded)"]


def test_static_mode_shows_figure_html_instead_of_widgets(frames, monkeypatch):
    shown = []
    monkeypatch.setattr(display, "_display", shown.append)
    monkeypatch.setattr(display, "_state", {"plotlyjs_sent": False, "css_sent": False})
    monkeypatch.setenv(display.STATIC_ENV, "1")
    display.setup()
    display.setup()
    scripts = [s for s in shown if "<script" in getattr(s, "data", "")]
    assert len(scripts) == 1 and len(scripts[0].data) > 1_000_000  # plotly.js, once
    shown.clear()
    app = widgets.CodesExplorer(frames, family="motive", by="country")
    app._ipython_display_()
    html = "".join(getattr(s, "data", "") for s in shown)
    assert "Plotly.newPlot" in html and "plotly-graph-div" in html
    assert "Cost roi" in html  # the table
    assert app._view is None  # no widget was built


def test_table_html_formats_shares_and_escapes():
    frame = pd.DataFrame({"code": ["<b>x</b>"], "share": [0.256], "n": [3]})
    out = display.table_html(frame)
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "26%" in out and '<td class="num">3</td>' in out
    long = pd.DataFrame({"a": range(100)})
    assert "first 60 of 100 rows" in display.table_html(long)


def test_study_counts_and_overview_chart(frames):
    counts = widgets.study_counts(frames.interviews)
    assert counts.groupby("attribute")["n_interviews"].sum().eq(6).all()
    assert counts.set_index(["attribute", "value"]).loc[("outcome", "won"), "n_interviews"] == 3
    fig = widgets.overview_chart(frames.interviews)
    assert [t.name for t in fig.data] == ["won", "lost", "no decision"]
    assert sum(sum(t.y) for t in fig.data) == 6


def test_ingest_warnings_lists_refusals_and_warnings(tmp_path):
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "output").mkdir()
    report = {"files": [
        {"file": "transcripts/a.txt", "status": "used", "warnings": ["no speaker labels"]},
        {"file": "transcripts/b.pdf", "status": "refused", "reason": "b.pdf: unknown format", "warnings": []},
    ], "missing_transcripts": ["X9"], "missing_metadata": [], "metadata_warnings": []}
    (tmp_path / "output" / "ingest_report.json").write_text(json.dumps(report), encoding="utf-8")
    table = widgets.ingest_warnings(tmp_path)
    assert table["status"].tolist() == ["warning", "refused", "warning"]
    assert "X9" in table["message"].iloc[2]
    with pytest.raises(StudyError, match="ingest_report.json"):
        widgets.ingest_warnings(tmp_path / "transcripts")


def _topics() -> tuple[pd.DataFrame, pd.DataFrame]:
    topics = pd.DataFrame({
        "topic": [-1, 0, 1], "label": ["outliers", "meters / data", "contract / price"], "keywords": [
            ["x"], ["meters", "data"], ["contract", "price"]], "size": [5, 12, 7],
        "mapped_code": [None, "integration", None], "mapped_family": [None, "motive", None],
        "code_similarity": [None, 0.6, None], "nearest_code": [None, "integration", "price"],
        "nearest_similarity": [None, 0.6, 0.3],
        "representative_quotes": [[], ["We need the meter data."], ["The contract was too long."]],
    })
    per_class = pd.DataFrame({
        "by": ["segment"] * 4 + ["country"] * 2, "class": ["mfg", "mfg", "re", "re", "UK", "SE"],
        "topic": [0, 1, 0, 1, 0, 1], "count": [8, 2, 4, 5, 12, 7], "share": [0.8, 0.2, 4 / 9, 5 / 9, 1.0, 1.0],
    })
    return topics, per_class


def test_themes_explorer_by_and_topic_controls():
    topics, per_class = _topics()
    app = widgets.ThemesExplorer((topics, per_class), by="segment")
    assert list(app.figure.data[0].x) == ["mfg", "re"]
    assert app.controls["topic"].value == 0  # largest first
    assert app.table["quote"].tolist() == ["We need the meter data."]
    app.controls["topic"].value = 1
    assert "not covered by any code" in app.caption
    app.controls["by"].value = "country"
    assert list(app.figure.data[0].x) == ["SE", "UK"]
    sizes = widgets.topic_sizes_chart(topics)
    assert len(sizes.data[0].y) == 2  # outliers left out


def test_reliability_without_human_coding_says_so(tmp_path):
    (tmp_path / "transcripts").mkdir()
    result = widgets.reliability_tables(tmp_path)
    assert result["agreement"] is None and result["disagreements"] is None
    assert "No human coding" in result["message"] and "buyerlab qda import" in result["message"]


def test_suggested_codes_are_the_uncovered_topics(tmp_path):
    (tmp_path / "transcripts").mkdir()
    (tmp_path / "output").mkdir()
    topics, per_class = _topics()
    topics.to_parquet(tmp_path / "output" / "topics.parquet")
    per_class.to_parquet(tmp_path / "output" / "topics_per_class.parquet")
    table = widgets.suggested_codes(tmp_path)
    # Topic 0 is attached to 'integration' and -1 holds the outliers: only topic 1 is new.
    assert len(table) == 1 and table["size"].tolist() == [7]
    assert table["example"].tolist() == ["The contract was too long."]
    assert table["id"].iloc[0].startswith("new_")
