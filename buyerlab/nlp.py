"""spaCy pipelines per language: tokenizer, sentence boundaries and a lemmatizer.

The default pipeline is ``spacy.blank(lang)`` + ``buyerlab_sentencizer`` (spaCy's sentencizer
rule, vectorised: it is otherwise the slowest step) + ``buyerlab_lemmatizer``,
built only from installed packages (nothing is downloaded). A study may name a trained
pipeline per language (``[nlp] models`` in study.toml); it is loaded with ``spacy.load``
and keeps its own lemmatizer and parser, with ours added only where missing.

Both components' results are functions of the word forms (``BuyerlabSentencizer.starts``,
``BuyerlabLemmatizer.lemma_hash``): the coder (:mod:`buyerlab.matching`) derives the same
sentence starts and lemmas from per-form caches and runs only the tokenizer.

Lemmatizer backends, chosen per language by measurement on the gold set
(``bench/quality.py --lemmatizer``):

- ``simplemma``: simplemma with greedy decomposition, which handles Swedish and German
  compounds (``inköpschefen`` -> ``inköpschef``).
- ``lookup``: spaCy's lookup tables (spacy-lookups-data), case-folded, with a compound-head
  fallback for sv/de (the table lemma of the longest known suffix).
- ``lower``: no lemmatisation (the lower-cased form).
"""

from __future__ import annotations

import functools
from itertools import compress
from pathlib import Path
from typing import Callable

import numpy as np
import spacy
from spacy.attrs import LEMMA, LOWER, ORTH, SENT_START
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc

from buyerlab.errors import BuyerlabError

BACKENDS = ("simplemma", "lookup", "lower")
# Chosen by measurement (code-level F1 on tests/data/gold, see bench/quality.py --lemmatizer).
DEFAULT_BACKEND: dict[str, str] = {"en": "simplemma", "sv": "simplemma", "de": "simplemma"}
# Known lemmatiser errors that break patterns ("pris" is a noun far more often than "prisa").
OVERRIDES: dict[str, dict[str, str]] = {
    "sv": {"pris": "pris"},
    "de": {},
    "en": {},
}
_COMPOUND_LANGS = {"sv", "de", "nl", "da", "nb", "no"}
_MIN_HEAD = 3  # shortest compound head tried by the lookup fallback


def _simplemma_fn(lang: str) -> Callable[[str], str] | None:
    import simplemma

    try:
        simplemma.lemmatize("test", lang=lang)
    except (ValueError, KeyError):
        return None

    def lemmatize(form: str) -> str:
        # German nouns are capitalised in simplemma's data; it handles case itself.
        return simplemma.lemmatize(form, lang=lang, greedy=True).lower()

    return lemmatize


def _lookup_fn(lang: str) -> Callable[[str], str] | None:
    try:
        from spacy.lookups import load_lookups

        table = load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, KeyError, ImportError, OSError):
        return None
    compounds = lang in _COMPOUND_LANGS

    def known(form: str) -> str | None:
        # The tables are case-sensitive: German nouns are stored capitalised.
        for f in (form, form.capitalize()):
            lemma = table.get(f)
            if lemma is not None:
                return lemma.lower()
        return None

    def lemmatize(form: str) -> str:
        lemma = known(form)
        if lemma is not None:
            return lemma
        if compounds and len(form) > 2 * _MIN_HEAD:
            # A compound inflects on its head: lemmatise the longest known tail.
            for i in range(1, len(form) - _MIN_HEAD + 1):
                head = form[i:]
                lemma = known(head)
                if lemma is not None and len(head) >= 4:
                    return form[:i] + lemma
        return form

    return lemmatize


def lemma_function(lang: str, backend: str = "auto") -> tuple[str, Callable[[str], str]]:
    """Return (backend actually used, function lower-cased form -> lemma) for a language."""
    if backend == "auto":
        backend = DEFAULT_BACKEND.get(lang, "simplemma")
    if backend not in BACKENDS:
        raise BuyerlabError(f"unknown lemmatizer backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    fn = None
    if backend == "simplemma":
        fn = _simplemma_fn(lang)
    elif backend == "lookup":
        fn = _lookup_fn(lang)
    if fn is None:
        backend, fn = "lower", (lambda form: form)
    overrides = OVERRIDES.get(lang, {})
    if overrides:
        inner = fn

        def fn(form: str, _inner=inner) -> str:
            return overrides.get(form) or _inner(form)

    return backend, fn


class BuyerlabLemmatizer:
    """Sets ``token.lemma_`` from a per-form cache; one backend call per distinct lower-cased form."""

    def __init__(self, nlp: Language, name: str, backend: str = "auto", overwrite: bool = True):
        self.name = name
        self.lang = nlp.lang
        self.backend, self._lemmatize = lemma_function(nlp.lang, backend)
        self.overwrite = overwrite
        self._strings = nlp.vocab.strings
        self._cache: dict[int, int] = {}  # lower hash -> lemma hash

    def lemma(self, form: str) -> str:
        """The lemma of one word form (lower-cased first)."""
        return self._lemmatize(form.lower())

    def _fill(self, hashes) -> None:
        strings = self._strings
        for h in set(hashes) - self._cache.keys():
            self._cache[h] = strings.add(self._lemmatize(strings[h]))

    def lemma_hash(self, lower: int) -> int:
        """The LEMMA hash this component writes for a token whose LOWER hash is ``lower``."""
        if lower not in self._cache:
            self._fill((lower,))
        return self._cache[lower]

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        if not self.overwrite and doc.has_annotation("LEMMA"):
            return doc
        lows = doc.to_array(LOWER).tolist()
        cache = self._cache
        try:
            lemmas = [cache[h] for h in lows]
        except KeyError:
            self._fill(lows)
            lemmas = [cache[h] for h in lows]
        # One vectorised write instead of a Python setter per token.
        doc.from_array([LEMMA], np.asarray(lemmas, dtype="uint64"))
        return doc


@Language.factory(
    "buyerlab_lemmatizer",
    default_config={"backend": "auto", "overwrite": True},
)
def make_lemmatizer(nlp: Language, name: str, backend: str, overwrite: bool) -> BuyerlabLemmatizer:
    """spaCy factory for :class:`BuyerlabLemmatizer` (backend: auto, simplemma, lookup, lower)."""
    return BuyerlabLemmatizer(nlp, name, backend=backend, overwrite=overwrite)


class BuyerlabSentencizer:
    """spaCy's Sentencizer rule on hash arrays: a sentence starts at the first non-punctuation
    token after a sentence-final character. Same boundaries, without a Python Token per token."""

    def __init__(self, nlp: Language, name: str, punct_chars: list[str] | None = None):
        self.name = name
        chars = punct_chars or sorted(Sentencizer.default_punct_chars)
        self.punct_chars = list(chars)
        self._final = frozenset(nlp.vocab.strings.add(c) for c in chars)
        self._vocab = nlp.vocab

    def starts(self, orths: list[int], is_punct: Callable[[int], bool]) -> list[int]:
        """Sentence starts (token indices, 0 first) of a doc given its ORTH hashes.

        ``is_punct(orth)``: the IS_PUNCT flag of that form. Only the tokens after a final
        character are looked at: one membership test per token instead of a state machine.
        """
        final = self._final
        n = len(orths)
        out = [0]
        k = 0  # the first token not yet scanned
        for j in compress(range(n), map(final.__contains__, orths)):
            if j < k:
                continue  # inside the run of punctuation already scanned: same next start
            k = j + 1
            while k < n and (orths[k] in final or is_punct(orths[k])):
                k += 1
            if k < n:
                out.append(k)
        return out

    def __call__(self, doc: Doc) -> Doc:
        n = len(doc)
        if not n:
            return doc
        vocab = self._vocab
        starts = self.starts(doc.to_array(ORTH).tolist(), lambda orth: vocab[orth].is_punct)
        flags = np.full(n, -1, dtype="int64")
        flags[starts] = 1
        doc.from_array([SENT_START], flags.astype("uint64"))
        return doc


@Language.factory("buyerlab_sentencizer", default_config={"punct_chars": None})
def make_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None) -> BuyerlabSentencizer:
    """spaCy factory for :class:`BuyerlabSentencizer` (punct_chars: None = spaCy's defaults)."""
    return BuyerlabSentencizer(nlp, name, punct_chars)


def _has_sentences(nlp: Language) -> bool:
    names = set(nlp.pipe_names)
    return bool(names & {"parser", "senter", "sentencizer"}) or any(
        "sentencizer" in n or "senter" in n for n in names)


def _has_lemmatizer(nlp: Language) -> bool:
    return any("lemmatizer" in n for n in nlp.pipe_names)


def _load_model(model: str) -> Language:
    path = Path(model)
    try:
        if path.exists():
            return spacy.load(path)
        if not spacy.util.is_package(model):
            raise BuyerlabError(
                f"spaCy model {model!r} is not installed; install it with "
                f"`python -m spacy download {model}` (or `pip install` its wheel), or give a path to a "
                f"trained pipeline in study.toml [nlp] models")
        return spacy.load(model)
    except BuyerlabError:
        raise
    except (OSError, ValueError, ImportError) as exc:
        raise BuyerlabError(f"{model}: cannot load spaCy pipeline: {str(exc).splitlines()[0]}") from None


@functools.lru_cache(maxsize=16)
def get_pipeline(lang: str, model: str | None = None) -> Language:
    """The (cached) spaCy pipeline for a language: blank + sentencizer + lemmatizer, or a trained model."""
    if model:
        nlp = _load_model(model)
        if nlp.lang != lang:
            raise BuyerlabError(f"spaCy model {model!r} is for language {nlp.lang!r}, not {lang!r}")
    else:
        try:
            nlp = spacy.blank(lang)
        except (ImportError, KeyError) as exc:
            raise BuyerlabError(f"spaCy has no language {lang!r}: {exc}") from None
    if not _has_sentences(nlp):
        nlp.add_pipe("buyerlab_sentencizer")
    if not _has_lemmatizer(nlp):
        nlp.add_pipe("buyerlab_lemmatizer")
    return nlp


def lemmatizer_of(nlp: Language) -> Callable[[str], str]:
    """A form -> lemma function consistent with the pipeline's lemmatiser (for compiling patterns)."""
    for name, pipe in nlp.pipeline:
        if isinstance(pipe, BuyerlabLemmatizer):
            return pipe.lemma

    @functools.lru_cache(maxsize=None)
    def via_pipeline(form: str) -> str:
        doc = nlp(form)
        return " ".join(t.lemma_.lower() or t.lower_ for t in doc)

    return via_pipeline
