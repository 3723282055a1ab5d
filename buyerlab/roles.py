"""Decide who is the interviewer in an interview, and say why.

Order of authority: names given by the analyst (study.toml ``interviewers`` or the
metadata column ``interviewer_names``), then speaker labels that name the role
(Interviewer, Moderator, Q, ...), then behaviour (who asks the questions, who speaks first,
who speaks less). Every decision carries its evidence so an analyst can override it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from buyerlab.readers.base import RawTurn

UNLABELLED = "Speaker"

_INTERVIEWER_LABEL = re.compile(
    r"^(?:interviewer|interviewerin|interviewe[rn]|moderator|moderatorin|moderater|facilitator|"
    r"intervjuare|intervjuaren|researcher|forskare|forscher(?:in)?|host|assistant|q|question|"
    r"fråga|frage|i|int|mod)(?:\s*\d+)?$",
    re.IGNORECASE,
)
_RESPONDENT_LABEL = re.compile(
    r"^(?:respondent|respondenten|interviewee|befragte[rn]?|kund(?:e|in)?|customer|"
    r"participant|deltagare|teilnehmer(?:in)?|a|answer|svar|antwort|r|p)(?:\s*\d+)?$",
    re.IGNORECASE,
)
_OTHER_LABEL = re.compile(
    r"^(?:unknown|unidentified|operator|note|notes|system|transcriber|crosstalk|inaudible|"
    r"okänd|unbekannt|all|alla|alle)(?:\s*\d+)?$",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"\?\s*$|\?[\"'”»)]?\s")


@dataclass
class RoleDecision:
    """Roles for the speakers of one interview, with the method and the evidence."""

    roles: dict[str, str]  # speaker -> interviewer | respondent | other
    method: str  # config | label | detected | single_speaker | question_heuristic
    evidence: str
    per_turn: list[str] | None = None  # set only when roles are decided turn by turn
    warnings: list[str] = field(default_factory=list)

    @property
    def interviewers(self) -> list[str]:
        """Speakers judged to be interviewers."""
        return [s for s, r in self.roles.items() if r == "interviewer"]


def _is_question(text: str) -> bool:
    return bool(_QUESTION.search(text.strip() + " "))


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def decide_roles(turns: list[RawTurn], interviewer_names: list[str] | None = None) -> RoleDecision:
    """Assign interviewer / respondent / other to every speaker of one interview."""
    speakers: list[str] = []
    for t in turns:
        if t.speaker is not None and t.speaker not in speakers:
            speakers.append(t.speaker)

    if not speakers:
        return _decide_unlabelled(turns)

    names = {_norm(n) for n in (interviewer_names or []) if n.strip()}
    if names:
        chosen = [s for s in speakers if _norm(s) in names]
        if chosen:
            roles = {s: ("interviewer" if s in chosen else _label_role(s) or "respondent") for s in speakers}
            roles = {s: ("respondent" if r == "interviewer" and s not in chosen else r) for s, r in roles.items()}
            return RoleDecision(roles, "config", f"interviewer named by the analyst: {', '.join(chosen)}")

    labelled = {s: _label_role(s) for s in speakers}
    if any(r == "interviewer" for r in labelled.values()):
        roles = {s: (r if r else "respondent") for s, r in labelled.items()}
        named = [s for s, r in roles.items() if r == "interviewer"]
        return RoleDecision(roles, "label", f"speaker label names the role: {', '.join(named)}")

    candidates = [s for s in speakers if labelled[s] != "other"]
    if len(candidates) <= 1:
        roles = {s: (labelled[s] or "respondent") for s in speakers}
        return RoleDecision(roles, "single_speaker",
                            "one speaker only: all turns taken as the respondent's",
                            warnings=["only one speaker: no interviewer found"])
    return _decide_by_behaviour(turns, speakers, labelled)


def _label_role(speaker: str) -> str | None:
    s = speaker.strip()
    if _INTERVIEWER_LABEL.match(s):
        return "interviewer"
    if _OTHER_LABEL.match(s):
        return "other"
    if _RESPONDENT_LABEL.match(s):
        return "respondent"
    return None


def _decide_by_behaviour(turns: list[RawTurn], speakers: list[str], labelled: dict[str, str | None]) -> RoleDecision:
    stats = {s: {"turns": 0, "questions": 0, "words": 0} for s in speakers}
    for t in turns:
        if t.speaker is None:
            continue
        st = stats[t.speaker]
        st["turns"] += 1
        st["words"] += len(t.text.split())
        st["questions"] += _is_question(t.text)
    total_words = sum(st["words"] for st in stats.values()) or 1
    first = next(t.speaker for t in turns if t.speaker is not None)

    def score(s: str) -> float:
        st = stats[s]
        q_share = st["questions"] / st["turns"] if st["turns"] else 0.0
        word_share = st["words"] / total_words
        # Asking questions is the strongest sign; speaking first and speaking less support it.
        return 2.0 * q_share + 0.5 * (s == first) + 0.5 * (1.0 - word_share)

    candidates = [s for s in speakers if labelled[s] != "other"]
    ranked = sorted(candidates, key=score, reverse=True)
    best = ranked[0]
    roles = {s: (labelled[s] or "respondent") for s in speakers}
    roles = {s: ("respondent" if r == "interviewer" else r) for s, r in roles.items()}
    roles[best] = "interviewer"
    # A second interviewer (co-moderator) must look like one on its own evidence.
    for s in ranked[1:]:
        st = stats[s]
        if st["turns"] >= 3 and st["questions"] / st["turns"] >= 0.6 and st["words"] / total_words < 0.2:
            roles[s] = "interviewer"

    def describe(s: str) -> str:
        st = stats[s]
        return (f"{s}: {st['questions']}/{st['turns']} turns are questions, "
                f"{100 * st['words'] / total_words:.0f}% of words" + (", speaks first" if s == first else ""))

    evidence = "; ".join(describe(s) for s in ranked)
    warnings = []
    best_q = stats[best]["questions"] / max(stats[best]["turns"], 1)
    if best_q < 0.25 or (len(ranked) > 1 and score(ranked[0]) - score(ranked[1]) < 0.3):
        warnings.append(f"interviewer uncertain between {ranked[0]} and {ranked[1]}; "
                        "name the interviewer in study.toml or metadata column interviewer_names")
    return RoleDecision(roles, "detected", evidence, warnings=warnings)


def _decide_unlabelled(turns: list[RawTurn]) -> RoleDecision:
    by_question = ["interviewer" if _is_question(t.text) and len(t.text.split()) <= 60 else "respondent"
                   for t in turns]
    n_q = by_question.count("interviewer")
    # Interviews alternate question and answer. When the question marks agree with strict
    # alternation almost everywhere, alternation also places the turns without a question
    # mark (greetings, thanks, follow-ups said as statements).
    first = by_question[0] if turns else "interviewer"
    other = "respondent" if first == "interviewer" else "interviewer"
    alternating = [first if i % 2 == 0 else other for i in range(len(turns))]
    agree = sum(a == b for a, b in zip(alternating, by_question))
    if len(turns) >= 6 and n_q and agree >= 0.85 * len(turns):
        evidence = (f"no speaker labels: turns alternate question and answer ({agree} of {len(turns)} agree with "
                    f"the {n_q} question turns); roles taken from the alternation")
        per_turn = alternating
    else:
        evidence = (f"no speaker labels: {n_q} of {len(turns)} turns are short questions and were taken as the "
                    "interviewer's, the rest as the respondent's")
        per_turn = by_question
    warnings = ["no speaker labels: roles guessed turn by turn"]
    return RoleDecision({UNLABELLED: "respondent"}, "question_heuristic", evidence, per_turn=per_turn,
                        warnings=warnings)
