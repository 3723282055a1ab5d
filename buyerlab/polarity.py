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

Refinements of the polarity pass in codebook 1.4.0 (measured on the gold and training sets; every rule is
stated by meaning and tested on invented en/sv/de sentences in tests/test_polarity.py):

- clauses: "and we ..." / "och sen ..." / "und dann ..." opens a clause of its own; a negation
  behind a reporting verb, a complementizer or a relative clause with its own subject after the
  match is that clause's ("the sweep said it wouldn't pass", "tid att priset inte spelar någon
  roll", "servrar som ingen orkade ta hand om"); "ehrlich gesagt" is no reporting verb; a fronted
  time phrase ("After the migration ...", "Nach dem Vorfall ...") is presupposed; "didn't care
  whether X" reaches X; "What we hadn't budgeted for was X" does not; "inte så att X" negates X;
- a topic named and waved away is ``negated``: "Innovation, naja, ...", "Sustainability? On
  paper, yes" (and a motive in a sentence opening "on paper"/"in theory"), "X, no chance",
  "X, not so much", "X, det brydde vi oss inte om" (resumptive pronoun with a negation);
- negative wording that states the code is ``present``: a negated ability for barriers,
  triggers and motives ("we couldn't keep up", "föll bort för att de inte kunde prata med
  ekonomisystemet"; not "couldn't see"), a lack for lack_resources/price ("didn't have the
  capacity"), a doubt for barriers ("nobody was sure it could", "lohnt sich nicht"), a barrier
  named by its positive side ("Rely on it alone? No."), a demand ("hat gesagt: keine
  Leistungskontrolle"), an aversion ("didn't fancy", "wollten wir nicht"); never when the
  negation is about an issue ("had no problem with the budget"); a negated counterfactual with
  "without" states the fact ("hätte das Budget nie freigegeben ohne ...");
- conditions: both halves of a conditional sentence are imagined ("If they raise the price, we
  leave"; Swedish verb-first "Håller de priset så stannar jag"), unless the condition states a
  rule (generic "you"/"man"/"du", an English zero conditional "if it goes wrong it's her
  registration"), is "whether" ("asking if"), a remark about speaking ("if I'm honest"), or the
  object of a worry ("Angst, dass ..., wenn wir umstellen", "what happens if they go under");
  wishes ("hopefully", "hoffentlich", "förhoppningsvis") are ``hypothetical``;
- modals: an option whose outcome is weighed ("Refreshing would have been cheaper", "ein
  Ingenieurbüro hätte das gemacht") was on the table; "'d" in a time clause ("until we'd sat
  down") is "had"; a modal behind "agreed"/"convinced"/"think" is reported; "hade de" after a
  fronted adverb ("Sen, ärligt talat, hade de ...") is a plain past;
- mentions: an apposition does not hide the predicate ("Our MD, Rob, wasn't involved"); a
  fronted object of a negated "have" is negated ("Einen Beirat haben wir nicht"); "nobody on
  the board cared" is not taking part.

Buying role: the nearest non-negated cue in the mention's sentence (or in the next one when
it opens with a pronoun for the party, or in German with "der"/"die" before a finite verb); a
cue negated in a counterfactual with "without" counts ("hätte das Budget nie freigegeben ohne
den Schreck"); a new leader named as a stakeholder is the initiator.
"""

from __future__ import annotations

import bisect
from itertools import compress

from buyerlab.codebook import BUYING_ROLES
from buyerlab.polarity_cues import CUES, PUNCT_BOUNDARIES, STRONG_PUNCT, Cues

NEG_WINDOW_BEFORE = 6  # tokens between a negation cue and the match it scopes over
NEG_WINDOW_AFTER = 5
NEG_WINDOW_AFTER_BY_LANG = {"de": 8}  # German puts "nicht" at the end of the clause


# The lists of a CueIndex, as bits of a word's kind; a verb-first condition can open after an _AFTER word.
_CLAUSE, _CONDITION, _NEGATION, _HYPOTHETICAL, _PUNCTUATION, _AFTER, _IF = 1, 2, 4, 8, 16, 32, 64
_LISTS_OF = tuple(tuple(j for j in range(7) if mask >> j & 1) for mask in range(128))  # mask -> list numbers


class _CueKinds(dict):
    """word -> its kind (a bit mask, 0 for most words), computed on a form's first lookup."""

    def __init__(self, cues: Cues) -> None:
        super().__init__()
        self.cues = cues
        self.hypothetical = (cues.hypothetical | cues.hypothetical_before_have | cues.hypothetical_clause_initial
                             | cues.inverted_conditional | cues.modal)  # every word _is_hypothetical accepts

    def __missing__(self, word: str) -> int:
        cues = self.cues
        kind = ((word in cues.clause_stops) * _CLAUSE | (word in cues.condition_stops) * _CONDITION
                | (word in cues.negation or bool(cues.negation_prefixes) and word.startswith(cues.negation_prefixes))
                * _NEGATION
                | (word in self.hypothetical or bool(cues.hypothetical_prefixes)
                   and word.startswith(cues.hypothetical_prefixes)) * _HYPOTHETICAL
                | (word in _SENT_PUNCT) * _PUNCTUATION
                | (word in cues.verb_first_after) * _AFTER
                | (word in cues.conditions) * _IF)
        self[word] = kind
        return kind


_KINDS: dict[str, _CueKinds] = {}  # language -> its kind table


class CueIndex:
    """Sorted positions of one doc's cue words, found once and shared by every match in the doc.

    Each match's polarity walks to its clause and sentence edges; with the positions of the
    words that can end or change a walk at hand, a walk visits those few words, not every word.
    """

    __slots__ = ("clause_stops", "condition_stops", "negations", "hypotheticals", "punctuation", "conditions")

    def __init__(self, words: list[str], lang: str) -> None:
        cues = CUES.get(lang)
        if cues is None:
            self.clause_stops = self.condition_stops = self.negations = self.hypotheticals = []
            self.punctuation = self.conditions = []
            return
        # one lookup per word (in C), then a short loop over the few words of any kind
        table = _KINDS.get(lang)
        if table is None:
            table = _KINDS[lang] = _CueKinds(cues)
        kinds = list(map(table.__getitem__, words))
        lists: tuple[list[int], ...] = ([], [], [], [], [], [], [])
        for i in compress(range(len(kinds)), kinds):
            for j in _LISTS_OF[kinds[i]]:
                lists[j].append(i)
        self.clause_stops, condition, self.negations, self.hypotheticals, self.punctuation = lists[:5]
        after, self.conditions = lists[5:]
        if after:  # a verb-first condition can open after these (see _verb_first_condition)
            condition = sorted({i + 1 for i in after}.union(condition))
        self.condition_stops = condition


def _between(positions: list[int], lo: int, hi: int) -> list[int]:
    """The sorted positions p with lo <= p < hi."""
    return positions[bisect.bisect_left(positions, lo):bisect.bisect_left(positions, hi)]


def _any_between(positions: list[int], lo: int, hi: int) -> bool:
    """Whether some sorted position p has lo <= p < hi."""
    p = bisect.bisect_left(positions, lo)
    return p < len(positions) and positions[p] < hi


def _plainly_present(words: list[str], s: int, e: int, sent_start: int, sent_end: int, cues: Cues,
                     index: CueIndex) -> bool:
    """No word in the match's sentence that any rule of :func:`polarity_of` needs to call it otherwise.

    Without a negation or hypothetical cue in the sentence, an "if"-word before the match, a short
    question a "no" may answer, or a "så" that may close a Swedish verb-first condition, every
    rule after the waved-away checks returns ``present``; about half of all matches are in such sentences.
    """
    end = max(sent_end, e)
    if (_any_between(index.negations, sent_start, end) or _any_between(index.hypotheticals, sent_start, end)
            or _any_between(index.conditions, sent_start, s)):
        return False
    if sent_end - sent_start <= ECHO_MAX_TOKENS and words[sent_end - 1] == "?":
        return False
    return not (cues.verb_first_then and cues.verb_first_then in words[sent_start:sent_end])


_MENTION_CODES = frozenset({"competitor", "new_leadership"})  # besides stakeholders: codes that name a party
INITIATOR_CODES = frozenset({"new_leadership"})  # a new leader named as a stakeholder brought the change
_PREP_NEGATORS = frozenset({"without", "utan", "ohne"})  # negate only the phrase after them
_VOLITION = frozenset({"want", "wanted", "wish", "ville", "vill", "wollte", "wollten", "will", "wollen",
                       "like", "liked", "fancy", "fancied", "gilla", "gillade", "gillar", "mochte", "mochten", "mag"})
# "didn't care whether it was cutting-edge": a negated caring reaches into the whether-clause
_MATTERING = frozenset({"care", "cared", "mind", "minded", "matter", "mattered", "bry", "brydde", "brytt",
                        "kümmern", "gekümmert", "interessiert", "interessierte"})
_COPULAS = frozenset({"was", "is", "were", "var", "är", "war", "ist"})
# "didn't see why they should trust it": the cue does not reach into the question clause
_WH_SUBORDINATORS = frozenset({"why", "how", "whether", "varför", "hur", "huruvida", "warum", "wieso", "weshalb",
                               "ob", "wie"})
_COUNTERFACTUAL_MODALS = frozenset({"would", "'d", "hade", "skulle", "hätte", "hätten", "wäre", "wären", "würde",
                                    "würden"})
# "noch" is only a negation as the second half of "weder ... noch"; "eller" of "varken ... eller".
_PAIR_ONLY = frozenset({"noch", "eller", "nor"})


def nearest_role(words: list[str], roles, s: int, e: int, starts: list[int], targets, lang: str,
                 index: CueIndex | None = None) -> str | None:
    """The buying role whose cue is nearest the mention in its sentence, same clause first.

    A negated cue ("didn't have a veto") states no role. Without a cue in the mention's sentence,
    a next sentence that opens with a pronoun ("They had a veto, in effect.") is read as well.
    """
    if not roles:
        return None
    sent = bisect.bisect_right(starts, s)
    cues = CUES.get(lang)
    if cues and index is None:
        index = CueIndex(words, lang)
    lo, hi = _clause(words, s, e, *_sentence(starts, s, len(words)), cues, index) if cues else (s, e)
    nxt_start = starts[sent] if sent < len(starts) else len(words)
    follows = cues is not None and nxt_start < len(words) and (words[nxt_start] in cues.continuing_subjects or (
        # "Der hat gesagt ...", "Die hat mir ihren Bildschirm gezeigt": a demonstrative before a finite verb
        words[nxt_start] in cues.demonstrative_subjects and nxt_start + 1 < len(words)
        and words[nxt_start + 1] in cues.finite_aux))
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
        if cues is None or polarity_of(words, rs, re_, starts, lang, index=index) != "negated":
            return role
    return None


# --------------------------------------------------------------------------- polarity

def _sentence(starts: list[int], s: int, n: int) -> tuple[int, int]:
    """(start, end) of the sentence holding position s, from the sorted sentence starts of an n-word doc."""
    k = bisect.bisect_right(starts, s)
    return starts[k - 1], starts[k] if k < len(starts) else n


def _clause(words: list[str], s: int, e: int, sent_start: int, sent_end: int, cues: Cues,
            index: CueIndex) -> tuple[int, int]:
    """(lo, hi): the clause around words[s:e], within its sentence."""
    stops = index.clause_stops
    lo = sent_start
    for p in range(bisect.bisect_left(stops, s) - 1, -1, -1):
        i = stops[p]
        if i < sent_start:
            break
        if _ends_clause(words, i, sent_start, cues):
            lo = i + 1
            break
        if _inverted_main_clause(words, i, sent_start, cues):
            lo = i  # "hade vi" opens the main clause after an unpunctuated "Hade det ..." condition
            break
    hi = max(e, sent_end)
    for p in range(bisect.bisect_left(stops, e), len(stops)):
        i = stops[p]
        if i >= sent_end:
            break
        if _ends_clause(words, i, sent_start, cues) or _inverted_main_clause(words, i, sent_start, cues):
            hi = i
            break
    return lo, hi


def _ends_clause(words: list[str], i: int, sent_start: int, cues: Cues) -> bool:
    """Punctuation, a boundary word, "utan" after a negation or a coordinator opening a clause at i."""
    w = words[i]
    return (w in PUNCT_BOUNDARIES or _boundary_word(words, i, cues) or w in cues.contrast_after_negation
            and _negation_before(words, sent_start, i, cues) or _new_coordinate(words, i, cues))


def _boundary_word(words: list[str], i: int, cues: Cues) -> bool:
    """A boundary word at i, except "så" in "inte så att" ("det var inte så att vi hade vuxit" negates
    the att-clause: "it wasn't that we had grown")."""
    w = words[i]
    if w not in cues.boundaries:
        return False
    if w in _WH_SUBORDINATORS and any(words[k] in _MATTERING for k in range(max(0, i - 2), i)):
        return False  # "I didn't care whether it was cutting-edge": the whether-clause is what mattered
    return not (w == "så" and i + 1 < len(words) and words[i + 1] == "att" and i > 0
                and words[i - 1] in cues.negation)


def _new_coordinate(words: list[str], i: int, cues: Cues) -> bool:
    """ "and we ...", "och sen skulle vi ...", "und dann ...": a coordinator that opens a clause of its own.

    Coordinated clauses have their own negation and mood ("Vi fick två timmars utbildning och sen
    skulle vi bara köra": the training happened). Coordinated nouns ("price and support") do not
    start a clause: only a subject pronoun or a "then" word after the coordinator does.
    """
    if words[i] not in cues.coordinators or i + 1 >= len(words):
        return False
    nxt = words[i + 1]
    return nxt in cues.subjects or nxt in cues.then_words


def _inverted_main_clause(words: list[str], i: int, sent_start: int, cues: Cues) -> bool:
    """A verb-first "hade vi" in mid-sentence: the main clause of a counterfactual starts here."""
    return (cues.inverts and i > sent_start and words[i] in cues.inverted_conditional
            and i + 1 < len(words) and words[i + 1] in cues.pronouns
            and words[sent_start] in cues.inverted_conditional)


def _is_negation(words: list[str], i: int, cues: Cues) -> bool:
    w = words[i]
    if not (w in cues.negation or cues.negation_prefixes and w.startswith(cues.negation_prefixes)):
        return False
    nxt = words[i + 1] if i + 1 < len(words) else ""
    key = w if w in cues.not_negation_next else next((p for p in cues.negation_prefixes if w.startswith(p)), w)
    if nxt in cues.not_negation_next.get(w, ()) or nxt in cues.not_negation_next.get(key, ()):
        return False
    return True


def _negation_before(words: list[str], start: int, i: int, cues: Cues) -> bool:
    return any(_is_negation(words, j, cues) and words[j] not in cues.contrast_after_negation
               for j in range(start, i))


_ADVERBS_AFTER_MODAL = frozenset({"already", "just", "never", "ever", "always", "also", "only", "even", "really",
                                  "probably", "definitely", "certainly", "still", "not", "n't", "nog", "inte",
                                  "aldrig", "nie", "nicht", "wohl", "sicher", "wahrscheinlich", "bestimmt"})


def _modal_kind(words: list[str], i: int, cues: Cues) -> str:
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
    if words[i] == "'d" and i >= 2 and words[i - 2] in _TEMPORAL_CONJ:
        return "had"  # "until we'd sat down": a past perfect in a time clause
    return "plain"


def _is_reported(words: list[str], i: int, sent_start: int, cues: Cues) -> bool:
    """A modal after a reporting or question word in its sentence: future in the past, not a condition."""
    return any(words[j] in cues.reported for j in range(max(sent_start, i - 8), i))


_WHETHER_VERBS = frozenset({"ask", "asked", "asking", "asks", "wonder", "wondered", "wondering", "know", "knew",
                            "see", "check", "checked", "checking", "sure", "tell", "find", "decide"})
_TEMPORAL_CONJ = frozenset({"until", "till", "before", "after", "once", "when", "since"})


def _is_hypothetical(words: list[str], i: int, lo: int, cues: Cues, sent_start: int | None = None) -> bool:
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
    if w in cues.conditions and w in cues.hypothetical:
        end = i + 1
        while end < len(words) and words[end] not in (".", "?", "!"):
            end += 1
        return not _not_a_condition(words, i, sent_start, end, cues)
    if w in cues.hypothetical:
        return True
    if w in cues.hypothetical_before_have and nxt in ("have", "'ve", "ha"):
        after = words[i + 2] if i + 2 < len(words) else ""
        # "could have blocked it" is counterfactual; "the one we could have in six weeks" is not
        return cues is not CUES.get("en") or after in cues.past_participles or after.endswith(("ed", "en"))
    clause_initial = i == lo or words[i - 1] in ("och", "men", "and", "but", "eller", "or")
    if w in cues.hypothetical_clause_initial and clause_initial:
        end = i + 1
        while end < len(words) and words[end] not in (".", "?", "!"):
            end += 1
        return not _not_a_condition(words, i, sent_start, end, cues)
    # "Hade vi ..." / "Då hade vi nog ..." (then we would have): verb before subject = counterfactual.
    # After a comma only as the main clause of a condition: "Sen, ärligt talat, hade de en
    # kontaktperson" is a fronted adverb with the verb second, a plain past.
    after_adverb = i > 0 and words[i - 1] in ("då", "annars", "then", "otherwise")
    if w in cues.inverted_conditional and nxt in cues.pronouns and cues.inverts and (after_adverb or i == lo and (
            i == sent_start or words[i - 1] in cues.coordinators or words[i - 1] in ("men", "but")
            or any(words[k] in cues.conditions or words[k] in _PREP_NEGATORS for k in range(sent_start, i))
            or words[sent_start] in cues.inverted_conditional)):  # "Hade inte IVO kommit hade vi ..."
        return True
    return False


_ANSWER_NO = frozenset({"no", "nope", "nah", "nej", "nä", "nää", "nein", "nee", "nö"})
ECHO_MAX_TOKENS = 6  # "Price?" / "Der Preis?" / "Kostnaden?": a short question naming the code


def _echo_answered_no(words: list[str], s: int, starts: list[int], cues: Cues) -> bool:
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


def _negation_counts_for_mention(words: list[str], j: int, s: int, e: int, hi: int, cues: Cues) -> bool:
    """Whether a negation cue at j negates a stakeholder/competitor mention at words[s:e].

    "We don't have a CISO", "no CFO": the cue governs the mention. "Our legal department
    wouldn't sign that", "nobody on the team needed convincing": it negates what the party did,
    which says the party took part. After the mention, only "wasn't involved/asked" negates it.
    """
    if j < s:
        between = words[j + 1:s]
        if words[j] in cues.partitive and j + 1 < s and words[j + 1] in _PREPOSITIONS:
            # "nobody on the team needed convincing" is the predicate's; "nobody on the board cared"
            # says the board took no part
            return any(words[k].startswith(cues.involvement_prefixes) for k in range(e, min(hi, e + 4)))
        return not any(w in cues.object_pronouns or w in _SENT_PUNCT for w in between)
    # "Einen Beirat haben wir nicht", "En CFO har vi inte": the fronted object of a negated "have"
    if any(words[k] in cues.possession and words[k + 1] in cues.subjects for k in range(e, j)):
        return True
    return any(words[k].startswith(cues.involvement_prefixes) for k in range(max(e, j + 1), min(hi, j + 5)))


def _apposition_predicate(words: list[str], lo: int, hi: int, sent_start: int, sent_end: int,
                          cues: Cues) -> tuple[int, int] | None:
    """The predicate clause of a mention set off by commas: "Our MD, Rob, wasn't involved",
    "Rob, our MD, wasn't involved". (start, end) of the words after the apposition, or None."""
    if hi >= sent_end or words[hi] != ",":
        return None
    start = None
    nxt = next((k for k in range(hi + 1, min(sent_end, hi + 6)) if words[k] in _SENT_PUNCT), None)
    if nxt is not None and words[nxt] == "," and not any(words[k] in cues.boundaries for k in range(hi + 1, nxt)):
        start = nxt + 1  # "Our MD, Rob, wasn't ..."
    elif lo > sent_start and words[lo - 1] == "," and hi - lo <= 4:
        start = hi + 1  # "Rob, our MD, wasn't ..."
    if start is None or start >= sent_end:
        return None
    end = start
    while end < sent_end and words[end] not in PUNCT_BOUNDARIES and words[end] not in cues.boundaries:
        end += 1
    return start, end


def _counterfactual_condition(words: list[str], lo: int, hi: int, cues: Cues) -> bool:
    """The clause is a past counterfactual condition: "if it hadn't ...", "hade det inte funnits ..."."""
    if cues.inverts and hi - lo > 1 and words[lo] in cues.inverted_conditional and words[lo + 1] in cues.pronouns:
        return True
    conditional = any(words[j] in cues.conditions for j in range(lo, hi))
    return conditional and any(words[j] in _PAST_MARKERS or words[j].startswith(("hätt", "wär"))
                               for j in range(lo, hi))


def polarity_of(words: list[str], s: int, e: int, starts: list[int] | None = None, lang: str = "en",
                literal: frozenset[int] | None = None, family: str | None = None, code: str | None = None,
                index: CueIndex | None = None) -> str:
    """present, negated or hypothetical for the span words[s:e] (token indices; words lower-cased).

    ``literal``: positions inside the span matched by pattern words; cues there belong to the
    code's own wording ("no time") and do not count, cues in a gap ("price ... problem") do.
    ``family``/``code``: mentions of a party (stakeholders, competitors) and options
    (alternatives) read negation differently (see :func:`_negation_counts_for_mention`).
    ``index``: the doc's :class:`CueIndex`; pass one when coding several spans of a doc.
    """
    cues = CUES.get(lang)
    if cues is None:
        return "present"
    if starts is None:
        starts = [0]
    if literal is None:
        literal = frozenset(range(s, e))
    if index is None:
        index = CueIndex(words, lang)
    mention = family == "stakeholder" or code in _MENTION_CODES
    sent_start, sent_end = _sentence(starts, s, len(words))
    if not mention and (_waved_away(words, s, e, sent_start, sent_end, cues, family)
                        or _topic_turned_down(words, s, e, sent_start, sent_end, cues, family, index)):
        return "negated"
    if _plainly_present(words, s, e, sent_start, sent_end, cues, index):
        return "present"
    lo, hi = _clause(words, s, e, sent_start, sent_end, cues, index)
    # negation cues in scope: a few words either side of the match within its clause, and in a gap of the match
    after = min(hi, e + NEG_WINDOW_AFTER_BY_LANG.get(lang, NEG_WINDOW_AFTER))
    scope = [j for j in _between(index.negations, max(lo, s - NEG_WINDOW_BEFORE), after) if j not in literal]
    found: list[str] = []
    positions: list[int] = []
    first_cue = None
    mention_hi = hi
    if mention:
        pred = _apposition_predicate(words, lo, hi, sent_start, sent_end, cues)
        if pred is not None:
            scope = scope + _between(index.negations, pred[0], min(pred[1], pred[0] + 5))
            mention_hi = pred[1]
    fronted = _fronted_time_phrase(words, s, lo, cues) if scope else None
    for j in scope:
        w = words[j]
        if _is_negation(words, j, cues):
            if w in cues.contrast_after_negation and _negation_before(words, lo, j, cues):
                continue
            # "Nach dem Vorfall war Geld nicht das Thema": a fronted time phrase is presupposed
            if fronted is not None and not fronted <= j < e:
                continue
            if not _cue_reaches(words, j, s, e, sent_start, sent_end, cues):
                continue
            if mention and not _negation_counts_for_mention(words, j, s, e, mention_hi, cues):
                continue
            found.append(w)
            positions.append(j)
            first_cue = j if first_cue is None else first_cue
    count = 0
    if found:
        paired = [w for w in found if w in cues.paired]
        plain = [w for w in found if w not in cues.paired]
        # "neither ... nor" is one negation; a lone "nor"/"noch"/"eller" is none.
        count = len(plain) + (1 if any(w not in _PAIR_ONLY for w in paired) else 0)
    if count % 2 == 1:
        # "If it hadn't connected to payroll ..." says that it did connect
        if _counterfactual_condition(words, lo, hi, cues):
            return "present"
        # "Ekonomiavdelningen hade aldrig släppt pengarna utan en incident", "we'd never have switched
        # without the price rise": a negated counterfactual with its "without" states what happened
        if any(words[c] in _PREP_NEGATORS and c not in positions for c in range(sent_start, sent_end)) and any(
                words[c] in _COUNTERFACTUAL_MODALS for c in range(sent_start, sent_end)):
            return "present"
        # "not repair it but replace it": the option was weighed and turned down, so on the table
        if (family == "alternative" and first_cue is not None and first_cue < s
                and _contrast_follows(words, e, starts, cues)):
            return "present"
        # "we couldn't keep up", "we didn't have the budget", "we don't trust it": negative wording
        # that states the problem itself
        if not mention and _negative_wording_states_it(words, positions, s, e, lo, hi, literal, family, code, cues):
            return "present"
        # "If they raise the price, we won't stay": the refusal is imagined with its condition
        if not mention and _condition_governs(words, s, sent_start, sent_end, cues, index) is not None:
            return "hypothetical"
        return "negated"
    if count == 0 and not mention and _echo_answered_no(words, s, starts, cues):
        # "Rely on it alone? No.": a barrier named by its positive side is what the "no" states
        if family == "barrier" and _stance_named(words, s, e, literal, cues):
            return "present"
        return "negated"
    for j in _between(index.hypotheticals, lo, hi):
        if j in literal or not _is_hypothetical(words, j, lo, cues, sent_start):
            continue
        is_modal = words[j] in cues.modal or cues.hypothetical_prefixes and words[j].startswith(
            cues.hypothetical_prefixes)
        if mention and (j >= s or is_modal and _modal_kind(words, j, cues) != "perfect"):
            continue  # "IT could have vetoed it" names a party that took part; "if we had a CISO" does not
        # "Angst, dass ..., wenn wir mitten im Jahr umstellen": the worry is real, its object imagined
        if not mention and _worried_before(words, j, sent_start, cues):
            continue
        # "It caught one in the trial week that I think we'd have waved through": the modal is in a
        # clause of its own behind a reporting verb or complementizer
        if j >= e and any(words[c] in cues.complementizers or words[c] in cues.reporting
                          and not _discourse_marker(words, c) for c in range(e, j)):
            continue
        # "Refreshing would have been cheaper", "ein Ingenieurbüro hätte uns das gemacht": an option
        # whose outcome is weighed (it is the subject of the modal) was on the table
        if (family == "alternative" and is_modal and j >= e
                and not any(words[c] in cues.conditions for c in range(sent_start, sent_end))):
            continue
        return "hypothetical"
    governed = _condition_governs(words, s, sent_start, sent_end, cues, index)
    if governed is not None and not (not mention and _worried_before(words, governed, sent_start, cues)):
        return "hypothetical"
    return "present"


def _cue_reaches(words: list[str], j: int, s: int, e: int, sent_start: int, sent_end: int,
                 cues: Cues | None = None) -> bool:
    """Whether the negation cue at j scopes over a match words[s:e], by the words around the cue."""
    w = words[j]
    if w in _PREP_NEGATORS:
        if j > s:
            return False  # "talk to our ERP without us paying someone": "without" opens its own phrase
        # "Without the client pressure I'd still be ...": a counterfactual, so the thing was there
        if any(words[k] in _COUNTERFACTUAL_MODALS for k in range(sent_start, sent_end)):
            return False
    # "we didn't want to be stuck with", "I didn't fancy being the guinea pig": the aversion itself
    # is what is said
    if any(words[k] in _VOLITION for k in range(j + 1, min(j + 3, s))) or j < s and any(
            words[k] in _VOLITION for k in range(max(sent_start, j - 2), j)):  # "ville vi inte", "wollten wir nicht"
        return False
    wh = next((k for k in range(j + 1, s) if words[k] in _WH_SUBORDINATORS), None) if j < s else None
    if wh is not None and not any(words[k] in _MATTERING for k in range(j + 1, wh)):
        return False
    # "What we hadn't budgeted for was the consultancy": the negation stays in the what-clause
    if j < s and any(words[k] in _COPULAS for k in range(j + 1, s)) and any(
            words[k] in ("what", "vad") for k in range(max(sent_start, j - 4), j)):
        return False
    if cues is not None and j >= e:
        # "the chimney sweep said it wouldn't pass", "sparar så mycket tid att priset inte spelar
        # någon roll": behind a reporting verb or a complementizer the negation is another clause's
        if any(words[k] in cues.complementizers or words[k] in cues.reporting and not _discourse_marker(words, k)
               for k in range(e, j)):
            return False
        # "egna servrar som ingen orkade ta hand om", "a clause that they never use": a relative
        # clause with a subject of its own says something about the thing, it does not deny it
        if any(words[k] in cues.relatives and (words[k + 1] in cues.subjects or words[k + 1] in cues.partitive)
               for k in range(e, j)):
            return False
    return True


_DISCOURSE_BEFORE_SAYING = frozenset({"ehrlich", "offen", "grob", "kurz", "gelinde", "kort"})


def _discourse_marker(words: list[str], k: int) -> bool:
    """ "ehrlich gesagt", "offen gesagt": a saying verb that only frames the speaker's own remark."""
    return k > 0 and words[k - 1] in _DISCOURSE_BEFORE_SAYING


def _fronted_time_phrase(words: list[str], s: int, lo: int, cues: Cues) -> int | None:
    """Start of a clause-initial time phrase holding the match ("After the outage", "Nach dem Vorfall").

    A fronted time adverbial is presupposed: "Nach dem Vorfall war Geld nicht das Thema" says
    the incident happened; the negation is about the rest of the clause.
    """
    for p in range(max(lo, s - 3), s + 1):  # the phrase may be the match itself ("Nach zwei Wochen")
        if words[p] in cues.temporal_preps:
            return p if p == lo else None
    return None


def _phrase_at(words: list[str], i: int, phrases: frozenset[tuple[str, ...]]) -> int:
    """Length of the first of ``phrases`` (word tuples) found at words[i:], else 0."""
    firsts = _FIRST_WORDS.get(phrases)
    if firsts is None:
        firsts = _FIRST_WORDS[phrases] = frozenset(ph[0] for ph in phrases)
    if i >= len(words) or words[i] not in firsts:
        return 0
    for ph in phrases:
        if tuple(words[i:i + len(ph)]) == ph:
            return len(ph)
    return 0


_FIRST_WORDS: dict[frozenset, frozenset[str]] = {}  # phrases -> their first words


def _waved_away(words: list[str], s: int, e: int, sent_start: int, sent_end: int, cues: Cues,
                family: str | None) -> bool:
    """A topic named first and then waved away, or a motive held only "on paper".

    "Innovation, naja, das steht in jeder Präsentation", "Sustainability? On paper, yes": the
    topic (often the interviewer's word, echoed) opens the sentence, a comma or question mark
    closes it, and an interjection of reservation ("naja", "nja") or an in-name-only phrase ("on
    paper", "in theory") follows. A motive in a sentence opening with such a phrase ("On paper,
    it's in every strategy document") is likewise not one the buyer held.
    """
    if family == "motive" and s > sent_start and _phrase_at(words, sent_start, cues.nominal):
        return True
    if s - sent_start > 3:
        return False
    j = e
    while j < min(e + 2, sent_end) and words[j] not in (",", "?"):
        j += 1
    if j >= len(words) or words[j] not in (",", "?"):
        return False
    n = _phrase_at(words, j + 1, cues.nominal)
    if n:
        return True
    n = _phrase_at(words, j + 1, cues.dismissals)
    # "Naja, schon": a hedged yes
    return bool(n) and not any(w in cues.affirmations for w in words[j + 1 + n:j + 4 + n])


def _topic_turned_down(words: list[str], s: int, e: int, sent_start: int, sent_end: int, cues: Cues,
                       family: str | None, index: CueIndex) -> bool:
    """A sentence-opening topic, then a comma and a refusal: "Going back to doing it by hand, no
    chance", "The price, not so much", "AI-matchning och sånt, det brydde vi oss inte ett dugg om",
    "Dass uns das zu teuer geworden wär, nein, das war's nicht".

    The topic is the stretch before the sentence's first comma (at most 14 words, no other
    punctuation); the refusal is a short negative reply ("no," / "nej." / "no chance" / "inte
    direkt") or a resumptive pronoun ("that", "det", "das") whose clause holds an odd number of
    negations. "We switched, no regrets" is no reply: "no" must stand alone or in a set phrase.
    """
    punct = index.punctuation
    p = bisect.bisect_left(punct, e)
    if p == len(punct) or punct[p] >= min(sent_end, sent_start + 15):
        return False  # no punctuation after the match in the sentence's first 15 words
    c = punct[p]
    q = bisect.bisect_left(punct, sent_start)
    if words[c] != "," or punct[q] < s:
        return False
    if any(words[k] in cues.relatives for k in range(sent_start, s)):
        return False  # "AI-matchning som de tjatade om på demon, det ...": the demo in the relative clause was real
    k = c + 1
    if k < sent_end and words[k] in _ANSWER_NO and (k + 1 >= sent_end or words[k + 1] in _SENT_PUNCT):
        return True
    if _phrase_at(words, k, cues.replies):
        return True
    # a resumptive clause dismisses a criterion, barrier or option ("Die Migration, die war nicht so
    # schlimm"); after a full clause ("Wir hatten zwei Stromausfälle, das darf nicht passieren") it
    # is a comment, so the topic must not open with a subject pronoun
    if k < sent_end and words[k] in cues.resumptive and family in ("motive", "barrier", "alternative") and not any(
            words[m] in cues.subjects for m in range(sent_start, min(s, sent_start + 2))):
        end = k + 1
        while end < min(sent_end, k + 10) and words[end] not in PUNCT_BOUNDARIES and words[end] not in cues.boundaries:
            end += 1
        negs = [m for m in range(k + 1, end) if _is_negation(words, m, cues)
                and not any(words[v] in _VOLITION for v in range(max(k, m - 2), m))]
        return len(negs) % 2 == 1
    return False


def _strong_boundary(w: str, cues: Cues) -> bool:
    """A boundary that ends a conditional sentence's reach: "but", "because", a dash (not a comma)."""
    return w in STRONG_PUNCT or (w in cues.boundaries and w not in cues.then_words
                                  and w not in cues.complementizers and w not in ("whether", "unless", "ob", "för"))


def _condition_governs(words: list[str], s: int, sent_start: int, sent_end: int, cues: Cues,
                       index: CueIndex) -> int | None:
    """Position of a condition earlier in the sentence whose antecedent or consequent holds the match.

    "If Microsoft doubled the licence costs tomorrow, we'd ...", "Wenn die Fachgesellschaft das
    aufnimmt, dann sieht das anders aus", "Om de höjer premien så byter jag", and Swedish
    verb-first conditions "Håller de priset så stannar jag": both halves are imagined. Not a
    condition: "even if" (a concession), a remark about speaking ("if I'm honest", "om jag ska
    vara ärlig", "wenn ich ehrlich bin"), or one cut off by "but"/"because"/a dash.
    """
    turns = 0  # clause openings passed on the way back: "if X, we'd Y, Z" reaches X and Y, not Z
    stops = cues.condition_stops
    verb_first = bool(cues.verb_first_then) and words[sent_end - 1] != "?"
    if not verb_first and not _between(index.conditions, sent_start, s):
        return None  # only an "if"-word or a verb-first condition can govern
    # the words that can act, last first; the sentence's first word can open a verb-first condition
    candidates = _between(index.condition_stops, sent_start, s)
    if verb_first and sent_start < s and (not candidates or candidates[0] != sent_start):
        candidates.insert(0, sent_start)
    for c in reversed(candidates):
        w = words[c]
        if w not in stops:
            if verb_first and (c == sent_start or words[c - 1] in cues.verb_first_after) and _verb_first_condition(
                    words, c, sent_start, sent_end, cues):
                return c
            continue
        if _strong_boundary(w, cues):
            return None
        if w in cues.then_words or w == "," and words[c + 1] in cues.subjects or (
                c > sent_start and _inverted_main_clause(words, c, sent_start, cues)) or (
                cues.inverts and w in cues.inverted_conditional and words[c + 1] in cues.pronouns and c > sent_start):
            turns += 1
            if turns > 1:
                return None
        if w in cues.conditions:
            if w in cues.hypothetical_clause_initial and not (
                    c == sent_start or words[c - 1] in PUNCT_BOUNDARIES or words[c - 1] in cues.coordinators
                    or words[c - 1] in ("men", "eller")):
                continue  # "om" = "about" inside a clause
            if _not_a_condition(words, c, sent_start, sent_end, cues):
                return None
            return c
        if _verb_first_condition(words, c, sent_start, sent_end, cues):
            return c
    return None


def _not_a_condition(words: list[str], c: int, sent_start: int, sent_end: int, cues: Cues) -> bool:
    """An "if"-word at c that imagines nothing.

    "even if" / "även om" / "auch wenn" concede; "asking if the tills were down" is "whether"; a
    generic subject states a rule ("if you put everything with one hyperscaler, you can't get out",
    "wenn du einmal ...", "om man ..."), and so does an English zero conditional
    (:func:`_zero_conditional`); "if I'm honest" / "om jag ska vara ärlig" is about the talk itself.
    """
    if c > sent_start and words[c - 1] in cues.concessive:
        return True
    if any(words[k] in _WHETHER_VERBS for k in range(max(sent_start, c - 2), c)):
        return True
    if c + 1 < sent_end and words[c + 1] in cues.generic_subjects:
        return True
    return _zero_conditional(words, c, sent_start, cues) or _speech_condition(words, c, sent_end, cues)


_PAST_FORMS = frozenset({"was", "were", "had", "did", "'d", "could", "would", "might", "should", "went", "came", "got",
                         "took", "made", "gave", "said", "knew", "thought", "found", "became", "left", "kept",
                         "brought", "bought", "paid", "sent", "lost", "ever"})


def _zero_conditional(words: list[str], i: int, sent_start: int, cues: Cues) -> bool:
    """English "if" + present tense with a consequent free of modals: a general rule, not an imagined event.

    "If it goes wrong it's her registration on the line", "If it saves me one blanket spray,
    that's two grand back", "if he wins the lottery we're back to square one": the speaker states
    how things are. A past or modal condition ("If they doubled it", "if we ever"), a modal or a
    hedge in the sentence ("I'd switch", "maybe", "definitely") or a bare if-clause answering a
    question ("And if the professional body said it's fine.") stays hypothetical. Swedish and
    German use the present for the future, so this is English only (``cues.future``).
    """
    if not cues.future:
        return False
    end = i + 1
    while end < len(words) and words[end] not in (".", "?", "!"):
        end += 1
    if end < len(words) and words[end] == "?":
        return False
    comma = next((k for k in range(i + 1, end) if words[k] in (",", "—", "–")), None)
    bare = (i == sent_start or words[i - 1] in ("and", "or", "only", "but", "even")) and comma is None
    if bare:
        return False
    ante_end = comma if comma is not None else end
    if any(words[k] in _PAST_FORMS or len(words[k]) > 4 and words[k].endswith("ed") for k in range(i + 1, ante_end)):
        return False
    return not any(words[k] in cues.future or words[k] in cues.modal or words[k] in _HEDGES
                   for k in range(sent_start, end))


_HEDGES = frozenset({"maybe", "perhaps", "probably", "possibly", "definitely", "certainly", "hopefully"})


def _speech_condition(words: list[str], c: int, sent_end: int, cues: Cues) -> bool:
    """ "if I'm honest", "if you ask me", "om jag minns rätt": a short condition about the talk itself."""
    j = c + 1
    while j < sent_end and words[j] not in PUNCT_BOUNDARIES and words[j] not in cues.boundaries:
        j += 1
    return j - c <= 6 and any(words[k] in cues.speech_conditions for k in range(c + 1, j))


def _verb_first_condition(words: list[str], c: int, sent_start: int, sent_end: int, cues: Cues) -> bool:
    """Swedish "Håller de priset så stannar jag": a clause opening verb-first and answered by "så"."""
    then = cues.verb_first_then
    if not then or words[sent_end - 1] == "?" or c + 2 >= sent_end:
        return False
    if not (c == sent_start or words[c - 1] in cues.verb_first_after):
        return False
    if words[c] in cues.not_verbs or words[c] in cues.subjects or words[c + 1] not in cues.pronouns:
        return False
    return any(words[k] == then for k in range(c + 2, sent_end - 1))


_WHAT_HAPPENS = frozenset({"happens", "happened", "happen", "händer", "hände", "passiert", "passieren"})
_WHAT = frozenset({"what", "vad", "was"})


def _worried_before(words: list[str], j: int, sent_start: int, cues: Cues) -> bool:
    """A worry earlier in the sentence governs the cue at j ("afraid that ... if we switch", "couldn't
    tell me what happens to the warranty if they go under")."""
    for k in range(j - 1, sent_start - 1, -1):
        if _strong_boundary(words[k], cues) and words[k] not in cues.complementizers:
            return False
        if cues.worry and words[k].startswith(cues.worry):
            return True
        if words[k] in _WHAT_HAPPENS and k > sent_start and words[k - 1] in _WHAT:
            return True
    return False


def _stance_named(words: list[str], s: int, e: int, literal: frozenset[int], cues: Cues) -> bool:
    """The match names the positive side of a barrier ("rely on it", "trust", "lita på")."""
    return bool(cues.stance) and any(words[k].startswith(cues.stance) for k in range(s, e) if k in literal)


_LACK_CODES = frozenset({"lack_resources", "price"})  # barriers that are a lack: "no budget", "keine Zeit"
_STATE_FAMILIES = frozenset({"barrier", "trigger", "motive"})


def _negative_wording_states_it(words: list[str], positions: list[int], s: int, e: int, lo: int, hi: int,
                                literal: frozenset[int], family: str | None, code: str | None,
                                cues: Cues) -> bool:
    """Negative wording that states the code rather than denying it (see the module docstring).

    - a negated ability ("we couldn't keep up", "de kunde inte prata med vårt ekonomisystem",
      "he can't run another tool") states a strain, a barrier or, for a rejected option, the
      criterion it failed; not a negated perception or assertion ("couldn't see a problem");
    - a lack: "we didn't have the budget/capacity", "Det fanns inte i budgeten";
    - a barrier named by its positive side: "we didn't trust it", "we couldn't rely on it".
    Never when the negation is about an issue ("we had no problem with the price").
    """
    if family not in _STATE_FAMILIES or not positions:
        return False
    j = positions[-1]
    a, b = min(j, s), max(j + 1, e)
    if any(words[k] in cues.issue_words for k in range(a, min(hi, b + 2)) if k not in literal):
        return False
    near = range(max(lo, j - 2), min(hi, j + 3))
    ability = [k for k in near if words[k] in cues.ability]
    if cues is CUES.get("de") and not ability:
        ability = [k for k in range(lo, hi) if words[k] in cues.ability]  # verb-final: "nicht mehr schaffen konnten"
    if ability and not any(words[k] in cues.perception for k in range(min(ability[0], j), min(hi, max(ability[-1], j) + 3))):
        return True
    if code in _LACK_CODES and j < s and any(words[k] in cues.possession for k in range(max(lo, j - 2), min(s, j + 2))):
        return True
    if family != "barrier":
        return False
    if _stance_named(words, s, e, literal, cues):
        return True
    # "nobody was sure Shopify could handle it", "der Aufwand lohnt sich nicht": a doubt is the barrier
    if any(words[k] in cues.certainty for k in range(max(lo, j - 2), min(hi, j + 3))):
        return True
    # "Der Betriebsrat hat gesagt: keine Leistungskontrolle": a demand that states the objection
    if j > 0 and (words[j - 1] == ":" or words[j - 1] in cues.reporting) and words[j] in cues.partitive | {"no"}:
        return True
    return False


def _contrast_follows(words: list[str], e: int, starts: list[int], cues: Cues) -> bool:
    k = bisect.bisect_right(starts, e - 1)
    end = starts[k] if k < len(starts) else len(words)
    return any(words[j] in cues.contrast for j in range(e, min(end, e + 6)))
