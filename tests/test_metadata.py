import pytest

from buyerlab.errors import StudyError
from buyerlab.metadata import normalise_outcome, read_metadata, require_valid


def test_reads_attributes_and_normalises_outcomes(tmp_path):
    p = tmp_path / "metadata.csv"
    p.write_text("interview_id,segment,outcome\nA,smb,Won\nB,ent,no decision\nC,ent,\n", encoding="utf-8")
    m = read_metadata(p)
    assert m.errors == []
    assert m.rows() == {"A": {"segment": "smb", "outcome": "won"}, "B": {"segment": "ent", "outcome": "no_decision"},
                        "C": {"segment": "ent"}}


def test_duplicates_and_unknown_outcomes_are_listed_with_lines(tmp_path):
    p = tmp_path / "metadata.csv"
    p.write_text("interview_id,outcome\nA,won\nB,maybe\nA,lost\n", encoding="utf-8")
    m = read_metadata(p)
    assert m.errors == [
        f"{p}:3: unknown outcome 'maybe' for B; expected one of won, lost, no_decision",
        f"{p}:4: duplicate interview_id 'A' (first on line 2)",
    ]
    with pytest.raises(StudyError, match="2 problem"):
        require_valid(m)


def test_semicolon_csv_in_cp1252_from_excel(tmp_path):
    p = tmp_path / "metadata.csv"
    p.write_bytes("interview_id;country;role\r\nS1;SE;Inköpschef\r\n".encode("cp1252"))
    assert read_metadata(p).rows() == {"S1": {"country": "SE", "role": "Inköpschef"}}


def test_missing_id_column_is_refused(tmp_path):
    p = tmp_path / "metadata.csv"
    p.write_text("id,segment\nA,x\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"metadata.csv:1: .*interview_id"):
        read_metadata(p)


@pytest.mark.parametrize("raw,norm", [("WON", "won"), ("Closed Lost", "lost"), ("no_decision", "no_decision"),
                                      ("Inget beslut", "no_decision"), ("pending", None)])
def test_outcome_spellings(raw, norm):
    assert normalise_outcome(raw) == norm
