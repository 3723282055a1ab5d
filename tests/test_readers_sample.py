"""Every transcript of the sample study reads, with the interviews FORMATS.md lists."""

import re
from pathlib import Path

import pytest

from buyerlab.readers import read_file

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

pytestmark = pytest.mark.skipif(not (SAMPLE / "FORMATS.md").exists(), reason="sample study not present")


def listed_interviews() -> dict[str, str]:
    rows = re.findall(r"^\| ([A-Z]{2}\d\d) \| (\S+) \|", (SAMPLE / "FORMATS.md").read_text(encoding="utf-8"), re.M)
    return dict(rows)


def test_sample_reads_completely():
    expected = listed_interviews()
    assert len(expected) >= 20
    found = {}
    for path in sorted((SAMPLE / "transcripts").iterdir()):
        for tr in read_file(path):
            found[tr.interview_id] = (path.name, tr)
    assert {k: v[0] for k, v in found.items()} == expected
    for interview, (name, tr) in found.items():
        assert len(tr.turns) >= 10, interview
        speakers = {t.speaker for t in tr.turns}
        if interview == "DE02":  # the paragraphs style: no speakers by design
            assert speakers == {None}
        else:
            assert None not in speakers and 2 <= len(speakers) <= 3, (interview, speakers)
        for turn in tr.turns:
            assert turn.text.strip() and "\ufffd" not in turn.text and "Ã" not in turn.text
