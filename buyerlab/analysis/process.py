"""The decision process per interview: an ordered sequence of stages and what happened in each.

How a sequence is built (documented in docs/analysis.md):

1. Stage mentions (``family == "stage"``, polarity present) are taken in spoken order
   (turn_index, then char_start; turn_index is spoken order, so turn timestamps agree).
2. Each mention looks for a temporal cue in its clause (the text between the nearest
   ``. ! ? ; : ,`` or dash on either side of the evidence): the nearest cue before (or inside)
   the evidence wins, else the nearest cue after it. ``EARLIER`` cues ("first", "before that",
   "först", "zuerst", ...) say the stage happened before what was said just before;
   ``LATER`` cues ("then", "after six months", "sedan", "danach", ...) say it happened after.
3. Spoken order stands unless a cue says otherwise. A mention with an EARLIER cue moves back
   past the preceding mentions whose stage comes *after* it in the stage order; a mention with a
   LATER cue moves forward past following mentions whose stage comes *before* it. Without a cue,
   going back to an earlier stage is kept as a real loop (buyers do return to requirements).
4. Consecutive repeats collapse into one step.
5. Every other coded span (trigger, stakeholder, motive, barrier, alternative) belongs to the
   step of the latest stage mention spoken at or before it; spans before any stage mention
   belong to the first step of the sequence (what made the buyer start).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from buyerlab.analysis.compare import (
    MISSING, as_list, group_interviews, present, require_columns,
)
from buyerlab.analysis.stats import SMALL_GROUP, wilson_arrays

DEFAULT_STAGE_ORDER = [
    "problem_identification", "solution_exploration", "requirements_building",
    "supplier_selection", "validation", "consensus_creation", "purchase", "onboarding",
]
START = "start"
END_PREFIX = "end: "
NO_STAGE = "(none)"
SPAN_FAMILIES = {"trigger": "triggers", "stakeholder": "stakeholders", "motive": "motives",
                 "barrier": "barriers", "alternative": "alternatives"}
JOIN = "; "

# Interview columns that describe the file, not the buyer: left out of process tables.
TECHNICAL_COLUMNS = {"source_file", "source_format", "language_source", "n_turns", "n_words",
                     "n_speakers", "interviewers", "role_method", "role_evidence"}

_NUM = (r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|a few|several|"
        r"ett|en|två|tre|fyra|fem|sex|sju|åtta|nio|tio|tolv|några|"
        r"einem|einer|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf|einigen|ein paar)")
_EN_UNIT = r"(?:days?|weeks?|months?|years?|quarters?)"
_SV_UNIT = r"(?:dag|dagar|vecka|veckor|månad|månader|år|kvartal)"
_DE_UNIT = r"(?:tag|tagen|woche|wochen|monat|monaten|jahr|jahren|quartal|quartalen)"

# The lexicon: small on purpose; every entry is a phrase whose meaning is about time.
CUES = {
    "earlier": [
        # en
        r"first", r"at first", r"initially", r"in the beginning", r"at the (?:start|beginning)",
        r"originally", r"to begin with", r"before that", r"before this", r"earlier", r"previously",
        r"had already", r"back then",
        # sv
        r"först", r"i början", r"från början", r"inledningsvis", r"innan dess", r"dessförinnan",
        r"tidigare", r"hade redan",
        # de
        r"zuerst", r"zunächst", r"anfangs", r"am anfang", r"ursprünglich", r"davor", r"vorher",
        r"zuvor", r"hatten? (?:bereits|schon)",
    ],
    "later": [
        # en
        r"then", r"after that", r"afterwards", r"later", r"eventually", r"finally", r"in the end",
        r"next", rf"after {_NUM} {_EN_UNIT}",
        # sv
        r"sedan", r"sen", r"därefter", r"senare", r"till slut", r"slutligen", r"efter det",
        r"efter ett tag", rf"efter {_NUM} {_SV_UNIT}",
        # de
        r"dann", r"danach", r"später", r"schließlich", r"anschließend", r"am ende",
        r"nach einiger zeit", rf"nach {_NUM} {_DE_UNIT}",
    ],
}
_CUE_RES = {
    kind: re.compile("(?<!\\w)(?:" + "|".join(pats) + ")(?!\\w)", re.IGNORECASE)
    for kind, pats in CUES.items()
}
_CLAUSE_BREAK = re.compile(r"[.!?;:,\u2013\u2014]|\s-\s|\n")


def find_cue(text: str, char_start: int, char_end: int) -> tuple[str | None, str | None]:
    """The temporal cue ('earlier' | 'later' | None) for a span of ``text``, and the cue words."""
    if not isinstance(text, str) or not text:
        return None, None
    char_start = max(0, min(int(char_start), len(text)))
    char_end = max(char_start, min(int(char_end), len(text)))
    lo = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, char_start):
        lo = m.end()
    hi_m = _CLAUSE_BREAK.search(text, char_end)
    hi = hi_m.start() if hi_m else len(text)
    before: tuple[int, str, str] | None = None
    after: tuple[int, str, str] | None = None
    found = [(m, kind) for kind, rx in _CUE_RES.items() for m in rx.finditer(text, lo, hi)]
    for m, kind in sorted(found, key=lambda mk: mk[0].start()):
        if m.start() < char_end:
            dist = max(0, char_start - m.end())
            if before is None or dist <= before[0]:
                before = (dist, kind, m.group(0))
        else:
            dist = m.start() - char_end
            if after is None or dist < after[0]:
                after = (dist, kind, m.group(0))
    best = before or after
    return (best[1], best[2]) if best else (None, None)


@dataclass
class _Mention:
    pos: int  # spoken position
    turn: int
    char: int
    stage: str
    rank: int  # position of the stage in the stage order
    cue: str | None
    cue_words: str | None
    time: float


def order_mentions(mentions: list[_Mention]) -> list[_Mention]:
    """Apply the cue rules (module docstring, step 3) to mentions in spoken order."""
    seq: list[_Mention] = []
    for m in mentions:
        seq.append(m)
        if m.cue == "earlier":
            i = len(seq) - 1
            while i > 0 and seq[i - 1].rank > m.rank:
                seq[i - 1], seq[i] = seq[i], seq[i - 1]
                i -= 1
    for m in sorted((m for m in mentions if m.cue == "later"), key=lambda m: -m.pos):
        i = seq.index(m)
        while i < len(seq) - 1 and seq[i + 1].rank < m.rank:
            seq[i + 1], seq[i] = seq[i], seq[i + 1]
            i += 1
    return seq


def _attributes(interviews: pd.DataFrame) -> pd.DataFrame:
    attrs = interviews[[c for c in interviews.columns if c not in TECHNICAL_COLUMNS]].copy()
    attrs["interview_id"] = attrs["interview_id"].astype(str)
    if "outcome" not in attrs.columns:
        attrs["outcome"] = MISSING
    attrs["outcome"] = attrs["outcome"].astype("object").where(attrs["outcome"].notna(), MISSING)
    return attrs


def interview_processes(
    codes: pd.DataFrame,
    turns: pd.DataFrame,
    interviews: pd.DataFrame,
    stage_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (interview, step): the ordered stages with the codes spoken in each step's span."""
    require_columns(codes, ["interview_id", "turn_index", "family", "code", "char_start", "char_end"], "codes")
    require_columns(turns, ["interview_id", "turn_index", "text"], "turns")
    require_columns(interviews, ["interview_id"], "interviews")
    order = list(stage_order) if stage_order is not None else list(DEFAULT_STAGE_ORDER)
    rank = {s: i for i, s in enumerate(order)}
    rows = present(codes).copy()
    rows["interview_id"] = rows["interview_id"].astype(str)
    rows = rows.sort_values(["interview_id", "turn_index", "char_start"], kind="stable")
    for s in rows.loc[rows["family"] == "stage", "code"].unique():
        # Stages outside the given order (a custom codebook) go after it, first seen first.
        rank.setdefault(s, len(rank))
    # Only the turns holding a stage mention are read (for cues and times).
    stage_keys = rows.loc[rows["family"] == "stage", ["interview_id", "turn_index"]].drop_duplicates()
    tt = turns[["interview_id", "turn_index", "text"] + (["start"] if "start" in turns.columns else [])].copy()
    tt["interview_id"] = tt["interview_id"].astype(str)
    tt = tt.merge(stage_keys, on=["interview_id", "turn_index"])
    keys = list(zip(tt["interview_id"].tolist(), tt["turn_index"].astype(int).tolist()))
    text_of = dict(zip(keys, tt["text"].tolist()))
    time_of = dict(zip(keys, tt["start"].astype(float).tolist())) if "start" in tt.columns else {}

    attrs = _attributes(interviews)
    # Plain tuples per interview: pandas indexing per interview is 100x slower here.
    by_interview: dict[str, list[tuple]] = {}
    cs_col = rows["char_start"].fillna(0).astype(int).tolist()
    ce_col = rows["char_end"].fillna(0).astype(int).tolist()
    for row in zip(rows["interview_id"].tolist(), rows["turn_index"].astype(int).tolist(), cs_col, ce_col,
                   rows["family"].tolist(), rows["code"].tolist()):
        by_interview.setdefault(row[0], []).append(row[1:])
    records = []
    for iid in attrs["interview_id"].tolist():
        r = by_interview.get(iid, [])
        mentions = []
        for turn, cs, ce, fam, code in r:
            if fam != "stage":
                continue
            cue, words = find_cue(text_of.get((iid, turn), ""), cs, ce)
            t = time_of.get((iid, turn), np.nan)
            mentions.append(_Mention(len(mentions), turn, cs, code, rank[code], cue, words,
                                     float(t) if t is not None else np.nan))
        seq = order_mentions(mentions)
        steps: list[dict] = []
        step_of: dict[int, int] = {}
        for m in seq:
            if not steps or steps[-1]["stage"] != m.stage:
                steps.append({"stage": m.stage, "mentions": []})
            steps[-1]["mentions"].append(m)
            step_of[m.pos] = len(steps) - 1
        if not steps:
            steps.append({"stage": None, "mentions": []})
        spans = {i: {v: [] for v in SPAN_FAMILIES.values()} for i in range(len(steps))}
        # Spoken positions of stage mentions, to find the latest one at or before each span.
        keys = [(m.turn, m.char) for m in mentions]
        for turn, cs, _, fam, code in r:
            if fam not in SPAN_FAMILIES:
                continue
            j = _latest_at_or_before(keys, (turn, cs))
            step = step_of[j] if j is not None else 0
            bucket = spans[step][SPAN_FAMILIES[fam]]
            if code not in bucket:
                bucket.append(code)
        final = {m.pos: i for i, m in enumerate(seq)}
        for i, st in enumerate(steps):
            ms = st["mentions"]
            spoken = sorted(ms, key=lambda m: m.pos)
            moved = next((m.cue for m in ms if m.cue and final[m.pos] != m.pos), "")
            rec = {
                "interview_id": iid,
                "step": i,
                "stage": st["stage"],
                "stage_index": rank.get(st["stage"], -1) if st["stage"] else -1,
                "n_steps": len(steps) if st["stage"] else 0,
                "first_turn": spoken[0].turn if spoken else np.nan,
                "last_turn": spoken[-1].turn if spoken else np.nan,
                "start_time": spoken[0].time if spoken else np.nan,
                "n_mentions": len(ms),
                "moved": moved,
                "cues": JOIN.join(dict.fromkeys(m.cue_words.lower() for m in ms if m.cue_words)),
            }
            for col, values in spans[i].items():
                rec[col] = JOIN.join(values)
            records.append(rec)
    out = pd.DataFrame.from_records(records, columns=[
        "interview_id", "step", "stage", "stage_index", "n_steps", "first_turn", "last_turn",
        "start_time", "n_mentions", "moved", "cues", *SPAN_FAMILIES.values()])
    out = out.merge(attrs, on="interview_id", how="left")
    return out


def _latest_at_or_before(keys: list[tuple[int, int]], key: tuple[int, int]) -> int | None:
    best = None
    for j, k in enumerate(keys):
        if k <= key:
            best = j
        else:
            break
    return best


def split_list(value) -> list[str]:
    """A '; '-joined cell as a list ([] for empty or missing)."""
    if not isinstance(value, str) or not value:
        return []
    return value.split(JOIN)


def _interview_frame(processes: pd.DataFrame, by) -> pd.DataFrame:
    first = processes.drop_duplicates("interview_id")
    groups = group_interviews(first, by)
    return groups.merge(first[["interview_id", "outcome"]], on="interview_id")


def _paths(processes: pd.DataFrame, canonical: bool = False) -> dict[str, list[str]]:
    keys = ["interview_id", "stage_index", "step"] if canonical else ["interview_id", "step"]
    p = processes.sort_values(keys, kind="stable")
    paths: dict[str, list[str]] = {}
    for iid, stage in zip(p["interview_id"].tolist(), p["stage"].tolist()):
        path = paths.setdefault(iid, [])
        if isinstance(stage, str) and not (canonical and stage in path):
            path.append(stage)
    return paths


def process_flows(processes: pd.DataFrame, by: str | Sequence[str] | None = None,
                  revisits: bool = True, canonical: bool = False) -> pd.DataFrame:
    """Links between stages per group, from a start node to an end node per outcome.

    ``revisits=False`` keeps each stage only where an interview first reaches it.
    ``canonical=True`` takes the stages each interview reached in the process order of the
    codebook (each once): what a Sankey of "how far did buyers get, and where did they stop"
    needs, free of the loops that retold or revisited stages draw. The default keeps every
    step in spoken order (the per-interview timeline shows the same).
    """
    by_cols = as_list(by)
    inter = _interview_frame(processes, by_cols)
    sizes = inter.groupby("group").size()
    paths = _paths(processes, canonical=canonical)
    if not revisits:
        paths = {iid: list(dict.fromkeys(path)) for iid, path in paths.items()}
    links = []
    for iid, group, outcome in zip(inter["interview_id"], inter["group"], inter["outcome"]):
        nodes = [START, *paths.get(iid, []), f"{END_PREFIX}{outcome}"]
        for step, (a, b) in enumerate(zip(nodes, nodes[1:])):
            links.append((group, a, b, iid, step))
    frame = pd.DataFrame(links, columns=["group", "source", "target", "interview_id", "step"])
    out = (frame.groupby(["group", "source", "target"], sort=False)
           .agg(count=("interview_id", "size"), n_interviews=("interview_id", "nunique"),
                first_step=("step", "min"))
           .reset_index())
    out["n_interviews_in_group"] = out["group"].map(sizes).astype(int)
    out["share"] = out["n_interviews"] / out["n_interviews_in_group"]
    labels = inter.drop_duplicates("group").set_index("group")[by_cols]
    out = out.join(labels, on="group")
    out = out.sort_values(["group", "first_step", "count"], ascending=[True, True, False], kind="stable")
    return out[[*by_cols, "group", "source", "target", "count", "n_interviews", "n_interviews_in_group",
                "share"]].reset_index(drop=True)


def _stage_list(processes: pd.DataFrame, stage_order: Sequence[str] | None) -> list[str]:
    if stage_order is not None:
        order = list(stage_order)
    else:
        order = []
    seen = (processes.dropna(subset=["stage"]).sort_values("stage_index")
            .drop_duplicates("stage")["stage"].tolist())
    return order + [s for s in seen if s not in order]


def stage_reach(processes: pd.DataFrame, by: str | Sequence[str] | None = None,
                stage_order: Sequence[str] | None = None) -> pd.DataFrame:
    """Share of interviews per group whose process reaches (mentions) each stage, with Wilson CIs."""
    by_cols = as_list(by)
    inter = _interview_frame(processes, by_cols)
    stages = _stage_list(processes, stage_order or DEFAULT_STAGE_ORDER)
    reached = processes.dropna(subset=["stage"])[["interview_id", "stage"]].drop_duplicates()
    reached = reached.merge(inter[["interview_id", "group"]], on="interview_id")
    counts = reached.groupby(["group", "stage"]).size()
    sizes = inter.groupby("group").size()
    rows = []
    for g in sorted(sizes.index):
        for s in stages:
            rows.append((g, s, int(sizes[g]), int(counts.get((g, s), 0))))
    out = pd.DataFrame(rows, columns=["group", "stage", "n_interviews_in_group", "n_reaching"])
    out["share"] = out["n_reaching"] / out["n_interviews_in_group"]
    out["ci_low"], out["ci_high"] = wilson_arrays(out["n_reaching"], out["n_interviews_in_group"])
    out["small_group"] = out["n_interviews_in_group"] < SMALL_GROUP
    labels = inter.drop_duplicates("group").set_index("group")[by_cols]
    out = out.join(labels, on="group")
    return out[[*by_cols, *[c for c in out.columns if c not in by_cols]]]


def stall_points(processes: pd.DataFrame, by: str | Sequence[str] | None = None,
                 outcomes: Sequence[str] = ("lost", "no_decision")) -> pd.DataFrame:
    """The last stage reached by interviews with the given outcomes, with their interview ids."""
    by_cols = as_list(by)
    inter = _interview_frame(processes, by_cols)
    inter = inter[inter["outcome"].isin(outcomes)]
    paths = _paths(processes)
    inter = inter.assign(last_stage=[(paths.get(i) or [NO_STAGE])[-1] for i in inter["interview_id"]])
    out = (inter.groupby([*by_cols, "outcome", "last_stage"], sort=False)
           .agg(n_interviews=("interview_id", "size"),
                interview_ids=("interview_id", lambda s: JOIN.join(sorted(s))))
           .reset_index())
    totals = inter.groupby([*by_cols, "outcome"]).size().rename("n_interviews_with_outcome")
    out = out.join(totals, on=[*by_cols, "outcome"])
    out["share"] = out["n_interviews"] / out["n_interviews_with_outcome"]
    rank = {s: i for i, s in enumerate(_stage_list(processes, DEFAULT_STAGE_ORDER))}
    out["_o"] = out["outcome"].map({o: i for i, o in enumerate(outcomes)})
    out["_s"] = out["last_stage"].map(rank).fillna(-1)
    out = out.sort_values([*by_cols, "_o", "_s"], kind="stable").drop(columns=["_o", "_s"])
    return out.reset_index(drop=True)


def buying_centre(codes: pd.DataFrame, interviews: pd.DataFrame,
                  by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Stakeholder x buying-centre role x group: interviews and mentions (role 'unspecified' if uncued)."""
    by_cols = as_list(by)
    groups = group_interviews(interviews, by_cols)
    sizes = groups.groupby("group").size()
    rows = present(codes)
    rows = rows[rows["family"] == "stakeholder"].copy()
    rows["interview_id"] = rows["interview_id"].astype(str)
    role = rows["buying_role"] if "buying_role" in rows.columns else pd.Series(None, index=rows.index)
    rows["buying_role"] = role.astype("object").where(role.notna() & (role.astype(str) != ""), "unspecified")
    rows = rows.merge(groups[["interview_id", "group"]], on="interview_id")
    out = (rows.groupby(["group", "code", "buying_role"])
           .agg(n_interviews=("interview_id", "nunique"), n_mentions=("interview_id", "size"))
           .reset_index().rename(columns={"code": "stakeholder"}))
    out["n_interviews_in_group"] = out["group"].map(sizes).astype(int)
    out["share"] = out["n_interviews"] / out["n_interviews_in_group"]
    out["small_group"] = out["n_interviews_in_group"] < SMALL_GROUP
    labels = groups.drop_duplicates("group").set_index("group")[by_cols]
    out = out.join(labels, on="group")
    return out[[*by_cols, "group", "stakeholder", "buying_role", "n_interviews", "n_mentions",
                "n_interviews_in_group", "share", "small_group"]]


def stakeholder_entry(processes: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """The buying centre over time: at which stage each stakeholder first appears, per group."""
    by_cols = as_list(by)
    inter = _interview_frame(processes, by_cols)
    records = []
    seen: set[tuple[str, str]] = set()
    ordered = processes.sort_values(["interview_id", "step"], kind="stable")
    for iid, stage, people in zip(ordered["interview_id"].tolist(), ordered["stage"].tolist(),
                                  ordered["stakeholders"].tolist()):
        for p in split_list(people):
            if (iid, p) not in seen:
                seen.add((iid, p))
                records.append((iid, p, stage if isinstance(stage, str) else NO_STAGE))
    frame = pd.DataFrame(records, columns=["interview_id", "stakeholder", "entry_stage"])
    frame = frame.merge(inter[["interview_id", "group"]], on="interview_id")
    out = (frame.groupby(["group", "stakeholder", "entry_stage"])
           .agg(n_interviews=("interview_id", "size"),
                interview_ids=("interview_id", lambda s: JOIN.join(sorted(s))))
           .reset_index())
    totals = frame.groupby(["group", "stakeholder"]).size().rename("n_interviews_with_stakeholder")
    out = out.join(totals, on=["group", "stakeholder"])
    out["share"] = out["n_interviews"] / out["n_interviews_with_stakeholder"]
    rank = {s: i for i, s in enumerate(_stage_list(processes, DEFAULT_STAGE_ORDER))}
    out["_s"] = out["entry_stage"].map(rank).fillna(-1)
    out = out.sort_values(["group", "stakeholder", "_s"], kind="stable").drop(columns="_s")
    labels = inter.drop_duplicates("group").set_index("group")[by_cols]
    out = out.join(labels, on="group")
    return out[[*by_cols, *[c for c in out.columns if c not in by_cols]]].reset_index(drop=True)
