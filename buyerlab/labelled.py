"""Hand-labelled respondent turns (JSONL): read and check them.

One JSON object per line: ``{"id", "lang", "text", "labels": [{family, code, polarity,
evidence, buying_role?}], "question"?, "domain"?}``; the format of tests/data/gold (see its
README). The same files measure the coder (bench/quality.py) and train the learned pass
(:mod:`buyerlab.learned`), so a bad line is refused with its file and line number.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from buyerlab.errors import InputError

POLARITIES = ("present", "negated", "hypothetical")


def read_labelled(paths: Iterable[Path | str]) -> list[dict]:
    """Labelled turns from JSONL files; InputError naming file and line on a bad line."""
    out = []
    for path in paths:
        path = Path(path)
        for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg}", path, n) from None
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise InputError("a labelled turn needs 'text' (a string) and 'labels' (a list)", path, n)
            item.setdefault("lang", path.stem.split("-")[0])
            item.setdefault("id", f"{path.stem}-{n}")
            labels = item.setdefault("labels", [])
            if not isinstance(labels, list):
                raise InputError("'labels' must be a list", path, n)
            for k, lab in enumerate(labels, 1):
                if not isinstance(lab, dict) or not {"family", "code", "evidence"} <= set(lab):
                    raise InputError(f"label {k} needs family, code and evidence", path, n)
                lab.setdefault("polarity", "present")
                if lab["polarity"] not in POLARITIES:
                    raise InputError(f"label {k}: polarity {lab['polarity']!r} is not one of {POLARITIES}", path, n)
                if lab["evidence"] not in item["text"]:
                    raise InputError(f"label {k}: evidence {lab['evidence'][:60]!r} is not in the text", path, n)
            out.append(item)
    return out


def labelled_paths(folder: Path | str) -> list[Path]:
    """The JSONL files in ``folder``, sorted (en.jsonl, en-2.jsonl, sv.jsonl, ...)."""
    return sorted(Path(folder).glob("*.jsonl"))
