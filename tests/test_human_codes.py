"""Human codes in (CSV of coded segments, Taguette highlights) and codes out (CSV, Excel)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from buyerlab.corpus import Corpus
from buyerlab.errors import InputError, StudyError
from buyerlab.qda import CODE_COLUMNS, human_rows, load_human_codes, merge_human_codes
from buyerlab.qda.csv_codes import export_codes_csv, export_codes_excel, import_codes_csv
from buyerlab.qda.taguette import import_taguette
from buyerlab.study import Study

FIX = Path(__file__).parent / "fixtures" / "qda"


@pytest.fixture
def study(qda_study) -> Study:
    return qda_study


@pytest.fixture
def codebook(qda_codebook):
    return qda_codebook


@pytest.fixture(scope="module")
def corpus(qda_base):
    return Corpus.load(qda_base)


def _turn(corpus, iid, tix) -> str:
    return corpus.interview(iid).set_index("turn_index").at[tix, "text"]


def _write(tmp_path, text: str, name: str = "codes.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_csv_offsets_and_quotes(corpus, codebook, tmp_path):
    text = _turn(corpus, "A1", 1)
    s = text.index("price")
    csv = _write(tmp_path, "interview_id,turn_index,char_start,char_end,quote,code,coder\n"
                           f"A1,1,{s},{s + 5},,price,alice\n"
                           "A1,,,,\u201cNo   TIME to switch\u201d,Lack of resources,alice\n"
                           "A2,3,,,finance director,finance,bob\n")
    got = import_codes_csv(csv, corpus, codebook)
    rows = {(r.coder, r.interview_id, r.turn_index, r.family, r.code, r.evidence) for r in got.itertuples()}
    assert rows == {("alice", "A1", 1, "barrier", "price", "price"),
                    ("alice", "A1", 1, "barrier", "lack_resources", "no time to switch"),
                    ("bob", "A2", 3, "stakeholder", "finance", "finance director")}
    assert (got["source"] == "human").all() and (got["polarity"] == "present").all()
    for r in got.itertuples():
        assert _turn(corpus, r.interview_id, r.turn_index)[r.char_start:r.char_end] == r.evidence


def test_csv_semicolons_and_default_coder(corpus, codebook, tmp_path):
    csv = _write(tmp_path, "interview;quote;code\nA1;save money;cost_roi\n")
    got = import_codes_csv(csv, corpus, codebook, coder="carla")
    assert got[["code", "coder", "turn_index"]].values.tolist() == [["cost_roi", "carla", 3]]


@pytest.mark.parametrize("row, message", [
    ('A1,,"switch, honestly. Interviewer: Who else",price,alice', r"codes\.csv:3: .*spans turns 1, 2"),
    ("A1,,a sentence nobody said,price,alice", r"codes\.csv:3: quote not found"),
    ("A1,,price,pricing,alice", r"codes\.csv:3: code 'pricing' is not in the codebook"),
    ("ZZ,,price,price,alice", r"codes\.csv:3: unknown interview_id 'ZZ'"),
    ("A1,,price,price,", r"codes\.csv:3: no coder"),
])
def test_csv_errors_name_the_line(corpus, codebook, tmp_path, row, message):
    csv = _write(tmp_path, "interview_id,turn_index,quote,code,coder\nA1,1,price,price,alice\n" + row + "\n")
    with pytest.raises(InputError, match=message):
        import_codes_csv(csv, corpus, codebook)


def test_csv_quote_must_match_offsets(corpus, codebook, tmp_path):
    csv = _write(tmp_path, "interview_id,turn_index,char_start,char_end,quote,code,coder\n"
                           "A1,1,0,3,price,price,alice\n")
    with pytest.raises(InputError, match=r"codes\.csv:2: quote does not match"):
        import_codes_csv(csv, corpus, codebook)


def test_taguette_csv_export(corpus, codebook, tmp_path):
    # Taguette's highlights export: id, document, tag, content (one row per highlight and tag).
    csv = _write(tmp_path, "id,document,tag,content\n"
                           '1,A1.txt,price,"the price was  too high"\n'
                           '1,A1.txt,finance,"the price was  too high"\n'
                           '2,A2.docx,Procurement,"purchasing"\n'
                           '3,A1.txt,lack_resources,"no time to switch, honestly.\n\nInterviewer: Who else was '
                           'involved?\n\nAnna Lindqvist: Procurement"\n'
                           '4,A1.txt,,"untagged highlight"\n', "taguette.csv")
    got = import_taguette(csv, corpus, codebook, coder="dana")
    rows = sorted((r.interview_id, r.turn_index, r.code, r.evidence) for r in got.itertuples())
    assert rows == [("A1", 1, "finance", "the price was too high"), ("A1", 1, "lack_resources", "no time to switch, honestly."),
                    ("A1", 1, "price", "the price was too high"), ("A1", 2, "lack_resources", "Who else was involved?"),
                    ("A1", 3, "lack_resources", "Procurement"), ("A2", 1, "procurement", "purchasing")]
    assert set(got["coder"]) == {"dana"}
    with pytest.raises(InputError, match="no coder"):
        import_taguette(csv, corpus, codebook, coder="")


def test_taguette_xlsx_and_errors(corpus, codebook, tmp_path):
    frame = pd.DataFrame({"id": [1, 2], "document": ["A1", "A2"], "tag": ["cost_roi", "finance"],
                          "content": ["save money", "not in the text at all"]})
    path = tmp_path / "highlights.xlsx"
    frame.to_excel(path, sheet_name="highlights", index=False)
    with pytest.raises(InputError, match=r"highlights\.xlsx:3: highlight text not found"):
        import_taguette(path, corpus, codebook, coder="dana")
    frame.iloc[:1].to_excel(path, sheet_name="highlights", index=False)
    got = import_taguette(path, corpus, codebook, coder="dana")
    assert got[["code", "evidence"]].values.tolist() == [["cost_roi", "save money"]]
    bad = _write(tmp_path, "id,doc,label\n1,A1,x\n", "wrong.csv")
    with pytest.raises(InputError, match="not a Taguette highlights export"):
        import_taguette(bad, corpus, codebook, coder="dana")


def test_store_merges_per_interview(study, corpus, codebook, tmp_path):
    first = import_codes_csv(_write(tmp_path, "interview_id,quote,code,coder\nA1,price,price,alice\n"
                                              "A2,purchasing,procurement,alice\n"), corpus, codebook)
    merge_human_codes(study, first)
    again = import_codes_csv(_write(tmp_path, "interview_id,quote,code,coder\nA1,CFO,finance,alice\n", "b.csv"),
                             corpus, codebook)
    merge_human_codes(study, again)
    stored = load_human_codes(study, ["alice"])
    assert sorted(zip(stored["interview_id"], stored["code"])) == [("A1", "finance"), ("A2", "procurement")]
    assert (study.output_dir / "human_codes" / "alice.parquet").exists()
    with pytest.raises(StudyError, match="invalid coder"):
        merge_human_codes(study, human_rows([dict(interview_id="A1", turn_index=1, family="barrier", code="price",
                                                  char_start=0, char_end=1, evidence="O")], "../evil"))


def test_cli_import_detects_taguette(study, tmp_path, capsys):
    from buyerlab.cli import main

    csv = _write(tmp_path, "id,document,tag,content\n1,A1,price,the price\n", "t.csv")
    assert main(["import", str(study.path), str(csv)]) == 2
    assert "--coder" in capsys.readouterr().err
    assert main(["import", str(study.path), str(csv), "--coder", "erik"]) == 0
    assert load_human_codes(study, ["erik"])["evidence"].tolist() == ["the price"]


def test_excel_export_one_sheet_per_family(corpus, codebook, tmp_path):
    from openpyxl import load_workbook

    codes = import_codes_csv(_write(tmp_path, "interview_id,quote,code,coder\nA1,price,price,alice\n"
                                              "A2,purchasing,procurement,alice\nA1,CFO,finance,bob\n"), corpus, codebook)
    codes.loc[0, "evidence"] = "=HYPERLINK(\"http://x\")"  # text that looks like a formula stays text
    path = export_codes_excel(codes, tmp_path / "codes.xlsx", corpus, codebook)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Stakeholder", "Barrier", "Motive", "codebook"]
    ws = wb["Stakeholder"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=2)]
    assert {(r["interview_id"], r["code"], r["quote"], r["country"]) for r in rows} == {
        ("A2", "procurement", "purchasing", "DE"), ("A1", "finance", "CFO", "SE")}
    assert rows[0]["speaker"] in ("Anna Lindqvist", "Jörg Müller") and "turn_text" in header
    price = wb["Barrier"]["A2"].parent
    cell = [c for c in price[2] if isinstance(c.value, str) and c.value.startswith("=")][0]
    assert cell.data_type == "s"
    out = export_codes_csv(codes, tmp_path / "codes.csv", corpus)
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert list(back.columns[:12]) == list(CODE_COLUMNS) and "segment" in back.columns
