"""Word transcripts: paragraphs, speaker tables, and what is skipped."""

from pathlib import Path

import docx
import pytest

from buyerlab.errors import InputError
from buyerlab.readers import read_file


def rows(turns):
    return [(t.speaker, t.text, t.start, t.line) for t in turns]


def make_docx(path: Path, paragraphs=(), tables=(), heading=None) -> Path:
    document = docx.Document()
    if heading:
        document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    for table_rows in tables:
        table = document.add_table(rows=0, cols=len(table_rows[0]))
        for values in table_rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, values):
                cell.text = value
    document.save(str(path))
    return path


def test_colon_paragraphs_with_heading_skipped(tmp_path):
    path = make_docx(
        tmp_path / "UK05.docx",
        ["Interviewer: How did it start?", "David Ashworth: With the bank.", "It wanted data.", "Interviewer: Thanks."],
        heading="Interview UK05",
    )
    [tr] = read_file(path)
    assert tr.interview_id == "UK05" and tr.format == "docx" and tr.warnings == []
    assert rows(tr.turns) == [
        ("Interviewer", "How did it start?", None, 2),
        ("David Ashworth", "With the bank.\nIt wanted data.", None, 3),
        ("Interviewer", "Thanks.", None, 5),
    ]


def test_paragraphs_without_speakers(tmp_path):
    [tr] = read_file(make_docx(tmp_path / "SE05.docx", ["Vi började i mars.", "Det var dyrt – för dyrt."]))
    assert rows(tr.turns) == [(None, "Vi började i mars.", None, 1), (None, "Det var dyrt – för dyrt.", None, 2)]
    assert "no speaker labels" in tr.warnings[0]


def test_two_column_table_with_header_and_continuation_rows(tmp_path):
    table = [
        ["Speaker", "Text"],
        ["Pieter de Vries", "Can you introduce yourself?"],
        ["Ruben Visser", "I am the IT manager."],
        ["", "We have one site."],
        ["Pieter de Vries", "Thanks."],
    ]
    [tr] = read_file(make_docx(tmp_path / "NL03.docx", ["Transcript NL03"], [table]))
    assert rows(tr.turns) == [
        ("Pieter de Vries", "Can you introduce yourself?", None, 2),
        ("Ruben Visser", "I am the IT manager.\nWe have one site.", None, 3),
        ("Pieter de Vries", "Thanks.", None, 5),
    ]
    assert tr.warnings == ["1 paragraph(s) outside the transcript table(s) ignored"]


def test_three_column_table_with_timestamps(tmp_path):
    table = [
        ["Zeit", "Sprecher", "Text"],
        ["00:00:05", "Interviewer", "Wie fing es an?"],
        ["[00:01:10]", "Klaus Weber", "Mit einer Prüfung."],
        ["00:02:00", "Interviewer", "Danke."],
    ]
    [tr] = read_file(make_docx(tmp_path / "DE05.docx", tables=[table]))
    assert rows(tr.turns) == [
        ("Interviewer", "Wie fing es an?", 5.0, 2),
        ("Klaus Weber", "Mit einer Prüfung.", 70.0, 3),
        ("Interviewer", "Danke.", 120.0, 4),
    ]


def test_key_value_table_is_not_a_transcript(tmp_path):
    meta = [["Date", "2026-03-01"], ["Company", "ACME"]]
    [tr] = read_file(make_docx(tmp_path / "m.docx", ["Anna: Hi.", "Bo: Hello.", "Anna: Bye."], [meta]))
    assert [t.speaker for t in tr.turns] == ["Anna", "Bo", "Anna"]
    assert tr.warnings == ["table 1 does not look like a transcript (speaker | text); skipped"]


def test_document_without_text(tmp_path):
    with pytest.raises(InputError, match="no transcript text"):
        read_file(make_docx(tmp_path / "blank.docx", ["", "   "]))
