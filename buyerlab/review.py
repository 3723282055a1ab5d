"""A researcher's review of automatic codes: accept, reject, add, stored apart and applied on read.

Decisions go to ``output/review/<reviewer>.jsonl``, one JSON object per line, appended and
never rewritten, so ``buyerlab code`` (which rewrites output/codes.parquet) cannot touch
them. A decision names an automatic code by its stable id
``<interview_id>:<turn_index>:<code>:<char_start>-<char_end>``: built from what the code
is, not from its row number, so it survives re-runs as long as the coder finds the same
span. Decisions whose id no longer exists are listed by ``stale_decisions``.

``effective_codes(study)``: the automatic codes, minus the rejected ones, plus the codes
reviewers added, plus the stored human codes (``output/human_codes``). Where a human code
(added or imported) overlaps an automatic code of the same code in the same turn, the
human one wins and the automatic one is dropped. When several decisions name the same
id, the latest wins (whoever made it).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import pandas as pd

from buyerlab.errors import BuyerlabError, StudyError
from buyerlab.qda import (
    CodeResolver,
    check_coder,
    conform_codes,
    empty_codes,
    find_quote,
    interview_layout,
    load_human_codes,
)

if TYPE_CHECKING:
    from buyerlab.study import Study

REVIEW_DIR = "review"
ACTIONS = ("accept", "reject", "reset", "add")
KEY = ["interview_id", "turn_index", "code", "char_start", "char_end"]


class ReviewError(BuyerlabError):
    """A review decision cannot be recorded (unknown id, offsets outside the turn, ...)."""


def code_id(interview_id: str, turn_index: int, code: str, char_start: int, char_end: int) -> str:
    """The stable id of a coded span."""
    return f"{interview_id}:{int(turn_index)}:{code}:{int(char_start)}-{int(char_end)}"


def code_ids(codes: pd.DataFrame) -> pd.Series:
    """The stable id of every row of a codes table."""
    if not len(codes):
        return pd.Series([], dtype="string", index=codes.index)
    return pd.Series([code_id(*r) for r in codes[KEY].itertuples(index=False)], index=codes.index, dtype="string")


def parse_code_id(value: str) -> tuple[str, int, str, int, int]:
    """(interview_id, turn_index, code, char_start, char_end) of an id; ReviewError if malformed."""
    try:
        iid, tix, code, span = str(value).rsplit(":", 3)
        start, end = span.split("-")
        return iid, int(tix), code, int(start), int(end)
    except ValueError:
        raise ReviewError(f"malformed code id {value!r}; expected INTERVIEW:TURN:CODE:START-END") from None


def review_path(study: "Study", reviewer: str) -> Path:
    """The decision log of one reviewer."""
    return study.output_dir / REVIEW_DIR / f"{check_coder(reviewer)}.jsonl"


def _append(study: "Study", reviewer: str, record: dict) -> dict:
    path = review_path(study, reviewer)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"action": record.pop("action"), "id": record.pop("id"), "reviewer": reviewer,
              "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="microseconds"), **record}
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return record


def _auto_codes(study: "Study") -> pd.DataFrame:
    path = study.output_dir / "codes.parquet"
    if not path.exists():
        return empty_codes()
    try:
        return conform_codes(pd.read_parquet(path))
    except (OSError, ValueError) as exc:
        raise StudyError(f"{path}: cannot read: {exc}") from None


def decide(study: "Study", reviewer: str, action: str, ids: Iterable[str], note: str = "") -> list[dict]:
    """Record accept / reject / reset decisions on codes named by their ids."""
    if action not in ("accept", "reject", "reset"):
        raise ReviewError(f"unknown review action {action!r}; use accept, reject or reset")
    ids = list(ids)
    known = set(code_ids(_auto_codes(study))) | set(_added(load_decisions(study))["id"]) if ids else set()
    for value in ids:
        parse_code_id(value)
        if value not in known:
            raise ReviewError(f"no automatic or added code with id {value!r} in {study.output_dir}; "
                              "list them with `buyerlab review STUDY list`")
    return [_append(study, reviewer, {"action": action, "id": value, "note": note}) for value in ids]


def add_code(study: "Study", reviewer: str, interview_id: str, turn_index: int, code: str, *,
             char_start: int | None = None, char_end: int | None = None, quote: str | None = None,
             polarity: str = "present", note: str = "", codebook=None) -> dict:
    """Record a code the reviewer adds, by offsets into the turn's text or by a quote in it."""
    from buyerlab.corpus import Corpus
    from buyerlab.qda import study_codebook

    corpus = Corpus.load(study)
    if interview_id not in set(corpus.interviews["interview_id"]):
        raise ReviewError(f"no interview {interview_id!r} in the study")
    lay = interview_layout(corpus.turns, interview_id)
    if int(turn_index) not in lay.turn_index:
        raise ReviewError(f"interview {interview_id} has no turn {turn_index}")
    text = lay.texts[lay.turn_index.index(int(turn_index))]
    if quote:
        found = find_quote(quote, lay, int(turn_index))
        if not found:
            raise ReviewError(f"quote not found in turn {turn_index} of {interview_id}: {quote[:60]!r}")
        _, char_start, char_end = found[0]
    if char_start is None or char_end is None or not 0 <= int(char_start) < int(char_end) <= len(text):
        raise ReviewError(f"give a quote or offsets 0 <= start < end <= {len(text)} in turn {turn_index}")
    if polarity not in ("present", "negated", "hypothetical"):
        raise ReviewError(f"polarity {polarity!r} is not one of present, negated, hypothetical")
    codebook = codebook if codebook is not None else study_codebook(study)
    hit = CodeResolver(codebook).resolve(code)
    if hit is None:
        raise ReviewError(f"code {code!r} is not in the codebook")
    family, code = hit
    cs, ce = int(char_start), int(char_end)
    return _append(study, reviewer, {
        "action": "add", "id": code_id(interview_id, turn_index, code, cs, ce), "note": note,
        "interview_id": interview_id, "turn_index": int(turn_index), "family": family, "code": code,
        "char_start": cs, "char_end": ce, "evidence": text[cs:ce], "polarity": polarity})


def load_decisions(study: "Study", reviewers: Iterable[str] | None = None) -> pd.DataFrame:
    """Every decision of the given reviewers (default: all), oldest first."""
    folder = study.output_dir / REVIEW_DIR
    paths = ([review_path(study, r) for r in reviewers] if reviewers is not None
             else sorted(folder.glob("*.jsonl")) if folder.is_dir() else [])
    records = []
    for path in paths:
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if rec.get("action") not in ACTIONS or "id" not in rec:
                    raise ValueError("no action or id")
            except ValueError as exc:
                raise StudyError(f"{path}:{n}: broken review decision: {exc}") from None
            rec["_order"] = (rec.get("time", ""), str(path), n)
            records.append(rec)
    if not records:
        return pd.DataFrame(columns=["action", "id", "reviewer", "time", "note"])
    df = pd.DataFrame(records).sort_values("_order", kind="stable").drop(columns="_order")
    return df.reset_index(drop=True)


def _last(decisions: pd.DataFrame) -> pd.DataFrame:
    """The latest accept/reject/reset/add per id."""
    if not len(decisions):
        return decisions
    return decisions.drop_duplicates("id", keep="last")


def _added(decisions: pd.DataFrame) -> pd.DataFrame:
    if not len(decisions):
        return pd.DataFrame(columns=["id"])
    adds = decisions[decisions["action"] == "add"]
    return adds.drop_duplicates("id", keep="last")


def review_status(study: "Study", reviewers: Iterable[str] | None = None) -> pd.DataFrame:
    """The automatic codes with their ``id`` and ``status`` (unreviewed, accepted, rejected) and reviewer."""
    auto = _auto_codes(study)
    auto.insert(0, "id", code_ids(auto))
    last = _last(load_decisions(study, reviewers))
    last = last[last["action"].isin(["accept", "reject", "reset"])] if len(last) else last
    status = dict(zip(last["id"], last["action"])) if len(last) else {}
    who = dict(zip(last["id"], last["reviewer"])) if len(last) else {}
    mapping = {"accept": "accepted", "reject": "rejected", "reset": "unreviewed"}
    auto["status"] = [mapping.get(status.get(i, "reset"), "unreviewed") for i in auto["id"]]
    auto["reviewer"] = [who.get(i) if auto["status"].iat[k] != "unreviewed" else None
                        for k, i in enumerate(auto["id"])]
    return auto


def stale_decisions(study: "Study") -> pd.DataFrame:
    """Accept/reject decisions whose automatic code no longer exists (the coder now finds another span)."""
    last = _last(load_decisions(study))
    if not len(last):
        return last
    live = set(code_ids(_auto_codes(study))) | set(_added(load_decisions(study))["id"])
    return last[last["action"].isin(["accept", "reject"]) & ~last["id"].isin(live)].reset_index(drop=True)


def _overlaps(auto: pd.DataFrame, human: pd.DataFrame) -> pd.Series:
    """For each automatic row: does a human row of the same code in the same turn overlap it?"""
    if not len(auto) or not len(human):
        return pd.Series(False, index=auto.index)
    m = auto.reset_index().merge(human[["interview_id", "turn_index", "code", "char_start", "char_end"]],
                                 on=["interview_id", "turn_index", "code"], suffixes=("", "_h"))
    hit = m[(m["char_start"] < m["char_end_h"]) & (m["char_start_h"] < m["char_end"])]["index"]
    return auto.index.to_series().isin(set(hit))


def effective_codes(study: "Study", *, reviewers: Iterable[str] | None = None,
                    coders: Iterable[str] | None = None, human: bool = True) -> pd.DataFrame:
    """Automatic codes minus rejected plus added plus human codes (human wins where they overlap)."""
    auto = _auto_codes(study)
    decisions = load_decisions(study, reviewers)
    last = _last(decisions)
    rejected = set(last.loc[last["action"] == "reject", "id"]) if len(last) else set()
    reset_or_rejected = set(last.loc[last["action"].isin(["reject", "reset"]), "id"]) if len(last) else set()
    auto = auto[~code_ids(auto).isin(rejected)]

    adds = _added(decisions)
    adds = adds[~adds["id"].isin(reset_or_rejected)] if len(adds) else adds
    added = empty_codes()
    if len(adds):
        added = adds[["interview_id", "turn_index", "family", "code", "char_start", "char_end", "evidence",
                      "polarity", "reviewer"]].rename(columns={"reviewer": "coder"})
        added = added.assign(source="human", confidence=1.0, buying_role=None)
        added = conform_codes(added)
    humans = load_human_codes(study, coders) if human else empty_codes()
    people = [f for f in (added, humans) if len(f)]
    people_df = conform_codes(pd.concat(people, ignore_index=True)) if people else empty_codes()
    if len(people_df):
        people_df = people_df.drop_duplicates(KEY, keep="first")
    auto = auto[~_overlaps(auto, people_df)]
    parts = [f for f in (auto, people_df) if len(f)]
    if not parts:
        return empty_codes()
    out = conform_codes(pd.concat(parts, ignore_index=True))
    return out.sort_values(["interview_id", "turn_index", "char_start", "char_end", "code"],
                           kind="stable").reset_index(drop=True)
