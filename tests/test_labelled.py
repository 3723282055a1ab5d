"""buyerlab.labelled: hand-labelled turns are read whole or refused with file and line."""

from __future__ import annotations

import json

import pytest

from buyerlab.errors import InputError
from buyerlab.labelled import labelled_paths, read_labelled

TURN = {"id": "x-1", "lang": "sv", "text": "Vi hade ingen budget kvar.",
        "labels": [{"family": "barrier", "code": "lack_resources", "polarity": "present",
                    "evidence": "ingen budget kvar"}]}


def _write(path, *lines: str) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_reads_turns_and_fills_defaults(tmp_path):
    bare = {"text": "Hello there.", "labels": [{"family": "stage", "code": "purchase", "evidence": "Hello"}]}
    _write(tmp_path / "de.jsonl", json.dumps(TURN), "", json.dumps(bare))
    rows = read_labelled(labelled_paths(tmp_path))
    assert [r["id"] for r in rows] == ["x-1", "de-3"]  # the id of a turn without one names its line
    assert rows[1]["lang"] == "de" and rows[1]["labels"][0]["polarity"] == "present"


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"labels": []}), "needs 'text'"),
    (json.dumps({**TURN, "labels": {"a": 1}}), "'labels' must be a list"),
    (json.dumps({**TURN, "labels": [{"family": "barrier", "code": "price"}]}), "label 1 needs family, code and evidence"),
    (json.dumps({**TURN, "labels": [{**TURN["labels"][0], "polarity": "maybe"}]}), "polarity 'maybe'"),
    (json.dumps({**TURN, "labels": [{**TURN["labels"][0], "evidence": "ingen tid"}]}), "is not in the text"),
])
def test_bad_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "sv.jsonl"
    _write(path, json.dumps(TURN), line)
    with pytest.raises(InputError) as err:
        read_labelled([path])
    assert str(err.value).startswith(f"{path}:2: ") and message in str(err.value)
