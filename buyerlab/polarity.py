"""Polarity and buying role of a matched span: what the words around it say.

Polarity: ``negated`` when a net (odd) number of negation cues scopes over the match in
its clause (a few tokens either side, cues inside the matched span do not count: a pattern
like ``no time`` states the barrier), ``hypothetical`` when a conditional or counterfactual
cue is in the clause, else ``present``. Refinements (codebook 1.2.0, measured on the gold set):

- a cue does not reach a match when it is "without" after the match ("talk to our ERP
  without us paying"), "without" in a counterfactual sentence ("without the client pressure
  I'd still be waiting": the pressure was there), a negated wish ("we didn't want to be stuck
  with": the aversion is what is said) or separated by a why/how/whether clause;
- a negated past condition states the fact ("If it hadn't connected to payroll" = it did);
- mentions of a party (stakeholders, competitors, a new leader) are negated only by a cue
  that governs the mention ("we don't have a CISO", "no CFO") or a negated taking part
  ("wasn't involved", "weren't asked"); "our legal department wouldn't sign" names a party
  that took part. Only a condition before the mention makes it hypothetical;
- an option turned down with a contrast ("not repair it but replace it") was on the table:
  the alternative is ``present``;
- a modal ("would", "'d", "skulle", "würde") is hypothetical only as a counterfactual
  ("would have"), never as "had" ("she'd set up") or a preference ("I'd rather"), and a plain
  modal after a reporting or question word ("said that it would", "trodde att det skulle")
  is the future in the past; "even if" / "även om" / "auch wenn" concede, they do not condition.

Buying role: the nearest non-negated cue in the mention's sentence (or in the next one when
it opens with a pronoun for the party); a new leader named as a stakeholder is the initiator.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from buyerlab.codebook import BUYING_ROLES

NEG_WINDOW_BEFORE = 6  # tokens between a negation cue and the match it scopes over
NEG_WINDOW_AFTER = 5
NEG_WINDOW_AFTER_BY_LANG = {"de": 8}  # German puts "nicht" at the end of the clause


# --------------------------------------------------------------------------- cue lexicons
# Language-specific cue words; why each exists is in the module docstring.

@dataclass(frozen=True)
class _Cues:
    negation: frozenset[str]
    negation_prefixes: tuple[str, ...]
    not_negation_next: dict[str, frozenset[str]]  # cue -> next words that make it no negation
    paired: frozenset[str]  # neither/nor: one negation, not two
    contrast_after_negation: frozenset[str]  # "inte X utan Y": utan separates, does not negate
    boundaries: frozenset[str]
    hypothetical: frozenset[str]
    hypothetical_prefixes: tuple[str, ...]
    hypothetical_clause_initial: frozenset[str]  # only at the start of a clause ("om" = if/about)
    hypothetical_before_have: frozenset[str]  # "could have", "might have"
    inverted_conditional: frozenset[str]  # "hade vi ..." = "if we had ..."
    pronouns: frozenset[str]
    inverts: bool = False  # "hade vi ..." / "had we ..." starts a conditional
    # modal cues ("would", "skulle", "hätte") that are future-in-the-past after a reporting word
    modal: frozenset[str] = frozenset()
    reported: frozenset[str] = frozenset()
    concessive: frozenset[str] = frozenset()  # "even" of "even if": a concession, not a condition
    conditions: frozenset[str] = frozenset()  # "if"-type words (not modals)
    preference: frozenset[str] = frozenset()  # "'d rather": a stated preference, not a wish
    past_participles: frozenset[str] = frozenset()  # irregular; "'d" + participle = "had"
    # stakeholder / competitor mentions: a negation after the mention negates the mention only
    # when it is about taking part ("wasn't involved"); else it is the mention's own predicate
    involvement_prefixes: tuple[str, ...] = ()
    partitive: frozenset[str] = frozenset()  # "nobody on the team": the negation is the predicate's
    object_pronouns: frozenset[str] = frozenset()
    # "not X but Y" for options: X was weighed and turned down, i.e. on the table
    contrast: frozenset[str] = frozenset()


_PUNCT_BOUNDARIES = {",", ";", ":", "—", "–", "--", "(", ")", "?", "!", "."}

CUES: dict[str, _Cues] = {
    "en": _Cues(
        negation=frozenset({"not", "n't", "never", "no", "neither", "nor", "without", "hardly", "nothing",
                            "nobody", "none", "barely", "cannot"}),
        negation_prefixes=(),
        not_negation_next={
            "not": frozenset({"only", "just", "merely", "least"}),
            "n't": frozenset({"only", "just", "merely"}),
            "no": frozenset({"doubt", "question", "wonder", "matter"}),
            "without": frozenset({"doubt", "question"}),
        },
        paired=frozenset({"neither", "nor"}),
        contrast_after_negation=frozenset(),
        boundaries=frozenset({"but", "however", "although", "though", "because", "whereas", "while", "so",
                              "unless", "whether"}),
        hypothetical=frozenset({"if", "would", "might", "unless", "suppose", "supposing", "imagine",
                                "hypothetically", "'d"}),
        hypothetical_prefixes=(),
        hypothetical_clause_initial=frozenset(),
        hypothetical_before_have=frozenset({"could", "should", "must"}),
        inverted_conditional=frozenset({"had", "were"}),
        pronouns=frozenset({"we", "i", "they", "you", "he", "she", "it"}),
        inverts=True,
        modal=frozenset({"would", "'d", "might"}),
        reported=frozenset({"that", "how", "whether", "what", "where", "when", "said", "says", "thought",
                            "knew", "know", "worried", "feared", "afraid", "wanted", "told", "promised",
                            "expected", "hoped", "assumed", "sure", "wondered", "concerned", "who", "which"}),
        concessive=frozenset({"even"}),
        conditions=frozenset({"if", "unless", "suppose", "supposing", "imagine", "hypothetically"}),
        preference=frozenset({"rather", "prefer", "sooner"}),
        past_participles=frozenset({"been", "had", "got", "gotten", "gone", "done", "seen", "made", "set", "spent",
                                    "heard", "known", "taken", "given", "found", "put", "left", "come", "run",
                                    "bought", "brought", "thought", "told", "said", "built", "sent", "felt",
                                    "kept", "lost", "met", "paid", "won", "begun", "become", "chosen",
                                    "written", "spoken", "shown", "grown", "read", "hit", "cut", "let"}),
        involvement_prefixes=("involv", "ask", "consult", "includ", "part", "say", "inform", "invit", "told",
                              "option", "table", "consider"),
        partitive=frozenset({"nobody", "none", "no", "nothing"}),
        object_pronouns=frozenset({"her", "him", "them", "us", "me", "it", "you"}),
        contrast=frozenset({"but", "instead", "rather"}),
    ),
    "sv": _Cues(
        negation=frozenset({"inte", "icke", "ej", "aldrig", "ingen", "inget", "inga", "ingenting", "varken",
                            "eller", "utan", "knappast", "knappt"}),
        negation_prefixes=(),
        not_negation_next={
            "inte": frozenset({"bara", "minst", "enbart", "endast"}),
            "utan": frozenset({"tvekan", "tvivel"}),
            "ingen": frozenset({"tvekan", "fråga"}),
        },
        paired=frozenset({"varken", "eller"}),
        contrast_after_negation=frozenset({"utan"}),
        boundaries=frozenset({"men", "fast", "eftersom", "därför", "medan", "trots", "dock", "så", "för"}),
        hypothetical=frozenset({"skulle", "ifall", "vore", "kanske"}),
        hypothetical_prefixes=(),
        hypothetical_clause_initial=frozenset({"om"}),
        hypothetical_before_have=frozenset({"kunde"}),
        inverted_conditional=frozenset({"hade", "var"}),
        pronouns=frozenset({"vi", "jag", "de", "ni", "man", "han", "hon", "det", "dom"}),
        inverts=True,
        modal=frozenset({"skulle", "vore"}),
        reported=frozenset({"att", "trodde", "tänkte", "sa", "sade", "var", "hur", "vad", "när", "ville",
                            "föreslog", "meddelade", "lovade", "visste", "rädd", "rädda", "orolig", "oroliga",
                            "som", "undrade", "räknade"}),
        concessive=frozenset({"även", "också"}),
        conditions=frozenset({"om", "ifall"}),
        preference=frozenset({"hellre"}),
        involvement_prefixes=("inblandad", "involverad", "tillfrågad", "delaktig", "med", "frågad", "aktuell",
                              "alternativ", "säga", "informerad"),
        partitive=frozenset({"ingen", "inget", "inga", "ingenting"}),
        object_pronouns=frozenset({"henne", "honom", "dem", "dom", "oss", "mig", "det", "er"}),
        contrast=frozenset({"utan", "men", "istället", "hellre"}),
    ),
    "de": _Cues(
        negation=frozenset({"nicht", "nie", "niemals", "weder", "noch", "ohne", "nichts", "kaum", "niemand"}),
        negation_prefixes=("kein",),
        not_negation_next={
            "nicht": frozenset({"nur", "zuletzt", "allein"}),
            "ohne": frozenset({"zweifel", "frage"}),
            "kein": frozenset({"zweifel", "wunder", "frage"}),
            "keine": frozenset({"frage", "zweifel"}),
        },
        paired=frozenset({"weder", "noch"}),
        contrast_after_negation=frozenset({"sondern"}),
        boundaries=frozenset({"aber", "sondern", "obwohl", "weil", "denn", "doch", "während", "jedoch",
                              "dass", "deshalb", "deswegen"}),
        hypothetical=frozenset({"wenn", "falls", "sofern", "vielleicht"}),
        hypothetical_prefixes=("hätt", "wär", "würd", "könnt"),
        hypothetical_clause_initial=frozenset(),
        hypothetical_before_have=frozenset(),
        inverted_conditional=frozenset(),
        pronouns=frozenset(),
        modal=frozenset(),  # the Konjunktiv prefixes below are modal too (see _is_modal)
        reported=frozenset({"dass", "ob", "wie", "was", "wo", "wann", "gesagt", "meinte", "dachte", "gedacht",
                            "gewusst", "wusste", "befürchtet", "sorge", "angst", "versprochen", "wollte",
                            "wollten", "sagte", "hieß"}),
        concessive=frozenset({"auch", "selbst"}),
        conditions=frozenset({"wenn", "falls", "sofern"}),
        preference=frozenset({"lieber"}),
        involvement_prefixes=("beteiligt", "gefragt", "eingebunden", "einbezogen", "dabei", "mitrede", "mitgerede",
                              "option", "frage", "infrage", "informiert"),
        partitive=frozenset({"niemand", "keiner", "keine", "keines", "nichts"}),
        object_pronouns=frozenset({"sie", "ihn", "ihm", "ihr", "uns", "mich", "mir", "es", "ihnen"}),
        contrast=frozenset({"sondern", "aber", "stattdessen", "lieber"}),
    ),
}
_MENTION_CODES = frozenset({"competitor", "new_leadership"})  # besides stakeholders: codes that name a party
INITIATOR_CODES = frozenset({"new_leadership"})  # a new leader named as a stakeholder brought the change
_PREP_NEGATORS = frozenset({"without", "utan", "ohne"})  # negate only the phrase after them
_VOLITION = frozenset({"want", "wanted", "wish", "ville", "vill", "wollte", "wollten", "will", "wollen"})
# "didn't see why they should trust it": the cue does not reach into the question clause
_WH_SUBORDINATORS = frozenset({"why", "how", "whether", "varför", "hur", "huruvida", "warum", "wieso", "weshalb",
                               "ob", "wie"})
_COUNTERFACTUAL_MODALS = frozenset({"would", "'d", "hade", "skulle", "hätte", "hätten", "wäre", "wären", "würde",
                                    "würden"})
# "noch" is only a negation as the second half of "weder ... noch"; "eller" of "varken ... eller".
_PAIR_ONLY = {"noch", "eller", "nor"}



_CONTINUING_SUBJECTS = {  # a sentence opening with one of these goes on about the party just named
    "en": frozenset({"he", "she", "they"}),
    "sv": frozenset({"han", "hon", "de", "dom"}),
    "de": frozenset({"er", "sie"}),  # not "der"/"die": mostly articles at a sentence start
}


def nearest_role(words: list[str], roles, s: int, e: int, starts: list[int], targets, lang: str) -> str | None:
    """The buying role whose cue is nearest the mention in its sentence, same clause first.

    A negated cue ("didn't have a veto") states no role. Without a cue in the mention's sentence,
    a next sentence that opens with a pronoun ("They had a veto, in effect.") is read as well.
    """
    if not roles:
        return None
    sent = bisect.bisect_right(starts, s)
    cues = CUES.get(lang)
    lo, hi = _clause(words, s, e, starts, cues) if cues else (s, e)
    nxt_start = starts[sent] if sent < len(starts) else len(words)
    follows = nxt_start < len(words) and words[nxt_start] in _CONTINUING_SUBJECTS.get(lang, ())
    ranked = []
    for target, rs, re_, *_ in roles:
        in_sent = bisect.bisect_right(starts, rs)
        if in_sent != sent and not (follows and in_sent == sent + 1):
            continue
        distance = 0 if rs < e and s < re_ else (rs - e if rs >= e else s - re_)
        role = targets[target][1]
        same_clause = lo <= rs < hi or lo < re_ <= hi
        key = (in_sent != sent, not same_clause, distance, BUYING_ROLES.index(role) if role in BUYING_ROLES else 99)
        ranked.append((key, rs, re_, role))
    # polarity only for the best candidates, in order: most mentions have one cue or none
    for _, rs, re_, role in sorted(ranked):
        if cues is None or polarity_of(words, rs, re_, starts, lang) != "negated":
            return role
    return None


# --------------------------------------------------------------------------- polarity

def _clause(words: list[str], s: int, e: int, starts: list[int], cues: _Cues) -> tuple[int, int]:
    k = bisect.bisect_right(starts, s)
    sent_start, sent_end = starts[k - 1], starts[k] if k < len(starts) else len(words)
    lo = s
    while lo > sent_start:
        w = words[lo - 1]
        if w in _PUNCT_BOUNDARIES or w in cues.boundaries or w in cues.contrast_after_negation and _negation_before(
                words, sent_start, lo - 1, cues):
            break
        if _inverted_main_clause(words, lo - 1, sent_start, cues):
            lo -= 1  # "hade vi" opens the main clause after an unpunctuated "Hade det ..." condition
            break
        lo -= 1
    hi = e
    while hi < sent_end:
        w = words[hi]
        if w in _PUNCT_BOUNDARIES or w in cues.boundaries or w in cues.contrast_after_negation and _negation_before(
                words, sent_start, hi, cues) or _inverted_main_clause(words, hi, sent_start, cues):
            break
        hi += 1
    return lo, hi


def _inverted_main_clause(words: list[str], i: int, sent_start: int, cues: _Cues) -> bool:
    """A verb-first "hade vi" in mid-sentence: the main clause of a counterfactual starts here."""
    return (cues.inverts and i > sent_start and words[i] in cues.inverted_conditional
            and i + 1 < len(words) and words[i + 1] in cues.pronouns
            and words[sent_start] in cues.inverted_conditional)


def _is_negation(words: list[str], i: int, cues: _Cues) -> bool:
    w = words[i]
    if not (w in cues.negation or cues.negation_prefixes and w.startswith(cues.negation_prefixes)):
        return False
    nxt = words[i + 1] if i + 1 < len(words) else ""
    key = w if w in cues.not_negation_next else next((p for p in cues.negation_prefixes if w.startswith(p)), w)
    if nxt in cues.not_negation_next.get(w, ()) or nxt in cues.not_negation_next.get(key, ()):
        return False
    return True


def _negation_before(words: list[str], start: int, i: int, cues: _Cues) -> bool:
    return any(_is_negation(words, j, cues) and words[j] not in cues.contrast_after_negation
               for j in range(start, i))


_ADVERBS_AFTER_MODAL = frozenset({"already", "just", "never", "ever", "always", "also", "only", "even", "really",
                                  "probably", "definitely", "certainly", "still", "not", "n't", "nog", "inte",
                                  "aldrig", "nie", "nicht", "wohl", "sicher", "wahrscheinlich", "bestimmt"})


def _modal_kind(words: list[str], i: int, cues: _Cues) -> str:
    """For a modal cue at i: "had" ("she'd set up"), "perfect" ("would have"), "preference" or "plain"."""
    j = i + 1
    while j < len(words) and words[j] in _ADVERBS_AFTER_MODAL:
        j += 1
    nxt = words[j] if j < len(words) else ""
    if nxt in ("have", "'ve", "ha", "haft"):
        return "perfect"
    if nxt in cues.preference:
        return "preference"
    if words[i] == "'d" and (nxt in cues.past_participles or len(nxt) > 4 and nxt.endswith("ed")):
        return "had"
    return "plain"


def _is_reported(words: list[str], i: int, sent_start: int, cues: _Cues) -> bool:
    """A modal after a reporting or question word in its sentence: future in the past, not a condition."""
    return any(words[j] in cues.reported for j in range(max(sent_start, i - 6), i))


def _is_hypothetical(words: list[str], i: int, lo: int, cues: _Cues, sent_start: int | None = None) -> bool:
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    sent_start = lo if sent_start is None else sent_start
    modal = w in cues.modal or cues.hypothetical_prefixes and w.startswith(cues.hypothetical_prefixes)
    if modal:
        kind = _modal_kind(words, i, cues)
        if kind in ("had", "preference"):
            return False
        # "would have" stays a counterfactual even when reported; a plain "would"/"skulle" after
        # "said that" / "trodde att" / "wanted to know" is what was expected then
        return kind == "perfect" or not _is_reported(words, i, sent_start, cues)
    if w in cues.hypothetical:
        return not (i > 0 and words[i - 1] in cues.concessive and w in cues.conditions)
    if w in cues.hypothetical_before_have and nxt in ("have", "'ve", "ha"):
        after = words[i + 2] if i + 2 < len(words) else ""
        # "could have blocked it" is counterfactual; "the one we could have in six weeks" is not
        return cues is not CUES.get("en") or after in cues.past_participles or after.endswith(("ed", "en"))
    clause_initial = i == lo or words[i - 1] in ("och", "men", "and", "but", "eller", "or")
    if w in cues.hypothetical_clause_initial and clause_initial:
        return not (i > 0 and words[i - 1] in cues.concessive)
    # "Hade vi ..." / "Då hade vi nog ..." (then we would have): verb before subject = counterfactual
    after_adverb = i > 0 and words[i - 1] in ("då", "annars", "then", "otherwise")
    if w in cues.inverted_conditional and (i == lo or after_adverb) and nxt in cues.pronouns and cues.inverts:
        return True
    return False


_ANSWER_NO = frozenset({"no", "nope", "nah", "nej", "nä", "nää", "nein", "nee", "nö"})
ECHO_MAX_TOKENS = 6  # "Price?" / "Der Preis?" / "Kostnaden?": a short question naming the code


def _echo_answered_no(words: list[str], s: int, starts: list[int], cues: _Cues) -> bool:
    """The match sits in a short echo question that the next sentence answers with a negation."""
    k = bisect.bisect_right(starts, s)
    sent_start, sent_end = starts[k - 1], starts[k] if k < len(starts) else len(words)
    if sent_end - sent_start > ECHO_MAX_TOKENS or words[sent_end - 1] != "?" or sent_end >= len(words):
        return False
    nxt_end = starts[k + 1] if k + 1 < len(starts) else len(words)
    for j in range(sent_end, min(sent_end + 3, nxt_end)):
        if words[j] in _ANSWER_NO or _is_negation(words, j, cues):
            return True
    return False


_PREPOSITIONS = frozenset({"of", "on", "from", "in", "at", "among", "i", "på", "från", "av", "bland", "hos", "von",
                           "aus", "im", "bei", "unter"})
_SENT_PUNCT = frozenset({",", ";", ":", "—", "–", "--", "(", ")", "?", "!", "."})
_PAST_MARKERS = frozenset({"had", "'d", "hade", "hätte", "hätten", "wäre", "wären"})


def _negation_counts_for_mention(words: list[str], j: int, s: int, e: int, hi: int, cues: _Cues) -> bool:
    """Whether a negation cue at j negates a stakeholder/competitor mention at words[s:e].

    "We don't have a CISO", "no CFO": the cue governs the mention. "Our legal department
    wouldn't sign that", "nobody on the team needed convincing": it negates what the party did,
    which says the party took part. After the mention, only "wasn't involved/asked" negates it.
    """
    if j < s:
        between = words[j + 1:s]
        if words[j] in cues.partitive and j + 1 < s and words[j + 1] in _PREPOSITIONS:
            return False
        return not any(w in cues.object_pronouns or w in _SENT_PUNCT for w in between)
    return any(words[k].startswith(cues.involvement_prefixes) for k in range(max(e, j + 1), min(hi, j + 5)))


def _counterfactual_condition(words: list[str], lo: int, hi: int, cues: _Cues) -> bool:
    """The clause is a past counterfactual condition: "if it hadn't ...", "hade det inte funnits ..."."""
    if cues.inverts and hi - lo > 1 and words[lo] in cues.inverted_conditional and words[lo + 1] in cues.pronouns:
        return True
    conditional = any(words[j] in cues.conditions for j in range(lo, hi))
    return conditional and any(words[j] in _PAST_MARKERS or words[j].startswith(("hätt", "wär"))
                               for j in range(lo, hi))


def polarity_of(words: list[str], s: int, e: int, starts: list[int] | None = None, lang: str = "en",
                literal: frozenset[int] | None = None, hyp_candidates: list[int] | None = None,
                family: str | None = None, code: str | None = None) -> str:
    """present, negated or hypothetical for the span words[s:e] (token indices; words lower-cased).

    ``literal``: positions inside the span matched by pattern words; cues there belong to the
    code's own wording ("no time") and do not count, cues in a gap ("price ... problem") do.
    ``family``/``code``: mentions of a party (stakeholders, competitors) and options
    (alternatives) read negation differently (see :func:`_negation_counts_for_mention`).
    """
    cues = CUES.get(lang)
    if cues is None:
        return "present"
    if starts is None:
        starts = [0]
    if literal is None:
        literal = frozenset(range(s, e))
    mention = family == "stakeholder" or code in _MENTION_CODES
    lo, hi = _clause(words, s, e, starts, cues)
    inside = [j for j in range(s, e) if j not in literal]
    scope = list(range(max(lo, s - NEG_WINDOW_BEFORE), s)) + inside + list(range(e, min(hi, e + NEG_WINDOW_AFTER_BY_LANG.get(lang, NEG_WINDOW_AFTER))))
    found: list[str] = []
    first_cue = None
    k = bisect.bisect_right(starts, s)
    sent_start, sent_end = starts[k - 1], starts[k] if k < len(starts) else len(words)
    for j in scope:
        if _is_negation(words, j, cues):
            w = words[j]
            if w in cues.contrast_after_negation and _negation_before(words, lo, j, cues):
                continue
            if not _cue_reaches(words, j, s, sent_start, sent_end):
                continue
            if mention and not _negation_counts_for_mention(words, j, s, e, hi, cues):
                continue
            found.append(w)
            first_cue = j if first_cue is None else first_cue
    paired = [w for w in found if w in cues.paired]
    plain = [w for w in found if w not in cues.paired]
    # "neither ... nor" is one negation; a lone "nor"/"noch"/"eller" is none.
    count = len(plain) + (1 if any(w not in _PAIR_ONLY for w in paired) else 0)
    if count % 2 == 1:
        # "If it hadn't connected to payroll ..." says that it did connect
        if _counterfactual_condition(words, lo, hi, cues):
            return "present"
        # "not repair it but replace it": the option was weighed and turned down, so on the table
        if (family == "alternative" and first_cue is not None and first_cue < s
                and _contrast_follows(words, e, starts, cues)):
            return "present"
        return "negated"
    if count == 0 and not mention and _echo_answered_no(words, s, starts, cues):
        return "negated"
    # hyp_candidates: positions whose word can be a hypothetical cue at all (a per-doc prefilter)
    sent_start = starts[bisect.bisect_right(starts, s) - 1]
    for j in (range(lo, hi) if hyp_candidates is None else [c for c in hyp_candidates if lo <= c < hi]):
        if j in literal or not _is_hypothetical(words, j, lo, cues, sent_start):
            continue
        is_modal = words[j] in cues.modal or cues.hypothetical_prefixes and words[j].startswith(
            cues.hypothetical_prefixes)
        if mention and (j >= s or is_modal and _modal_kind(words, j, cues) != "perfect"):
            continue  # "IT could have vetoed it" names a party that took part; "if we had a CISO" does not
        return "hypothetical"
    return "present"


def _cue_reaches(words: list[str], j: int, s: int, sent_start: int, sent_end: int) -> bool:
    """Whether the negation cue at j scopes over a match starting at s, by the words around the cue."""
    w = words[j]
    if w in _PREP_NEGATORS:
        if j > s:
            return False  # "talk to our ERP without us paying someone": "without" opens its own phrase
        # "Without the client pressure I'd still be ...": a counterfactual, so the thing was there
        if any(words[k] in _COUNTERFACTUAL_MODALS for k in range(sent_start, sent_end)):
            return False
    # "we didn't want to be stuck with": the aversion itself is what is said
    if any(words[k] in _VOLITION for k in range(j + 1, min(j + 3, s))) or j < s and j > sent_start and (
            words[j - 1] in _VOLITION):  # "de ville inte släppa den", "wollte nicht"
        return False
    return not (j < s and any(words[k] in _WH_SUBORDINATORS for k in range(j + 1, s)))


def _contrast_follows(words: list[str], e: int, starts: list[int], cues: _Cues) -> bool:
    k = bisect.bisect_right(starts, e - 1)
    end = starts[k] if k < len(starts) else len(words)
    return any(words[j] in cues.contrast for j in range(e, min(end, e + 6)))
