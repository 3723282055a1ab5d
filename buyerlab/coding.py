"""Apply a codebook to respondent turns with spaCy: spans, polarity, buying roles.

Patterns (``buyerlab.codebook.parse_pattern``) are compiled per language into a
lemma index: every distinct lower-cased form or lemma is mapped once (cached) to the set
of pattern-token ids it satisfies, so wildcard tokens (``*chef``, ``säkerhet*``) cost one
string test per distinct form, never a regex per token. A linear scan over each doc then
extends phrases from the tokens that hit. Expert patterns (lists of dicts) go to spaCy's
``Matcher`` as they are (run only on docs holding one of their literal words).

A pattern word matches a token whose lower-cased form or lemma equals it: ``cost`` matches
"costs" (lemma cost) and ``*chef`` matches "inköpschefen" (lemma inköpschef). Pattern words
are not themselves lemmatised (``LEMMATISE_PATTERNS``): a word written inflected
("seconds", "missed") matches that form only. Measured on the gold set, lemmatising pattern
words too conflated them with unrelated base forms ("seconds" -> every "second", "missed"
-> "missing") and cost 0.02-0.03 code-level F1 in en/sv.

Confidence of a rule match (the highest over the matches merged into a row):

- 0.90 a phrase of two or more words, all plain (``final say``, ``cost|price ... high``
  counts as 0.80 because of the gap);
- 0.80 a phrase of two or more words with a gap or a wildcard;
- 0.75 an expert (spaCy Matcher) pattern;
- 0.70 a single plain word (``budget``);
- 0.60 a single wildcard word (``*chef``): compounds are productive and over-match more.

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
import hashlib
import json
import multiprocessing
import sys
import warnings
from dataclasses import dataclass
from importlib import metadata
from typing import TYPE_CHECKING, Mapping

import pandas as pd
from spacy.attrs import IDX, LEMMA, LENGTH, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from buyerlab.codebook import BUYING_ROLES, GAP_MAX, Codebook, PatternToken, load_codebook, parse_pattern
from buyerlab.codes import CODE_COLUMNS, conform_codes, empty_codes  # noqa: F401 (re-exported)
from buyerlab.errors import CodebookError
from buyerlab.nlp import BuyerlabLemmatizer, get_pipeline, lemmatizer_of

if TYPE_CHECKING:
    from buyerlab.study import Study

LEMMATISE_PATTERNS = False  # match pattern words as written (see module docstring)
PARALLEL_MIN_TURNS = 2000  # below this, starting worker processes costs more than it saves
BATCH_SIZE = 256
CHUNK_TURNS = 1000  # turns sent to a worker process at a time

CONF_PHRASE, CONF_PHRASE_LOOSE, CONF_EXPERT, CONF_WORD, CONF_WILDCARD = 0.9, 0.8, 0.75, 0.7, 0.6
_GAP = -1
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
_INITIATOR_CODES = frozenset({"new_leadership"})  # a new leader named as a stakeholder brought the change
_PREP_NEGATORS = frozenset({"without", "utan", "ohne"})  # negate only the phrase after them
_VOLITION = frozenset({"want", "wanted", "wish", "ville", "vill", "wollte", "wollten", "will", "wollen"})
# "didn't see why they should trust it": the cue does not reach into the question clause
_WH_SUBORDINATORS = frozenset({"why", "how", "whether", "varför", "hur", "huruvida", "warum", "wieso", "weshalb",
                               "ob", "wie"})
_COUNTERFACTUAL_MODALS = frozenset({"would", "'d", "hade", "skulle", "hätte", "hätten", "wäre", "wären", "würde",
                                    "würden"})
# "noch" is only a negation as the second half of "weder ... noch"; "eller" of "varken ... eller".
_PAIR_ONLY = {"noch", "eller", "nor"}


# --------------------------------------------------------------------------- compiled rules

@dataclass(frozen=True)
class _Phrase:
    target: int  # index into Rules.targets
    tokens: tuple[int, ...]  # pattern-token ids, _GAP for "..."
    confidence: float
    text: str = ""  # the pattern as written, for explain()
    required: frozenset[int] = frozenset()  # every word id of the phrase (a doc lacking one cannot match)


def _expand(tok: PatternToken, split) -> list[PatternToken]:
    """Split a pattern word the tokenizer would split ("it-avdelning" -> it, -, avdelning)."""
    if tok.kind in ("gap", "any-of"):
        return [tok]
    pieces = split(tok.values[0])
    if len(pieces) <= 1:
        return [tok]
    out = []
    for i, piece in enumerate(pieces):
        first, last = i == 0, i == len(pieces) - 1
        kind = "exact"
        if tok.kind == "prefix" and last or tok.kind == "infix" and last and not first:
            kind = "prefix"
        elif tok.kind == "suffix" and first or tok.kind == "infix" and first and not last:
            kind = "suffix"
        out.append(PatternToken(kind, (piece,)))
    return out


def _anchor(tokens: list[PatternToken], stop_words: frozenset[str]) -> int:
    """Index of the pattern token least likely to occur: a content word, long, not a wildcard."""
    def rarity(t: PatternToken) -> tuple:
        if t.kind == "gap":
            return (9,)
        common = all(v in stop_words or not any(ch.isalnum() for ch in v) for v in t.values)
        shortest = min(len(v) for v in t.values)
        wildcard = t.kind in ("prefix", "suffix", "infix")
        return (common, wildcard and shortest < 5, -shortest * (1 if t.kind != "any-of" else 1) + len(t.values))

    return min(range(len(tokens)), key=lambda i: rarity(tokens[i]))


def _confidence(tokens: list[PatternToken]) -> float:
    words = [t for t in tokens if t.kind != "gap"]
    wildcard = any(t.kind in ("prefix", "suffix", "infix") for t in words)
    if len(words) >= 2:
        return CONF_PHRASE_LOOSE if wildcard or len(words) != len(tokens) else CONF_PHRASE
    return CONF_WILDCARD if wildcard else CONF_WORD


def _safe_lemma(word: str, lemma, stop_words: frozenset[str] = frozenset()) -> str:
    """The lemma of a pattern word, unless the lemmatiser turns it into an unrelated word.

    Lookup lemmatisers map some short words and acronyms to common verbs ("ai" -> "be"), which
    would make the pattern match every "is" and "'re"; a lemma must start like the word.
    Function words keep their form: "deren" must not match every "der".
    """
    if word in stop_words:
        return word
    lem = lemma(word)
    if lem == word or " " in lem:
        return word
    if len(word) < 4 or lem[:1] != word[:1]:
        return word
    return lem


class _WordCache(dict):
    """string hash -> its string (cheaper than a Token object per word)."""

    def __init__(self, strings):
        super().__init__()
        self.strings = strings

    def __missing__(self, key: int) -> str:
        value = self.strings[key] if key else ""
        self[key] = value
        return value


class _FormIdCache(dict):
    """lower hash -> ids of the form and of its lemma, for pipelines whose lemma depends on the form only."""

    def __init__(self, rules: "Rules", lemmatizer: BuyerlabLemmatizer):
        super().__init__()
        self.rules = rules
        self.lemmatizer = lemmatizer
        self.anchored: dict[int, frozenset[int]] = {}  # lower hash -> the ids that anchor some phrase

    def __missing__(self, key: int):
        value = None
        if key:
            form = self.rules.strings[key]
            a = self.rules.ids_for(form)
            b = self.rules.ids_for(self.lemmatizer.lemma(form))
            value = a | b if a is not None and b is not None else a or b
            if value is not None:
                self.anchored[key] = value & self.rules._anchor_ids
        self[key] = value
        return value


class _IdCache(dict):
    """string hash -> frozenset of pattern-token ids (None when none); filled on first sight."""

    def __init__(self, rules: "Rules"):
        super().__init__()
        self.rules = rules

    def __missing__(self, key: int):
        value = self.rules.ids_for(self.rules.strings[key]) if key else None
        self[key] = value
        return value


class Rules:
    """A codebook's patterns and buying-role cues compiled for one language and pipeline."""

    def __init__(self, codebook: Codebook, lang: str, nlp: Language):
        self.lang = lang
        self.strings = nlp.vocab.strings
        lemma = lemmatizer_of(nlp)
        tokenizer = nlp.tokenizer

        def split(word: str) -> list[str]:
            return [t.text for t in tokenizer(word)]

        self._stop_words = frozenset(w.lower() for w in nlp.Defaults.stop_words)
        self.families = {c.id: c.family for c in codebook.codes}
        # targets: codes first, then buying roles (role phrases only set buying_role)
        self.targets: list[tuple[str, str]] = [("code", c.id) for c in codebook.codes]
        self.targets += [("role", r) for r in codebook.buying_roles]
        self._pt_ids: dict[tuple[str, tuple[str, ...]], int] = {}
        self._exact: dict[str, set[int]] = {}
        self.phrases: list[_Phrase] = []
        # anchor token id -> (phrase, literal tokens before the anchor, gaps before the anchor)
        self.anchors: dict[int, list[tuple[_Phrase, int, int]]] = {}
        self._prefixes: dict[str, set[int]] = {}
        self._suffixes: dict[str, set[int]] = {}
        self._infixes: list[tuple[int, str]] = []
        self.matcher: Matcher | None = None
        expert: list[tuple[int, list]] = []

        sources: list[tuple[int, list]] = []
        for i, c in enumerate(codebook.codes):
            sources.append((i, c.patterns.get(lang, [])))
        for j, role in enumerate(codebook.buying_roles):
            sources.append((len(codebook.codes) + j, codebook.buying_roles[role].get(lang, [])))
        for target, patterns in sources:
            for p in patterns:
                if not isinstance(p, str):
                    expert.append((target, p))
                    continue
                parsed = [e for t in parse_pattern(p) for e in _expand(t, split)]
                ids = tuple(_GAP if t.kind == "gap" else self._token_id(t, lemma) for t in parsed)
                phrase = _Phrase(target, ids, _confidence(parsed), p, frozenset(ids) - {_GAP})
                self.phrases.append(phrase)
                # Indexed by their rarest word (the anchor): most tokens of a text hit some
                # pattern word ("the", "not"), so trying phrases from every hit would be slow.
                a = _anchor(parsed, self._stop_words)
                gaps_before = sum(1 for t in ids[:a] if t == _GAP)
                self.anchors.setdefault(ids[a], []).append((phrase, a - gaps_before, gaps_before))
        self._gate: set[int] | None = None  # hashes one of which a doc must hold for the Matcher to run
        if expert:
            self.matcher = Matcher(nlp.vocab)
            self._expert_targets: dict[int, int] = {}
            gate: set[int] | None = set()
            for target, p in expert:
                key = f"buyerlab:{self.targets[target][1]}"
                try:
                    self.matcher.add(key, [p])
                except (ValueError, KeyError, TypeError) as exc:
                    raise CodebookError(f"{codebook.source}: {self.targets[target][1]}: expert pattern ({lang}) "
                                        f"rejected by spaCy's Matcher: {str(exc).splitlines()[0]}") from None
                self._expert_targets[self.strings[key]] = target
                words = _gate_words(p)
                gate = None if gate is None or words is None else gate | {self.strings.add(w) for w in words}
            self._gate = gate
        self.ids = _IdCache(self)
        self._words = _WordCache(self.strings)
        own = next((pipe for _, pipe in nlp.pipeline if isinstance(pipe, BuyerlabLemmatizer) and pipe.overwrite), None)
        self._form_ids = _FormIdCache(self, own) if own is not None else None
        self._anchor_ids = frozenset(self.anchors)
        cues = CUES.get(lang)
        self._hyp_vocab = (cues.hypothetical | cues.hypothetical_before_have | cues.hypothetical_clause_initial
                           | cues.inverted_conditional) if cues else frozenset()
        self._hyp_prefixes = cues.hypothetical_prefixes if cues else ()

    def _token_id(self, tok: PatternToken, lemma) -> int:
        key = (tok.kind, tok.values)
        if key in self._pt_ids:
            return self._pt_ids[key]
        pid = len(self._pt_ids)
        self._pt_ids[key] = pid
        if tok.kind in ("exact", "any-of"):
            for v in tok.values:
                # Patterns are lemmatised like the text; the raw form stays for words the lemmatiser bends.
                for form in {v, _safe_lemma(v, lemma, self._stop_words)} if LEMMATISE_PATTERNS else {v}:
                    self._exact.setdefault(form, set()).add(pid)
        else:
            value = tok.values[0]
            if tok.kind == "prefix":
                self._prefixes.setdefault(value, set()).add(pid)
            elif tok.kind == "suffix":
                self._suffixes.setdefault(value, set()).add(pid)
            else:
                self._infixes.append((pid, value))
        return pid

    def ids_for(self, form: str) -> frozenset[int] | None:
        """Pattern-token ids a lower-cased form or lemma satisfies (None if none)."""
        form = form.lower()
        ids = set(self._exact.get(form, ()))
        for k in range(1, len(form) + 1):
            hit = self._prefixes.get(form[:k])
            if hit:
                ids |= hit
            hit = self._suffixes.get(form[-k:])
            if hit:
                ids |= hit
        for pid, value in self._infixes:
            if value in form:
                ids.add(pid)
        return frozenset(ids) if ids else None

    # ----------------------------------------------------------------- matching

    def _token_sets(self, doc: Doc) -> tuple[dict[int, frozenset[int]], list[int]]:
        """Pattern-token ids per token position that has any, and the LOWER hashes."""
        if self._form_ids is not None:
            # Our lemmatizer makes the lemma a function of the lower-cased form: one lookup per token.
            lows = doc.to_array(LOWER).tolist()
            form_ids = self._form_ids
            hits = {}
            for i, h in enumerate(lows):
                x = form_ids[h]
                if x is not None:
                    hits[i] = x
            return hits, lows
        # A trained pipeline's lemmas depend on context: look up the form and the lemma.
        arr = doc.to_array([LOWER, LEMMA])
        ids = self.ids
        lows = arr[:, 0].tolist()
        low = [ids[h] for h in lows]
        lem = [ids[h] for h in arr[:, 1].tolist()]
        hits: dict[int, frozenset[int]] = {}
        for i, (a, b) in enumerate(zip(low, lem)):
            if a is not None or b is not None:
                hits[i] = a | b if a is not None and b is not None else a or b
        return hits, lows

    def _anchor_positions(self, doc_hits: dict[int, frozenset[int]], lows: list[int]) -> list[tuple[int, frozenset]]:
        """(position, anchor ids there) for the positions where some phrase's anchor word occurs."""
        if self._form_ids is not None:
            anchored = self._form_ids.anchored
            out = []
            for i in doc_hits:
                a = anchored.get(lows[i])
                if a:
                    out.append((i, a))
            return out
        anchor_ids = self._anchor_ids
        return [(i, ids & anchor_ids) for i, ids in doc_hits.items() if not ids.isdisjoint(anchor_ids)]

    def _extend(self, tokens: tuple[int, ...], k: int, pos: int, hits, limit: int) -> tuple[int, tuple] | None:
        """(end, positions skipped by gaps) of tokens[k:] matched from ``pos``, or None."""
        while k < len(tokens):
            t = tokens[k]
            if t == _GAP:
                nxt = tokens[k + 1]
                for p in range(pos, min(pos + GAP_MAX + 1, limit)):
                    s = hits.get(p)
                    if s is not None and nxt in s:
                        rest = self._extend(tokens, k + 2, p + 1, hits, limit)
                        if rest is not None:
                            return rest[0], tuple(range(pos, p)) + rest[1]
                return None
            s = hits.get(pos)
            if pos >= limit or s is None or t not in s:
                return None
            k += 1
            pos += 1
        return pos, ()

    def matches(self, doc: Doc, _sets=None) -> list[tuple[int, int, int, float, tuple, str]]:
        """Every raw match: (target, start, end, confidence, gap positions, pattern) in token indices."""
        n = len(doc)
        if not n:
            return []
        hits, lows = _sets if _sets is not None else self._token_sets(doc)
        raw = []
        if hits:
            starts = _sentence_starts(doc)
            anchors, extend = self.anchors, self._extend
            seen: set[tuple[int, int, int]] = set()
            present = set().union(*hits.values())
            k = 0
            for i, here in self._anchor_positions(hits, lows):
                while k < len(starts) and starts[k] <= i:
                    k += 1
                sent_start = starts[k - 1] if k else 0
                limit = starts[k] if k < len(starts) else n
                for pid in here:
                    for ph, lit_before, gaps_before in anchors[pid]:
                        if not ph.required <= present:
                            continue
                        first = ph.tokens[0]
                        lo = max(sent_start, i - lit_before - GAP_MAX * gaps_before)
                        for start in range(i - lit_before, lo - 1, -1):
                            s0 = hits.get(start)
                            if s0 is None or first not in s0:
                                continue
                            found = extend(ph.tokens, 0, start, hits, limit)
                            if found is not None and found[0] > i and (id(ph), start, found[0]) not in seen:
                                seen.add((id(ph), start, found[0]))
                                raw.append((ph.target, start, found[0], ph.confidence, found[1], ph.text))
        if self.matcher is not None and (self._gate is None or not self._gate.isdisjoint(
                doc.to_array([LOWER, LEMMA, ORTH]).ravel().tolist())):
            for match_id, s, e in self.matcher(doc):
                raw.append((self._expert_targets[match_id], s, e, CONF_EXPERT, (), "<expert>"))
        return raw

    def explain(self, text: str, nlp: Language) -> list[tuple[str, str, str]]:
        """(code or role, matched text, pattern) for every raw match in a text: for tuning patterns."""
        doc = nlp(text)
        return [(self.targets[t][1], doc[s:e].text, pat) for t, s, e, _, _, pat in self.matches(doc)]

    def find(self, doc: Doc) -> list[tuple]:
        """Coded spans of one doc: (code, family, char_start, char_end, polarity, confidence, buying_role)."""
        sets = self._token_sets(doc) if len(doc) else ({}, [])
        raw = self.matches(doc, sets)
        if not raw:
            return []
        starts = _sentence_starts(doc)
        words = [self._words[h] for h in sets[1]]
        hyp = self._hyp_prefixes
        cands = [j for j, w in enumerate(words) if w in self._hyp_vocab or hyp and w.startswith(hyp)]
        codes = [m for m in raw if self.targets[m[0]][0] == "code"]
        roles = [m for m in raw if self.targets[m[0]][0] == "role"]
        out = []
        offsets = doc.to_array([IDX, LENGTH]).tolist() if codes else []
        for target, s, e, conf, literal in _merge(codes):
            code = self.targets[target][1]
            family = self.families[code]
            polarity = polarity_of(words, s, e, starts, self.lang, literal, cands, family, code)
            role = _nearest_role(words, roles, s, e, starts, self.targets, self.lang) if family == "stakeholder" else None
            start_char = offsets[s][0]
            end_char = offsets[e - 1][0] + offsets[e - 1][1]
            out.append((code, family, start_char, end_char, polarity, conf, role))
        leaders = [(r[2], r[3]) for r in out if r[0] in _INITIATOR_CODES and r[4] == "present"]
        if leaders:
            out = [r[:6] + ("initiator",) if r[1] == "stakeholder" and r[6] is None
                   and any(cs < r[3] and r[2] < ce for cs, ce in leaders) else r for r in out]
        out.sort(key=lambda r: (r[2], r[3], r[0]))
        return out


def _gate_words(pattern: list[dict]) -> set[str] | None:
    """Literal words of which one must occur in any doc the expert pattern matches; None if unknown.

    Running spaCy's Matcher on every doc costs more than all other coding steps together, so a
    doc holding none of these (lower-cased, lemma or verbatim) skips it.
    """
    for spec in pattern:
        if not isinstance(spec, dict) or spec.get("OP") not in (None, "!", "+", "1"):
            continue
        if spec.get("OP") == "!":
            continue
        for attr in ("LOWER", "ORTH", "TEXT", "LEMMA", "NORM"):
            if attr not in spec:
                continue
            value = spec[attr]
            # ORTH/TEXT are case-exact ({"ORTH": "IT"} must not run on every "it"); others may differ in case.
            forms = (lambda x: {x}) if attr in ("ORTH", "TEXT") else (lambda x: {x, x.lower()})
            if isinstance(value, str):
                return forms(value)
            if isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
                return {v for x in value["IN"] for v in forms(x)}
    return None


def _sentence_starts(doc: Doc) -> list[int]:
    flags = doc.to_array(SENT_START).tolist()
    return [0] + [i for i, f in enumerate(flags) if f == 1 and i > 0]


def _merge(matches) -> list[tuple[int, int, int, float, frozenset[int]]]:
    """Collapse overlapping matches of one code into one span: (target, start, end, confidence,
    positions matched by pattern words rather than gaps)."""
    out: list[list] = []
    for target, s, e, conf, gaps, _ in sorted(matches, key=lambda m: (m[0], m[1], m[2])):
        literal = set(range(s, e)) - set(gaps)
        if out and out[-1][0] == target and s < out[-1][2]:
            out[-1][2] = max(out[-1][2], e)
            out[-1][3] = max(out[-1][3], conf)
            out[-1][4] |= literal
        else:
            out.append([target, s, e, conf, literal])
    return [(t, s, e, c, frozenset(lit)) for t, s, e, c, lit in out]


_CONTINUING_SUBJECTS = {  # a sentence opening with one of these goes on about the party just named
    "en": frozenset({"he", "she", "they"}),
    "sv": frozenset({"han", "hon", "de", "dom"}),
    "de": frozenset({"er", "sie"}),  # not "der"/"die": mostly articles at a sentence start
}


def _nearest_role(words: list[str], roles, s: int, e: int, starts: list[int], targets, lang: str) -> str | None:
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


# --------------------------------------------------------------------------- spaCy component

if not Doc.has_extension("buyerlab_codes"):
    Doc.set_extension("buyerlab_codes", default=None)


class BuyerlabCoder:
    """spaCy component: stores the coded spans of a doc in ``doc._.buyerlab_codes`` (list of dicts)."""

    def __init__(self, nlp: Language, name: str, codebook: str = "default"):
        self.name = name
        self.codebook = load_codebook(None if codebook == "default" else codebook)
        self.rules = Rules(self.codebook, nlp.lang, nlp)

    def __call__(self, doc: Doc) -> Doc:
        doc._.buyerlab_codes = [
            dict(zip(("code", "family", "char_start", "char_end", "polarity", "confidence", "buying_role"), r))
            for r in self.rules.find(doc)
        ]
        return doc


@Language.factory("buyerlab_coder", default_config={"codebook": "default"})
def make_coder(nlp: Language, name: str, codebook: str) -> BuyerlabCoder:
    """spaCy factory for :class:`BuyerlabCoder` (codebook: "default" or a path)."""
    return BuyerlabCoder(nlp, name, codebook)


# --------------------------------------------------------------------------- coding turns

_RULES_CACHE: dict[tuple, tuple[Language, Rules]] = {}


def rules_for(codebook: Codebook, lang: str, model: str | None = None,
              fingerprint: str | None = None) -> tuple[Language, Rules]:
    """The pipeline and compiled rules for a language (both cached)."""
    nlp = get_pipeline(lang, model)
    key = (id(nlp), fingerprint or codebook.fingerprint(), lang)
    if key not in _RULES_CACHE:
        # The entry holds the pipeline too, so its id cannot be reused by another while cached.
        _RULES_CACHE[key] = (nlp, Rules(codebook, lang, nlp))
    return nlp, _RULES_CACHE[key][1]


def _code_texts(texts: list[str], codebook: Codebook, lang: str, model: str | None,
                fingerprint: str | None = None) -> list[list[tuple]]:
    nlp, rules = rules_for(codebook, lang, model, fingerprint)
    return [rules.find(doc) for doc in nlp.pipe(texts, batch_size=BATCH_SIZE)]


_WORKER: dict = {}


def _worker_init(codebook: Codebook, lang: str, model: str | None, fingerprint: str) -> None:
    _WORKER.update(codebook=codebook, lang=lang, model=model, fingerprint=fingerprint)


def _worker_code(texts: list[str]) -> list[list[tuple]]:
    return _code_texts(texts, _WORKER["codebook"], _WORKER["lang"], _WORKER["model"], _WORKER["fingerprint"])


def _mp_context():
    # fork shares the loaded pipeline and caches with the workers at no cost; elsewhere spawn.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _code_language(texts: list[str], codebook: Codebook, lang: str, model: str | None, n_process: int,
                   bar, fp: str | None = None) -> list[list[tuple]]:
    fp = fp or codebook.fingerprint()
    if n_process > 1 and len(texts) > PARALLEL_MIN_TURNS:
        # Workers return only the small result tuples: shipping Docs back (nlp.pipe(n_process=...))
        # costs more than the coding itself.
        rules_for(codebook, lang, model, fp)  # compile once before forking
        chunks = [texts[i:i + CHUNK_TURNS] for i in range(0, len(texts), CHUNK_TURNS)]
        results: list[list[tuple]] = []
        with _mp_context().Pool(n_process, initializer=_worker_init, initargs=(codebook, lang, model, fp)) as pool:
            for part in pool.imap(_worker_code, chunks):
                results.extend(part)
                if bar is not None:
                    bar.update(len(part))
        return results
    results = []
    for i in range(0, len(texts), CHUNK_TURNS):
        part = _code_texts(texts[i:i + CHUNK_TURNS], codebook, lang, model, fp)
        results.extend(part)
        if bar is not None:
            bar.update(len(part))
    return results


def _frame(rows: list[tuple]) -> pd.DataFrame:
    if not rows:
        return empty_codes()
    df = pd.DataFrame(rows, columns=["interview_id", "turn_index", "code", "family", "char_start", "char_end",
                                     "evidence", "polarity", "confidence", "buying_role"])
    df["source"] = "rule"
    df["coder"] = "auto"
    return conform_codes(df)


def code_turns(turns: pd.DataFrame, languages: Mapping[str, str], codebook: Codebook | None = None, *,
               n_process: int = 1, models: dict | None = None, progress: bool = False) -> pd.DataFrame:
    """Code every respondent turn; one row per (turn, code, span) in the codes schema.

    Interviews whose language the codebook lacks are skipped with a warning and listed in
    ``result.attrs["skipped"]`` (language -> interview ids).
    """
    codebook = codebook or load_codebook()
    models = models or {}
    resp = turns[turns["role"] == "respondent"]
    lang_of = resp["interview_id"].map(lambda i: languages.get(i) or "")
    skipped: dict[str, list[str]] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(resp), unit="turn", desc="coding")
    rows: list[tuple] = []
    fingerprint = codebook.fingerprint()
    try:
        for lang in pd.unique(lang_of):
            group = resp[lang_of == lang]
            if lang not in codebook.languages:
                ids = sorted(pd.unique(group["interview_id"]).tolist())
                skipped[lang or "unknown"] = ids
                warnings.warn(f"codebook {codebook.name!r} has no language {lang or 'unknown'!r}; "
                              f"{len(ids)} interview(s) not coded: {', '.join(ids[:5])}", stacklevel=2)
                if bar is not None:
                    bar.update(len(group))
                continue
            texts = ["" if pd.isna(t) else str(t) for t in group["text"]]
            found = _code_language(texts, codebook, lang, models.get(lang), n_process, bar, fingerprint)
            for iid, tix, text, spans in zip(group["interview_id"], group["turn_index"], texts, found):
                for code, family, cs, ce, pol, conf, role in spans:
                    rows.append((iid, int(tix), code, family, cs, ce, text[cs:ce], pol, conf, role))
    finally:
        if bar is not None:
            bar.close()
    df = _frame(rows)
    if len(df):
        order = {iid: k for k, iid in enumerate(pd.unique(turns["interview_id"]))}
        df = (df.assign(_o=df["interview_id"].map(order)).sort_values(["_o", "turn_index", "char_start", "char_end"],
                                                                      kind="stable")
              .drop(columns="_o").reset_index(drop=True))
        df = conform_codes(df)
    df.attrs["skipped"] = skipped
    df.attrs["turns_coded"] = int((~lang_of.isin(list(skipped))).sum()) if len(resp) else 0
    return df


# --------------------------------------------------------------------------- study + cache

def buyerlab_version() -> str:
    """The installed buyerlab version (part of the coding cache key)."""
    try:
        from buyerlab import __version__  # type: ignore[attr-defined]

        return str(__version__)
    except ImportError:
        pass
    try:
        return metadata.version("buyerlab")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def interview_key(turns: pd.DataFrame, lang: str, codebook_fp: str, model: str | None) -> str:
    """Cache key of one interview: its respondent text, language, codebook, buyerlab version, model."""
    h = hashlib.sha256()
    head = {"lang": lang, "codebook": codebook_fp, "version": buyerlab_version(), "model": model or "",
            "nlp": _nlp_fingerprint()}
    h.update(json.dumps(head, sort_keys=True).encode())
    for tix, role, text in zip(turns["turn_index"], turns["role"], turns["text"]):
        h.update(f"\x1e{int(tix)}\x1f{role}\x1f".encode())
        h.update(("" if pd.isna(text) else str(text)).encode("utf-8"))
    return h.hexdigest()


def _nlp_fingerprint() -> str:
    from buyerlab import nlp as nlp_mod

    return json.dumps([nlp_mod.DEFAULT_BACKEND, nlp_mod.OVERRIDES], sort_keys=True)


def code_study(study: "Study", *, progress: bool = True, corpus=None, n_process: int | None = None) -> pd.DataFrame:
    """Code a study's corpus, write output/codes.parquet, re-coding only interviews whose cache key changed.

    ``result.attrs``: turns_coded, interviews, cache_hits, recomputed (interview ids), skipped.
    """
    from buyerlab.corpus import Corpus

    if corpus is None:
        corpus = Corpus.load(study)
    codebook = load_codebook(study.config.codebook)
    models = dict(study.config.nlp_models)
    fp = codebook.fingerprint()
    languages = corpus.languages()
    cache_dir = study.output_dir / ".cache" / "coding"
    cache_dir.mkdir(parents=True, exist_ok=True)

    turns = corpus.turns
    by_interview = {iid: g for iid, g in turns.groupby("interview_id", sort=False)}
    parts: dict[str, pd.DataFrame] = {}
    todo: list[str] = []
    keys: dict[str, str] = {}
    for iid in corpus.interviews["interview_id"]:
        lang = languages.get(iid, "")
        g = by_interview.get(iid)
        if g is None:
            continue
        if lang not in codebook.languages:
            todo.append(iid)  # not cached: the warning must reach the user on every run
            continue
        keys[iid] = interview_key(g, lang, fp, models.get(lang))
        path = cache_dir / f"{keys[iid]}.parquet"
        if path.exists():
            try:
                parts[iid] = pd.read_parquet(path)
                continue
            except (OSError, ValueError):
                pass  # a damaged cache file is recomputed
        todo.append(iid)

    recomputed = [i for i in todo if i in keys]
    skipped: dict[str, list[str]] = {}
    turns_coded = 0
    if todo:
        sub = turns[turns["interview_id"].isin(todo)]
        n_resp = int((sub["role"] == "respondent").sum())
        if n_process is None:
            n_process = 2 if n_resp > PARALLEL_MIN_TURNS else 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            new = code_turns(sub, languages, codebook, n_process=n_process, models=models, progress=progress)
        for w in caught:
            warnings.warn(str(w.message), stacklevel=2)
        skipped = new.attrs.get("skipped", {})
        turns_coded = new.attrs.get("turns_coded", 0)
        for iid in recomputed:
            part = new[new["interview_id"] == iid].reset_index(drop=True)
            part.to_parquet(cache_dir / f"{keys[iid]}.parquet", index=False)
            parts[iid] = part
    live = {f"{k}.parquet" for k in keys.values()}
    for f in cache_dir.glob("*.parquet"):
        if f.name not in live:
            f.unlink(missing_ok=True)

    frames = [parts[i] for i in corpus.interviews["interview_id"] if i in parts and len(parts[i])]
    df = conform_codes(pd.concat(frames, ignore_index=True)) if frames else empty_codes()
    df.to_parquet(study.output("codes.parquet"), index=False)
    n_interviews = len(keys)
    df.attrs.update(turns_coded=turns_coded, interviews=n_interviews, cache_hits=n_interviews - len(recomputed),
                    recomputed=recomputed, skipped=skipped)
    return df


def summary(codes: pd.DataFrame) -> dict[str, int]:
    """Codes found per family (present polarity only, as analyses count)."""
    present = codes[codes["polarity"] == "present"]
    return {str(k): int(v) for k, v in present["family"].value_counts().items()}
