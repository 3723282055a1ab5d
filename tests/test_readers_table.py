"""CSV, TSV and JSONL tables: one interview per row."""

import json
from pathlib import Path

import pytest

from buyerlab.errors import InputError
from buyerlab.readers import ReaderOptions, read_file
from buyerlab.readers.table import parse_table

FIX = Path(__file__).parent / "fixtures" / "readers"


def rows(turns):
    return [(t.speaker, t.text, t.line) for t in turns]


def test_csv_rows_ids_attributes_and_line_numbers():
    trs = read_file(FIX / "table.csv")
    assert [t.interview_id for t in trs] == ["UK07", "NL05"]
    assert all(t.format == "table" for t in trs)
    assert trs[0].attributes == {"segment": "real_estate"}
    assert rows(trs[0].turns) == [
        ("Emma Clarke", "Hi Tom. How are you?", 2),
        ("Tom Bradley", "Fine, thanks.", 4),
        ("Emma Clarke", "Good.", 5),
    ]
    assert rows(trs[1].turns) == [("Pieter", "Welcome.", 6), ("Bart", "Thank you.", 7), ("Pieter", "Let's begin.", 8)]
    assert trs[0].warnings == []


def test_tsv_detects_id_and_text_columns():
    trs = read_file(FIX / "table.tsv")
    assert [t.interview_id for t in trs] == ["SE07", "SE08"]
    assert rows(trs[1].turns) == [("Intervjuare", "Börja gärna.", 4), ("Lars Öst", "Vi köpte systemet 2024.", 5)]


def test_jsonl_rows_carry_their_line():
    trs = read_file(FIX / "table.jsonl")
    assert [t.interview_id for t in trs] == ["DE06", "AT02"]
    assert trs[1].attributes == {"country": "AT"}
    assert rows(trs[1].turns) == [("Interviewer", "Und dann?", 3), ("Jürgen Groß", "Der Vorstand entschied.", 3)]


def test_text_cell_line_counts_newlines_in_earlier_cells():
    text = 'id,note,text\nA,"two\nlines","X: one\nY: two"\n'
    [tr] = parse_table(text, "t.csv", "csv")
    assert tr.attributes == {"note": "two\nlines"}
    assert rows(tr.turns) == [("X", "one", 3), ("Y", "two", 4)]


def test_columns_from_options_and_longest_text_fallback():
    text = 'key,who,words\nk1,me,"A: long text here\nB: more"\n'
    [tr] = parse_table(text, "t.csv", "csv", ReaderOptions(table_id_column="KEY"))
    assert tr.interview_id == "k1" and tr.attributes == {"who": "me"}
    assert [t.speaker for t in tr.turns] == ["A", "B"]
    with pytest.raises(InputError, match="column 'nope'.*table_text_column.*columns: key, who, words"):
        parse_table(text, "t.csv", "csv", ReaderOptions(table_text_column="nope"))


def test_semicolon_csv():
    [tr] = parse_table("interview_id;transcript\nX1;A: hej\n", "s.csv", "csv")
    assert tr.interview_id == "X1" and tr.turns[0].speaker == "A"


def test_bad_rows_become_warnings_on_the_first_transcript():
    text = "id,text\nA,X: one\n,X: no id\nC,\nD,X: four,extra\nE,Y: five\n"
    trs = parse_table(text, "b.csv", "csv")
    assert [t.interview_id for t in trs] == ["A", "E"]
    assert trs[0].warnings == [
        "b.csv:3: row skipped: empty id",
        "b.csv:4: row skipped: empty text",
        "b.csv:5: row skipped: 3 fields, the header has 2",
    ]
    assert trs[1].warnings == []


def test_no_usable_row_raises():
    with pytest.raises(InputError, match="no usable rows.*empty text"):
        parse_table("id,text\nA,\n", "e.csv", "csv")
    with pytest.raises(InputError, match="no data rows"):
        parse_table("id,text\n", "e.csv", "csv")


def test_duplicate_ids_name_both_lines():
    with pytest.raises(InputError) as err:
        parse_table("id,text\nA,X: one\nB,X: two\nA,X: three\n", "d.csv", "csv")
    assert "duplicate interview id 'A' on lines 2 and 4" in str(err.value) and err.value.line == 4


def test_jsonl_bad_lines_are_skipped_with_warnings():
    good = json.dumps({"id": "G", "text": "A: fine"})
    text = "{broken\n" + good + "\n[1, 2]\n"
    [tr] = parse_table(text, "j.jsonl", "jsonl")
    assert tr.interview_id == "G"
    assert tr.warnings[0].startswith("j.jsonl:1: row skipped: malformed JSON")
    assert tr.warnings[1] == "j.jsonl:3: row skipped: a JSON list, not an object"


def test_jsonl_not_jsonl_at_all():
    with pytest.raises(InputError) as err:
        parse_table('{\n  "id": 1\n}\n', "p.jsonl", "jsonl")
    assert "no usable rows" in str(err.value) and err.value.line == 1


def test_large_cell_over_csv_default_limit():
    big = "A: " + "word " * 40_000
    [tr] = parse_table(f'id,text\nX,"{big}"\n', "big.csv", "csv")
    assert len(tr.turns[0].text.split()) == 40_000


def test_single_column_table_numbers_its_rows():
    trs = parse_table('transcript\n"A: one\nB: two"\n"A: three"\n', "solo.csv", "csv")
    assert [t.interview_id for t in trs] == ["solo_1", "solo_2"]
    assert [t.speaker for t in trs[0].turns] == ["A", "B"]
