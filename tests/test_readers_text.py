"""Plain-text transcripts: style detection and exact turns on a fixture of every style."""

from pathlib import Path

import pytest

from buyerlab.errors import InputError
from buyerlab.readers import SUPPORTED_SUFFIXES, detect_style, parse_turns, read_file
from buyerlab.readers.turns import parse_turns_with_style

FIX = Path(__file__).parent / "fixtures" / "readers"


def triples(turns):
    return [(t.speaker, t.text, t.start, t.line) for t in turns]


def test_colon_style_joins_lines_and_keeps_paragraph_breaks():
    [tr] = read_file(FIX / "colon.txt")
    assert tr.interview_id == "colon" and tr.format == "text" and tr.warnings == []
    assert triples(tr.turns) == [
        ("Interviewer", "Thanks for joining. Could you describe your role?", None, 1),
        (
            "Anna Svensson",
            "Sure. I run facilities for three sites.\nWe met at 10:30 on Monday. Note: this line continues Anna's turn.",
            None,
            4,
        ),
        ("Interviewer", "And who decided?", None, 10),
        ("Anna Svensson", "Our CFO did.", None, 11),
    ]


def test_otter_style():
    [tr] = read_file(FIX / "otter.txt")
    assert triples(tr.turns) == [
        ("Emma Clarke", "Hello, thanks for joining.", 5.0, 1),
        ("Gareth Hughes", "Happy to help. It started in 2023.", 62.0, 4),
        ("Emma Clarke", "Great.", 3723.0, 8),
    ]


def test_speaker_n_style():
    turns, style = parse_turns_with_style((FIX / "speaker_n.txt").read_text())
    assert style == "header"
    assert triples(turns) == [
        ("Speaker 1", "Welcome.", 0.0, 1),
        ("Speaker 2", "Thank you.", 7.0, 4),
        ("Speaker 1", "Let's start.", 12.0, 7),
    ]


def test_rev_styles():
    assert triples(read_file(FIX / "rev.txt")[0].turns) == [
        ("EMMA CLARKE", "How did it start?", 62.0, 1),
        ("KLAUS WEBER", "With an audit. Then the board asked.", 70.0, 4),
    ]
    assert triples(read_file(FIX / "rev_paren.txt")[0].turns) == [
        ("Emma Clarke", "How did it start?", 5.0, 1),
        ("Klaus Weber", "With an audit.", 12.0, 4),
        ("Emma Clarke", "And then?", 60.0, 7),
    ]


def test_bracket_style_keeps_prose_colons_in_text():
    assert triples(read_file(FIX / "bracket.txt")[0].turns) == [
        ("Pieter de Vries", "Can you introduce yourself?", 2.0, 1),
        ("Joost Hendriks", "Sure: I'm the technical director.", 8.0, 2),
        ("Joost Hendriks", "We had meters.", 72.0, 3),  # not merged: the corpus step decides
        (None, "The thing is: nobody read them.", 90.0, 4),
    ]


def test_timestamp_prefix_style():
    assert triples(read_file(FIX / "timestamp.txt")[0].turns) == [
        ("Pieter", "Can you introduce yourself?", 2.0, 1),
        ("Joost", "Sure.", 8.0, 2),
        ("Pieter", "Thanks.", 3723.0, 3),
    ]


def test_paragraphs_style_ignores_note_and_times():
    [tr] = read_file(FIX / "paragraphs.txt")
    assert triples(tr.turns) == [
        (None, "We started looking in March. The old system was slow.", None, 1),
        (None, "Note: the quote was too high.", None, 4),
        (None, "At 10:30 we met the vendor. Summary: it went well.", None, 6),
    ]
    assert tr.warnings and "no speaker labels" in tr.warnings[0]


@pytest.mark.parametrize(
    "name, style",
    [
        ("colon.txt", "colon"),
        ("otter.txt", "header"),
        ("rev.txt", "header"),
        ("rev_paren.txt", "header"),
        ("bracket.txt", "bracket"),
        ("timestamp.txt", "timestamp"),
        ("paragraphs.txt", "paragraphs"),
    ],
)
def test_detect_style(name, style):
    assert detect_style((FIX / name).read_text(encoding="utf-8")) == style


def test_single_turn_file_with_one_label():
    assert triples(parse_turns("Anna Berg: Just one answer.")) == [("Anna Berg", "Just one answer.", None, 1)]


def test_prose_label_once_is_not_a_speaker():
    text = "The main thing is: we needed it.\n\nAnd then it was bought."
    assert [t.speaker for t in parse_turns(text)] == [None, None]


def test_preamble_before_first_label_is_a_turn_without_speaker():
    text = "Interview 12, recorded in March\n\nQ: Why?\nA: Cost.\nQ: Who?\nA: The CFO."
    turns = parse_turns(text)
    assert [(t.speaker, t.text) for t in turns] == [
        (None, "Interview 12, recorded in March"),
        ("Q", "Why?"),
        ("A", "Cost."),
        ("Q", "Who?"),
        ("A", "The CFO."),
    ]


def test_label_on_its_own_line_takes_the_text_below():
    text = "Interviewer:\nWhat happened?\n\nRespondent:\nWe switched.\n"
    assert triples(parse_turns(text)) == [("Interviewer", "What happened?", None, 1), ("Respondent", "We switched.", None, 4)]


def test_markdown_bold_and_role_labels():
    text = "**Emma:** Hi.\n**Lars (CFO):** Hello.\n**Emma:** Bye."
    assert [(t.speaker, t.text) for t in parse_turns(text)] == [("Emma", "Hi."), ("Lars (CFO)", "Hello."), ("Emma", "Bye.")]


def test_urls_and_times_do_not_start_turns():
    text = "Emma: See https://example.com/x\nhttps://example.com/y is the other.\n10:30: we met.\nLars: Ok."
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["Emma", "Lars"]
    assert "10:30: we met." in turns[0].text


def test_first_line_offsets_line_numbers():
    assert [t.line for t in parse_turns("A: x\nB: y\nA: z", first_line=10)] == [10, 11, 12]


def test_label_without_text_gives_no_empty_turn():
    turns = parse_turns("Anna:\nBob: hi\nAnna: there\n")
    assert triples(turns) == [("Bob", "hi", None, 2), ("Anna", "there", None, 3)]


def test_unsupported_suffix(tmp_path):
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF")
    with pytest.raises(InputError) as err:
        read_file(p)
    assert "unsupported file type '.pdf'" in str(err.value) and ".txt" in str(err.value)
    assert set(SUPPORTED_SUFFIXES) == {".txt", ".vtt", ".srt", ".docx", ".json", ".csv", ".tsv", ".jsonl"}


def test_suffix_is_case_insensitive(tmp_path):
    p = tmp_path / "UP.TXT"
    p.write_text("A: one\nB: two\n", encoding="utf-8")
    assert [t.speaker for t in read_file(p)[0].turns] == ["A", "B"]


def test_sentence_openers_once_are_not_speakers():
    text = "Emma: How?\nLars: Like this.\nSo: we bought it.\nEmma: Thanks.\nLars: Sure."
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["Emma", "Lars", "Emma", "Lars"]
    assert turns[1].text == "Like this. So: we bought it."


def test_wrapped_prose_with_recurring_lowercase_label_is_not_a_speaker():
    text = "Emma: We looked at it\nbut: the price\nLars: Right\nbut: still"
    assert [t.speaker for t in parse_turns(text)] == ["Emma", "Lars"]
    lower = "interviewer: why?\nrespondent: cost.\ninterviewer: ok\nrespondent: yes"
    assert [t.speaker for t in parse_turns(lower)] == ["interviewer", "respondent"] * 2


def test_bare_timestamp_lines_give_the_next_turn_its_start():
    text = "00:00:05\nEmma: Hi.\n\n00:01:10\nLars: Hello.\nStill me.\n00:02:00\n\nEmma: Bye."
    assert triples(parse_turns(text)) == [
        ("Emma", "Hi.", 5.0, 2),
        ("Lars", "Hello. Still me.", 70.0, 5),
        ("Emma", "Bye.", 120.0, 9),
    ]
    paragraphs = "(0:05)\nFirst part.\n\n1:00\nSecond part."
    assert triples(parse_turns(paragraphs)) == [(None, "First part.", 5.0, 2), (None, "Second part.", 60.0, 5)]
