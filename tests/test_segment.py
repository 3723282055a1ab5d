"""Segments: respondent sentences grouped so each is about one thing, with exact offsets."""

from __future__ import annotations

import pandas as pd

from buyerlab.segment import MIN_WORDS, SEGMENT_COLUMNS, segment_turns


def _turns(rows):
    return pd.DataFrame(rows, columns=["interview_id", "turn_index", "role", "text"])


TURNS = _turns([
    ("UK01", 0, "interviewer", "What made you start looking for a new system at all?"),
    ("UK01", 1, "respondent", "  Yes. We had a real problem with the old spreadsheets, they broke every single month. "
                              "So. The CFO wanted a cheaper tool that our team could actually use every day. Right."),
    ("UK01", 2, "interviewer", "And the price?"),
    ("UK01", 3, "respondent", "Too expensive."),
    ("SE01", 0, "respondent", "Ja. Vi hade stora problem med det gamla systemet och det kostade alldeles för mycket. "
                              "Ekonomichefen sa nej till det första förslaget eftersom budgeten redan var slut för året."),
    ("DE01", 0, "respondent", "Also, ähm. Die IT-Sicherheit wollte genau wissen, wo die Daten gespeichert werden, "
                              "bevor wir unterschreiben konnten. Das hat Wochen gedauert, ehrlich gesagt, mindestens sechs."),
    ("DE01", 1, "other", "Entschuldigung, der Kaffee ist da."),
])
LANGS = {"UK01": "en", "SE01": "sv", "DE01": "de"}


def test_offsets_are_exact_slices_of_the_turn_text():
    seg = segment_turns(TURNS, LANGS)
    assert list(seg.columns) == SEGMENT_COLUMNS
    texts = TURNS.set_index(["interview_id", "turn_index"])["text"]
    for row in seg.itertuples():
        turn_text = texts[(row.interview_id, row.turn_index)]
        assert turn_text[row.char_start:row.char_end] == row.text
        assert row.text == row.text.strip()


def test_only_respondent_text_enters():
    seg = segment_turns(TURNS, LANGS)
    assert set(zip(seg.interview_id, seg.turn_index)) == {("UK01", 1), ("UK01", 3), ("SE01", 0), ("DE01", 0)}
    joined = " ".join(seg.text)
    assert "What made you start looking" not in joined
    assert "Kaffee" not in joined


def test_short_sentences_merge_with_a_neighbour():
    seg = segment_turns(TURNS, LANGS)
    uk = seg[(seg.interview_id == "UK01") & (seg.turn_index == 1)].sort_values("segment_index")
    # "Yes." joins the sentence after it, "So." the next one, and the trailing "Right." the one before it.
    assert uk.text.tolist() == [
        "Yes. We had a real problem with the old spreadsheets, they broke every single month.",
        "So. The CFO wanted a cheaper tool that our team could actually use every day. Right.",
    ]
    assert uk.segment_index.tolist() == [0, 1]
    # A turn that is one short sentence is still one segment, not dropped.
    assert seg[(seg.interview_id == "UK01") & (seg.turn_index == 3)].text.tolist() == ["Too expensive."]
    # Every segment of a multi-sentence turn has enough words to be about something.
    multi = seg[seg.turn_index.isin([1]) | seg.interview_id.isin(["SE01", "DE01"])]
    assert all(len(t.split()) >= MIN_WORDS for t in multi.text)


def test_long_sentences_stay_apart_and_languages_are_kept():
    seg = segment_turns(TURNS, LANGS)
    sv = seg[seg.interview_id == "SE01"]
    assert len(sv) == 2
    assert sv.text.iloc[0].startswith("Ja. Vi hade stora problem")
    assert sv.text.iloc[1].startswith("Ekonomichefen")
    assert set(sv.language) == {"sv"}
    assert set(seg[seg.interview_id == "DE01"].language) == {"de"}


def test_unknown_language_and_empty_text():
    turns = _turns([("X1", 0, "respondent", ""), ("X1", 1, "respondent", "One sentence only, but long enough here.")])
    seg = segment_turns(turns, {"X1": float("nan")})
    assert seg.text.tolist() == ["One sentence only, but long enough here."]
    assert seg.language.tolist() == ["en"]
    empty = segment_turns(turns.iloc[0:0], {})
    assert list(empty.columns) == SEGMENT_COLUMNS and len(empty) == 0
