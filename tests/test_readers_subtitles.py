"""WebVTT and SRT: cues, voice tags, labels, merging and exact timings."""

from pathlib import Path

import pytest

from buyerlab.errors import InputError
from buyerlab.readers import read_file
from buyerlab.readers.subtitles import parse_srt, parse_vtt

FIX = Path(__file__).parent / "fixtures" / "readers"


def rows(turns):
    return [(t.speaker, t.text, t.start, t.end, t.line) for t in turns]


def test_vtt_voice_tags_merge_consecutive_cues_and_skip_blocks():
    [tr] = read_file(FIX / "voice.vtt")
    assert tr.interview_id == "voice" and tr.format == "vtt"
    assert rows(tr.turns) == [
        ("Emma Clarke", "Hello and welcome. How are you?", 1.0, 6.0, 10),
        ("Lars Berg", "Fine & busy. Really busy.", 6.0, 8.25, 18),
        ("Emma Clarke", "Good.", 9.0, 10.5, 22),
    ]


def test_vtt_name_prefixes_and_continuation_cues():
    assert rows(read_file(FIX / "labels.vtt")[0].turns) == [
        ("Marieke Jansen", "We looked at three vendors. The second was cheapest.", 1.0, 5.0, 3),
        ("Pieter de Vries", "Why not them?", 5.0, 7.0, 9),
        ("Marieke Jansen", "Support.", 7.0, 9.0, 12),
    ]


def test_vtt_two_voices_in_one_cue():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Anna>Hi</v> <v Bo>Hello</v>\n"
    assert rows(parse_vtt(text)) == [("Anna", "Hi", 1.0, 2.0, 3), ("Bo", "Hello", 1.0, 2.0, 3)]


def test_vtt_without_speakers_keeps_one_turn_per_cue():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nfirst\n\n00:02.000 --> 00:03.000\nsecond\n"
    assert rows(parse_vtt(text)) == [(None, "first", 1.0, 2.0, 3), (None, "second", 2.0, 3.0, 6)]


def test_vtt_requires_header_on_line_1():
    with pytest.raises(InputError) as err:
        parse_vtt("00:01.000 --> 00:02.000\nhi\n", "a.vtt")
    assert err.value.line == 1 and "WEBVTT" in str(err.value) and str(err.value).startswith("a.vtt:1:")


def test_vtt_header_with_text_and_no_cues_raises_on_read(tmp_path):
    p = tmp_path / "empty.vtt"
    p.write_text("WEBVTT\n\nNOTE nothing here\n", encoding="utf-8")
    with pytest.raises(InputError, match="no cue with text"):
        read_file(p)


def test_srt_labels_dashes_brackets():
    [tr] = read_file(FIX / "labels.srt")
    assert tr.format == "srt"
    assert rows(tr.turns) == [
        ("Emma Clarke", "Hello there. How are you?", 1.0, 6.0, 2),
        ("Priya Nair", "Fine.", 6.0, 8.0, 10),
        (None, "Really?", 8.0, 9.0, 14),
        (None, "Yes.", 8.0, 9.0, 14),
        ("Emma Clarke", "Good.", 9.0, 10.0, 19),
    ]


def test_srt_blank_line_inside_cue_text_continues_it():
    text = "1\n00:00:01,000 --> 00:00:02,000\nAnna: first part\n\nsecond part\n\n2\n00:00:02,000 --> 00:00:03,000\nBo: ok\n"
    assert [(t.speaker, t.text) for t in parse_srt(text)] == [("Anna", "first part second part"), ("Bo", "ok")]


def test_srt_crlf_and_bom(tmp_path):
    p = tmp_path / "w.srt"
    p.write_bytes("\ufeff1\r\n00:00:01,500 --> 00:00:02,000\r\nÅsa Öberg: Hej då\r\n".encode("utf-8"))
    assert rows(read_file(p)[0].turns) == [("Åsa Öberg", "Hej då", 1.5, 2.0, 2)]


def test_srt_end_before_start_is_refused():
    with pytest.raises(InputError) as err:
        parse_srt("1\n00:00:05,000 --> 00:00:01,000\nhi\n", "b.srt")
    assert err.value.line == 2 and "ends before it starts" in str(err.value)


def test_srt_arrow_in_continued_text_is_text():
    text = "1\n00:00:01,000 --> 00:00:02,000\nAnna: from A\n\nA -> B then\n"
    assert [t.text for t in parse_srt(text)] == ["from A A -> B then"]
