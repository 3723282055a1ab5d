"""The bundled sample study is what the issue promised, and ingests cleanly."""

EXPECTED_LANGUAGE = {"UK": "en", "NL": "en", "SE": "sv", "DE": "de", "AT": "de"}


def test_sample_is_large_and_varied_enough(sample_corpus):
    iv = sample_corpus.interviews
    assert len(iv) >= 24
    assert iv["segment"].nunique() == 2
    assert iv["country"].nunique() >= 4
    assert set(iv["language"]) == {"en", "sv", "de"}
    assert set(iv["outcome"]) == {"won", "lost", "no_decision"}
    assert set(iv["source_format"]) == {"text", "vtt", "srt", "docx", "whisper_json", "table"}


def test_every_file_used_and_every_metadata_row_matched(sample_study):
    import json

    report = json.loads((sample_study / "output" / "ingest_report.json").read_text())
    assert report["counts"]["refused"] == 0 and report["counts"]["ignored"] == 0
    assert report["missing_transcripts"] == [] and report["missing_metadata"] == []
    n_files = sum(1 for p in (sample_study / "transcripts").iterdir() if p.is_file())
    assert len(report["files"]) == n_files


def test_detected_languages_agree_with_the_country(sample_corpus):
    iv = sample_corpus.interviews
    detected = iv[iv["language_source"] == "detected"]
    assert len(detected) >= 6  # metadata leaves these empty on purpose
    for _, row in detected.iterrows():
        assert row["language"] == EXPECTED_LANGUAGE[row["country"]], row["interview_id"]


def test_interviewers_are_found_in_every_interview(sample_corpus):
    iv = sample_corpus.interviews.set_index("interview_id")
    known = {"Emma Clarke", "Pieter de Vries", "Karin Lund", "Jonas Weber", "JONAS WEBER", "Interviewer",
             "Moderatorin", "Speaker 1", "SPEAKER_00"}
    for iid, row in iv.iterrows():
        if row["role_method"] == "question_heuristic":
            continue
        assert row["interviewers"] in known, (iid, row["interviewers"], row["role_evidence"])
    turns = sample_corpus.turns
    share = (turns.groupby("interview_id")["role"].apply(lambda r: (r == "respondent").mean()))
    assert share.between(0.3, 0.7).all()  # interviews alternate question and answer


def test_timestamps_are_seconds_and_increase(sample_corpus):
    t = sample_corpus.turns
    for iid in ("UK03", "UK04", "UK06", "SE02", "AT01"):
        start = t[t["interview_id"] == iid]["start"]
        assert start.notna().all(), iid
        assert start.is_monotonic_increasing, iid
        assert start.max() > 200  # several minutes in, in seconds
