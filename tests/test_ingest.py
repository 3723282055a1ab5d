import hashlib
import json

import pandas as pd
import pytest

from buyerlab.cli import main
from buyerlab.corpus import Corpus
from buyerlab.errors import StudyError
from buyerlab.ingest import ingest_study

EN = """Interviewer: How did it start?

Sarah Jones: Our energy bills doubled and the CFO asked what we were doing about it.
So I started looking around, mostly at what our peers were using.

Interviewer: Who else took part?

Sarah Jones: Procurement ran the tender and IT did a security review that took three months.
"""
SV = """Karin: Hur började det?

Per: Alltså, först kom energirevisionen och sedan ville ekonomichefen ha siffror varje månad.
Vi hade inte tid att göra det i Excel längre, så vi började titta på olika leverantörer.

Karin: Vilka var med i beslutet?

Per: Inköpschefen och IT-avdelningen, och till slut fick styrelsen godkänna investeringen.
"""
META = "interview_id,segment,country,language,outcome\nE1,smb,UK,,won\nS1,ent,SE,,lost\nGHOST,smb,DE,de,lost\n"


def _hashes(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (root / "transcripts").rglob("*") if p.is_file()}


def test_every_file_is_accounted_for_and_raw_files_are_untouched(make_study):
    root = make_study({"E1.txt": EN, "S1.txt": SV, "empty.txt": "", "binary.txt": b"\x00\x01\x02\xff" * 50,
                       "notes.pdf": b"%PDF-1.4", ".DS_Store": b"\x00", "extra/X9.txt": EN}, META)
    before = _hashes(root)
    result = ingest_study(root)
    report = result.report
    files_in = sum(1 for p in (root / "transcripts").rglob("*") if p.is_file())
    assert len(report.files) == files_in == 7
    status = {f.file: f.status for f in report.files}
    assert status == {
        "transcripts/E1.txt": "used", "transcripts/S1.txt": "used", "transcripts/empty.txt": "refused",
        "transcripts/binary.txt": "refused", "transcripts/notes.pdf": "refused", "transcripts/.DS_Store": "ignored",
        "transcripts/extra/X9.txt": "used",
    }
    reasons = {f.file: f.reason for f in report.files}
    assert reasons["transcripts/empty.txt"].startswith("transcripts/empty.txt")
    assert "empty" in reasons["transcripts/empty.txt"]
    assert "binary" in reasons["transcripts/binary.txt"]
    assert "unsupported" in reasons["transcripts/notes.pdf"]
    assert report.missing_transcripts == ["GHOST"]
    assert report.missing_metadata == ["X9"]
    assert _hashes(root) == before


def test_corpus_tables_follow_the_schema(make_study):
    root = make_study({"E1.txt": EN, "S1.txt": SV}, META)
    corpus = ingest_study(root).corpus
    iv = corpus.interviews.set_index("interview_id")
    assert iv.loc["E1", "language"] == "en" and iv.loc["E1", "language_source"] == "detected"
    assert iv.loc["S1", "language"] == "sv"
    assert iv.loc["S1", "segment"] == "ent" and iv.loc["S1", "outcome"] == "lost"
    assert iv.loc["E1", "interviewers"] == "Interviewer" and iv.loc["E1", "role_method"] == "label"
    assert iv.loc["S1", "interviewers"] == "Karin" and iv.loc["S1", "role_method"] == "detected"
    s1 = corpus.interview("S1")
    assert s1["turn_index"].tolist() == [0, 1, 2, 3]
    assert s1["role"].tolist() == ["interviewer", "respondent", "interviewer", "respondent"]
    assert s1["text"].iloc[1].startswith("Alltså, först kom energirevisionen")
    assert s1["source_line"].tolist() == [1, 3, 6, 8]
    assert iv.loc["S1", "n_words"] == s1["n_words"].sum() == sum(len(t.split()) for t in s1["text"])
    # written and read back identically
    again = Corpus.load(root)
    pd.testing.assert_frame_equal(again.turns, corpus.turns)
    pd.testing.assert_frame_equal(again.interviews, corpus.interviews)


def test_metadata_language_and_study_interviewers_decide(make_study):
    meta = "interview_id,language\nE1,de\n"
    root = make_study({"E1.txt": EN}, meta, toml='interviewers = ["Sarah Jones"]\n')
    corpus = ingest_study(root).corpus
    assert corpus.interviews.loc[0, "language"] == "de"
    assert corpus.interviews.loc[0, "language_source"] == "metadata"
    assert corpus.interviews.loc[0, "interviewers"] == "Sarah Jones"


def test_duplicate_interview_across_files_keeps_the_first_and_says_so(make_study):
    root = make_study({"E1.txt": EN, "more/E1.txt": EN}, "interview_id\nE1\n")
    report = ingest_study(root).report
    by = {f.file: f for f in report.files}
    assert by["transcripts/E1.txt"].status == "used"
    dup = by["transcripts/more/E1.txt"]
    assert dup.status == "refused" and "already read from transcripts/E1.txt" in dup.reason


def test_symlink_out_of_the_study_is_refused(make_study, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text(EN, encoding="utf-8")
    root = make_study({"E1.txt": EN}, "interview_id\nE1\n")
    (root / "transcripts" / "link.txt").symlink_to(outside)
    by = {f.file: f for f in ingest_study(root).report.files}
    assert by["transcripts/link.txt"].status == "refused"
    assert "outside the study" in by["transcripts/link.txt"].reason


def test_bad_metadata_stops_ingest_with_every_problem_listed(make_study):
    root = make_study({"E1.txt": EN}, "interview_id,outcome\nE1,won\nE1,lost\nE2,perhaps\n")
    with pytest.raises(StudyError) as err:
        ingest_study(root)
    assert "metadata.csv:3: duplicate interview_id 'E1'" in str(err.value)
    assert "metadata.csv:4: unknown outcome 'perhaps'" in str(err.value)


def test_cli_ingest_writes_outputs_and_report(make_study, capsys):
    root = make_study({"E1.txt": EN, "S1.txt": SV, "bad.vtt": "not a vtt"}, META)
    assert main(["ingest", str(root)]) == 0
    out = capsys.readouterr().out
    assert "3 files: 2 used, 1 refused, 0 ignored" in out
    assert "refused  transcripts/bad.vtt: transcripts/bad.vtt:1:" in out
    data = json.loads((root / "output" / "ingest_report.json").read_text())
    assert data["counts"] == {"used": 2, "refused": 1, "ignored": 0}
    assert (root / "output" / "turns.parquet").exists()


def test_cli_user_error_is_one_line_and_exit_2(make_study, capsys):
    root = make_study({"E1.txt": EN}, "segment\nx\n")
    assert main(["ingest", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("buyerlab: error: ") and "interview_id" in err and "\n" not in err


def test_cli_init_scaffolds_a_study_that_ingests(tmp_path, capsys):
    root = tmp_path / "new"
    assert main(["init", str(root)]) == 0
    assert (root / "study.toml").exists() and (root / "transcripts").is_dir()
    (root / "transcripts" / "E1.txt").write_text(EN, encoding="utf-8")
    assert main(["ingest", str(root), "--quiet"]) == 0
    assert main(["init", str(root)]) == 2  # not empty any more
