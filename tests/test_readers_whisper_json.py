"""Whisper / WhisperX JSON segments to turns."""

from pathlib import Path

import pytest

from buyerlab.errors import InputError
from buyerlab.readers import read_file
from buyerlab.readers.whisper_json import parse_whisper_json

FIX = Path(__file__).parent / "fixtures" / "readers"


def rows(turns):
    return [(t.speaker, t.text, t.start, t.end) for t in turns]


def test_openai_whisper_segments_without_speakers():
    [tr] = read_file(FIX / "whisper.json")
    assert tr.format == "whisper_json" and tr.interview_id == "whisper"
    assert tr.attributes == {"whisper_language": "en"}
    assert rows(tr.turns) == [
        (None, "Hello there.", 0.0, 2.5),
        (None, "How are you?", 2.5, 4.0),
        (None, "Fine.", 4.0, 5.2),
    ]


def test_whisperx_speakers_merge_and_blank_segments_dropped():
    [tr] = read_file(FIX / "whisperx.json")
    assert rows(tr.turns) == [
        ("SPEAKER_00", "Hej och välkommen. Hur började det?", 0.5, 4.0),
        ("SPEAKER_01", "Med en revision.", 4.2, 9.75),
        ("SPEAKER_00", "Tack.", 11.0, 12.5),
    ]


def test_bare_list_of_segments():
    assert rows(read_file(FIX / "segments_list.json")[0].turns) == [(None, "One.", 1.0, 2.0), ("A", "Two.", 2.0, 3.0)]


def test_text_only_response_is_parsed_as_text():
    turns, _ = parse_whisper_json('{"text": "Anna: Hi.\\nBo: Hello."}')
    assert [(t.speaker, t.text) for t in turns] == [("Anna", "Hi."), ("Bo", "Hello.")]


@pytest.mark.parametrize(
    "doc, needle",
    [
        ('{"foo": 1}', "expected Whisper"),
        ('"just a string"', "found a JSON str"),
        ('{"segments": {"a": 1}}', "'segments' must be a list"),
        ('{"segments": [1, 2]}', "segment 0 is a int"),
        ('{"segments": [{"text": 5}]}', "'text' must be a string"),
        ('{"segments": [{"text": "x", "start": "soon"}]}', "'start' must be a number"),
        ('{"segments": [{"text": "x", "start": NaN}]}', "'start' must be a number"),
        ('{"segments": [{"text": "  "}]}', "no segment with text"),
    ],
)
def test_wrong_shapes_say_what_was_expected(doc, needle):
    with pytest.raises(InputError) as err:
        parse_whisper_json(doc, "w.json")
    assert needle in str(err.value) and str(err.value).startswith("w.json: ")


def test_malformed_json_names_the_line():
    with pytest.raises(InputError) as err:
        parse_whisper_json('{\n  "segments": [\n    {"text": "a",}\n  ]\n}', "m.json")
    assert err.value.line == 3 and str(err.value).startswith("m.json:3: malformed JSON")
