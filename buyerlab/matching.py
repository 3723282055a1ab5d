"""Compiled codebook patterns for one language: a lemma index and a linear phrase scan.

Patterns (``buyerlab.codebook.parse_pattern``) are compiled per language into a
lemma index: every distinct lower-cased form or lemma is mapped once (cached) to the set
of pattern-token ids it satisfies, so wildcard tokens (``*chef``, ``säkerhet*``) cost one
string test per distinct form, never a regex per token. A linear scan over each doc then
extends phrases from the tokens that hit. Expert patterns (lists of dicts) go to spaCy's
``Matcher`` as they are (run only on docs holding one of their literal words); one-word
literal ones (``[{ORTH: IT}]``) are looked up per form like pattern words.

Per-token work is done once per distinct form. With the default pipeline (our sentencizer
and lemmatizer) all a token contributes follows from its ORTH: pattern ids of the form and
of its lemma, whether it anchors a phrase, its part in a sentence boundary, its lower-cased
word. :meth:`Rules.find_in_tokens`, which ``code_turns`` uses, reads these from caches on a
doc straight from the tokenizer, so the components' per-token writes are skipped (they run
only on a doc that spaCy's Matcher must see); :meth:`Rules.find` reads sentence starts (and,
with a trained pipeline, lemmas) from the doc, for the ``buyerlab_coder`` component. Both
give the same codes. The scan tries a phrase only where its anchor word is and only when the
doc holds all its words; one-word and gapless phrases are checked in place. Per-token steps
run in C where they can (map/compress over the per-form tables). Estimated from profiles of
bench/coding.py (one process, as multiples of bare tokenisation, codebook 1.4.0): tokenizer 1x,
the phrase scan 0.6-0.7x, the token view and the polarity cue index 0.3x, polarity and roles 0.5x.

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
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress
from operator import itemgetter
from typing import Callable, Mapping

from spacy.attrs import IDX, LEMMA, LENGTH, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from buyerlab.codebook import GAP_MAX, Codebook, PatternToken, parse_pattern
from buyerlab.errors import CodebookError
from buyerlab.nlp import BuyerlabLemmatizer, BuyerlabSentencizer, lemmatizer_of
from buyerlab.polarity import INITIATOR_CODES, CueIndex, nearest_role, polarity_of

LEMMATISE_PATTERNS = False  # match pattern words as written (see module docstring)

CONF_PHRASE, CONF_PHRASE_LOOSE, CONF_EXPERT, CONF_WORD, CONF_WILDCARD = 0.9, 0.8, 0.75, 0.7, 0.6
_GAP = -1


# --------------------------------------------------------------------------- compiled rules

@dataclass(frozen=True)
class _Phrase:
    target: int  # index into Rules.targets
    tokens: tuple[int, ...]  # pattern-token ids, _GAP for "..."
    confidence: float
    text: str = ""  # the pattern as written, for explain()
    required: frozenset[int] = frozenset()  # every word id of the phrase (a doc lacking one cannot match)


class _Splitter(dict):
    """word -> the pieces the pipeline's tokenizer makes of it, each word tokenised once.

    Tokenising the ~10,000 pattern words of a language was 60% of compiling its rules. A word of
    letters only that is no tokenizer special case ("cannot", "gonna") stays whole: spaCy's
    prefix, suffix and infix rules need a character that is not a letter.
    """

    def __init__(self, nlp: Language) -> None:
        super().__init__()
        self.tokenizer = nlp.tokenizer
        self.special = getattr(nlp.tokenizer, "rules", None)

    def __call__(self, word: str) -> list[str]:
        return self[word]

    def __missing__(self, word: str) -> list[str]:
        if self.special is not None and word.isalpha() and word not in self.special:
            pieces = [word]
        else:
            pieces = [t.text for t in self.tokenizer(word)]
        self[word] = pieces
        return pieces


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


class _Lazy(dict):
    """A dict that computes ``fn(key)`` on the first lookup of a key and keeps it."""

    def __init__(self, fn: Callable):
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        value = self[key] = self.fn(key)
        return value


# A phrase as the scan reads it: (required ids, target, tokens, confidence, text, literal tokens
# before the anchor, gaps before the anchor, whether it has no gap, identity for deduplication)
_Entry = tuple


class Rules:
    """A codebook's patterns and buying-role cues compiled for one language and pipeline."""

    def __init__(self, codebook: Codebook, lang: str, nlp: Language):
        self.lang = lang
        self.strings = nlp.vocab.strings
        lemma = lemmatizer_of(nlp)
        split = _Splitter(nlp)

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
        # The same, flattened into tuples for the scan (no attribute lookups in the inner loop).
        self._entries: dict[int, list[_Entry]] = {
            pid: [(ph.required, ph.target, ph.tokens, ph.confidence, ph.text, lit, gaps, _GAP not in ph.tokens,
                   id(ph)) for ph, lit, gaps in entries] for pid, entries in self.anchors.items()}
        self._is_code = [kind == "code" for kind, _ in self.targets]
        self._gate: set[int] | None = None  # hashes one of which a doc must hold for the Matcher to run
        # Expert patterns that are one literal word ([{ORTH: IT}]) are looked up per form instead:
        # spaCy's Matcher makes a Python Token of every token of the doc.
        self._word_experts: dict[str, dict[int, list[int]]] | None = None
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
            self._word_experts = _word_experts(expert, self.strings)
        self._anchor_ids = frozenset(self.anchors)
        self._init_form_tables(nlp)

    def _init_form_tables(self, nlp: Language) -> None:
        """Per-form caches (dicts filled on first sight): what the scan needs of a token, once per form."""
        strings, vocab = self.strings, nlp.vocab
        self.ids = _Lazy(lambda h: self.ids_for(strings[h]) if h else None)  # hash -> ids (or None)
        self._words = _Lazy(lambda h: strings[h] if h else "")  # LOWER hash -> lower-cased word
        self._lemmatizer = next((pipe for _, pipe in nlp.pipeline
                                 if isinstance(pipe, BuyerlabLemmatizer) and pipe.overwrite), None)
        self._sentencizer = next((pipe for _, pipe in nlp.pipeline if isinstance(pipe, BuyerlabSentencizer)), None)
        self._by_orth: _Lazy | None = None
        if self._lemmatizer is None:
            return
        # Our lemmatizer makes the lemma a function of the lower-cased form, so all a token
        # contributes follows from its ORTH: one array per doc, one dict lookup per token.
        by_lower = _Lazy(self._form_entry)  # LOWER hash -> (ids, anchor ids) or None
        self._by_orth = _Lazy(lambda o: by_lower[vocab[o].lower])
        self._orth_words = _Lazy(lambda o: self._words[vocab[o].lower])
        self._punct = _Lazy(lambda o: vocab[o].is_punct)
        if self._word_experts is not None:
            by_attr = self._word_experts

            def experts(o: int) -> tuple[int, ...]:
                found = by_attr["ORTH"].get(o, []) + by_attr["LOWER"].get(vocab[o].lower, [])
                return tuple(dict.fromkeys(found))  # the Matcher reports a (key, start, end) once

            self._experts_of = _Lazy(experts)
        gate = self._gate
        if gate is not None:
            def gated(o: int) -> bool:
                low = vocab[o].lower
                return o in gate or low in gate or self._lemmatizer.lemma_hash(low) in gate

            self._gated = _Lazy(gated)

    def _form_entry(self, lower: int) -> tuple[frozenset[int], frozenset[int]] | None:
        """(ids of the form and of its lemma, those that anchor a phrase) for a LOWER hash; None if no ids."""
        if not lower:
            return None
        form = self.strings[lower]
        a = self.ids_for(form)
        b = self.ids_for(self._lemmatizer.lemma(form))
        value = a | b if a is not None and b is not None else a or b
        return None if value is None else (value, value & self._anchor_ids)

    def forms_suffice(self, nlp: Language) -> bool:
        """Whether ``nlp`` is just our sentencizer and lemmatizer, so :meth:`find_in_tokens` may skip them."""
        pipes = [pipe for _, pipe in nlp.pipeline]
        return (self._by_orth is not None and self._sentencizer is not None and len(pipes) == 2
                and self._sentencizer in pipes and self._lemmatizer in pipes)

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

    def _token_view(self, doc: Doc) -> tuple[dict[int, frozenset[int]], list[tuple[int, frozenset[int]]],
                                             list[int], Mapping[int, str]]:
        """(pattern-token ids per position that has any, (position, anchor ids) where some phrase is
        anchored, a hash per token, hash -> lower-cased word)."""
        if self._by_orth is not None:
            keys = doc.to_array(ORTH).tolist()
            # per-token work in C (map/compress over the per-form table): most tokens hit some pattern word
            entries = list(map(self._by_orth.__getitem__, keys))
            where = list(compress(range(len(entries)), entries))
            found = list(compress(entries, entries))
            hits: dict[int, frozenset[int]] = dict(zip(where, map(_FIRST, found)))
            anchors = list(map(_SECOND, found))
            at = list(compress(zip(where, anchors), anchors))
            return hits, at, keys, self._orth_words
        # A trained pipeline's lemmas depend on context: look up the form and the lemma.
        arr = doc.to_array([LOWER, LEMMA])
        ids = self.ids
        lows = arr[:, 0].tolist()
        low = [ids[h] for h in lows]
        lem = [ids[h] for h in arr[:, 1].tolist()]
        hits = {}
        for i, (a, b) in enumerate(zip(low, lem)):
            if a is not None or b is not None:
                hits[i] = a | b if a is not None and b is not None else a or b
        anchor_ids = self._anchor_ids
        at = [(i, s & anchor_ids) for i, s in hits.items() if not s.isdisjoint(anchor_ids)]
        return hits, at, lows, self._words

    def _starts(self, doc: Doc, keys: list[int], from_forms: bool) -> list[int]:
        """Sentence starts: derived from the ORTH hashes ``keys`` (our sentencizer's rule), or the doc's own."""
        if from_forms:
            return self._sentencizer.starts(keys, self._punct.__getitem__)
        return _sentence_starts(doc)

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

    def _phrase_matches(self, hits: dict[int, frozenset[int]], at: list[tuple[int, frozenset[int]]],
                        starts: list[int], n: int) -> list[tuple]:
        """Raw matches of the string patterns, from each position where a phrase is anchored."""
        raw: list[tuple] = []
        if not at:
            return raw
        entries, extend = self._entries, self._extend
        seen: set[tuple[int, int, int]] = set()
        # Most phrases tried need a word the doc lacks: one subset test rules them out.
        present = set().union(*hits.values())
        n_starts = len(starts)
        k, sent_start, limit = 1, 0, starts[1] if n_starts > 1 else n  # the sentence of position i
        for i, here in at:
            if i >= limit:
                while k < n_starts and starts[k] <= i:
                    k += 1
                sent_start, limit = starts[k - 1], starts[k] if k < n_starts else n
            for pid in here:
                for entry in entries[pid]:
                    if not entry[0] <= present:
                        continue
                    _, target, tokens, conf, text, lit_before, gaps_before, gapless, key = entry
                    if len(tokens) == 1:
                        # A one-word phrase matches where its anchor is (pid is in hits[i]); no scan.
                        raw.append((target, i, i + 1, conf, (), text))
                    elif gapless:
                        # Without gaps a phrase can start at one place only (and is found once).
                        start = i - lit_before
                        end = start + len(tokens)
                        if start < sent_start or end > limit:
                            continue
                        for pos, t in enumerate(tokens, start):
                            s = hits.get(pos)
                            if s is None or t not in s:
                                break
                        else:
                            raw.append((target, start, end, conf, (), text))
                    else:
                        first = tokens[0]
                        lo = max(sent_start, i - lit_before - GAP_MAX * gaps_before)
                        for start in range(i - lit_before, lo - 1, -1):
                            s0 = hits.get(start)
                            if s0 is None or first not in s0:
                                continue
                            found = extend(tokens, 0, start, hits, limit)
                            if found is not None and found[0] > i and (key, start, found[0]) not in seen:
                                seen.add((key, start, found[0]))
                                raw.append((target, start, found[0], conf, found[1], text))
        return raw

    def _expert_matches(self, doc: Doc, keys: list[int], from_forms: bool) -> list[tuple]:
        """Raw matches of the expert (spaCy Matcher) patterns, when the doc holds a gate word."""
        if self.matcher is None:
            return []
        if self._word_experts is not None and self._by_orth is not None:
            found = list(map(self._experts_of.__getitem__, keys))
            return [(target, i, i + 1, CONF_EXPERT, (), "<expert>") for i in compress(range(len(found)), found)
                    for target in found[i]]
        if self._gate is not None:
            if self._by_orth is not None:
                gated = self._gated
                if not any([gated[k] for k in set(keys)]):
                    return []
            elif self._gate.isdisjoint(doc.to_array([LOWER, LEMMA, ORTH]).ravel().tolist()):
                return []
        if from_forms:
            # Expert patterns may read lemmas or sentence starts: annotate this doc as the pipeline would.
            doc = self._lemmatizer(self._sentencizer(doc))
        return [(self._expert_targets[match_id], s, e, CONF_EXPERT, (), "<expert>")
                for match_id, s, e in self.matcher(doc)]

    def matches(self, doc: Doc) -> list[tuple[int, int, int, float, tuple, str]]:
        """Every raw match: (target, start, end, confidence, gap positions, pattern) in token indices."""
        if not len(doc):
            return []
        hits, at, keys, _ = self._token_view(doc)
        starts = _sentence_starts(doc) if at else []
        return self._phrase_matches(hits, at, starts, len(doc)) + self._expert_matches(doc, keys, False)

    def explain(self, text: str, nlp: Language) -> list[tuple[str, str, str]]:
        """(code or role, matched text, pattern) for every raw match in a text: for tuning patterns."""
        doc = nlp(text)
        return [(self.targets[t][1], doc[s:e].text, pat) for t, s, e, _, _, pat in self.matches(doc)]

    def find(self, doc: Doc) -> list[tuple]:
        """Coded spans of one doc: (code, family, char_start, char_end, polarity, confidence, buying_role)."""
        return self._find(doc, from_forms=False)

    def find_in_tokens(self, doc: Doc) -> list[tuple]:
        """:meth:`find` for a doc straight from the tokenizer of a pipeline for which :meth:`forms_suffice`.

        Sentence starts and lemmas come from per-form caches instead of the doc (same rules, no
        per-token writes); the sentencizer and lemmatizer run only on a doc the Matcher must see.
        """
        return self._find(doc, from_forms=True)

    def _find(self, doc: Doc, from_forms: bool) -> list[tuple]:
        n = len(doc)
        if not n:
            return []
        hits, at, keys, words_of = self._token_view(doc)
        starts = self._starts(doc, keys, from_forms) if at else None
        raw = self._phrase_matches(hits, at, starts, n) + self._expert_matches(doc, keys, from_forms)
        is_code = self._is_code
        codes = [m for m in raw if is_code[m[0]]]
        if not codes:
            return []  # buying-role cues alone code nothing
        roles = [m for m in raw if not is_code[m[0]]]
        if starts is None:
            starts = self._starts(doc, keys, from_forms)
        words = list(map(words_of.__getitem__, keys))
        index = CueIndex(words, self.lang)
        out = []
        offsets = doc.to_array([IDX, LENGTH]).tolist()
        for target, s, e, conf, literal in _merge(codes):
            code = self.targets[target][1]
            family = self.families[code]
            polarity = polarity_of(words, s, e, starts, self.lang, literal, family, code, index)
            role = (nearest_role(words, roles, s, e, starts, self.targets, self.lang, index)
                    if family == "stakeholder" else None)
            start_char = offsets[s][0]
            end_char = offsets[e - 1][0] + offsets[e - 1][1]
            out.append((code, family, start_char, end_char, polarity, conf, role))
        leaders = [(r[2], r[3]) for r in out if r[0] in INITIATOR_CODES and r[4] == "present"]
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


def _word_experts(expert: list[tuple[int, list]], strings) -> dict[str, dict[int, list[int]]] | None:
    """{"ORTH"|"LOWER": {hash: targets}} if every expert pattern is one token with one literal
    ORTH, TEXT or LOWER (what spaCy's Matcher then matches: that hash); else None."""
    out: dict[str, dict[int, list[int]]] = {"ORTH": {}, "LOWER": {}}
    for target, pattern in expert:
        if not (isinstance(pattern, list) and len(pattern) == 1 and isinstance(pattern[0], dict)
                and len(pattern[0]) == 1):
            return None
        (attr, value), = pattern[0].items()
        attr = attr.upper() if isinstance(attr, str) else attr
        if attr not in ("ORTH", "TEXT", "LOWER") or not isinstance(value, str):
            return None
        out["LOWER" if attr == "LOWER" else "ORTH"].setdefault(strings.add(value), []).append(target)
    return out


_FIRST, _SECOND = itemgetter(0), itemgetter(1)


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
