"""Apply a codebook to respondent turns with spaCy: the registered component, parallel coding, the cache.

Matching lives in :mod:`buyerlab.matching` (patterns compiled into a lemma index), polarity and
buying roles in :mod:`buyerlab.polarity`; this module runs them over turns and studies.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import sys
import warnings
from contextlib import contextmanager
from importlib import metadata
from itertools import chain
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
from spacy.language import Language
from spacy.tokens import Doc

from buyerlab.codebook import Codebook, load_codebook
from buyerlab.codes import CODE_COLUMNS, conform_codes, empty_codes  # noqa: F401 (re-exported)
from buyerlab.matching import Rules
from buyerlab.nlp import get_pipeline
from buyerlab.polarity import polarity_of  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from buyerlab.study import Study

PARALLEL_MIN_TURNS = 2000  # below this, starting worker processes costs more than it saves
BATCH_SIZE = 256
CHUNK_TURNS = 1000  # turns sent to a worker process at a time


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
    if rules.forms_suffice(nlp):
        # The default pipeline's sentence starts and lemmas follow from the word forms, which the
        # rules cache: tokenising is enough (make_doc keeps nlp.pipe's max_length check).
        return [rules.find_in_tokens(nlp.make_doc(text)) for text in texts]
    return [rules.find(doc) for doc in nlp.pipe(texts, batch_size=BATCH_SIZE)]


_WORKER: dict = {}


def _worker_init(codebook: Codebook, models: dict, fingerprint: str) -> None:
    _WORKER.update(codebook=codebook, models=models, fingerprint=fingerprint)


def _worker_code(chunk: tuple[str, list[str]]) -> list[list[tuple]]:
    lang, texts = chunk
    return _code_texts(texts, _WORKER["codebook"], lang, _WORKER["models"].get(lang), _WORKER["fingerprint"])


def _mp_context():
    # fork shares the loaded pipeline and caches with the workers at no cost; elsewhere spawn.
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _code_languages(groups: list[tuple[str, list[str]]], codebook: Codebook, models: dict, n_process: int,
                    bar, fp: str) -> list[list[list[tuple]]]:
    """Coded spans per text of each (language, texts) group, in order; one pool for all languages."""
    chunks = [(lang, texts[i:i + CHUNK_TURNS]) for lang, texts in groups for i in range(0, len(texts), CHUNK_TURNS)]
    group_of = [g for g, (_, texts) in enumerate(groups) for _ in range(0, len(texts), CHUNK_TURNS)]
    out: list[list[list[tuple]]] = [[] for _ in groups]
    # A pool pays off with more than one chunk to share and enough turns to cover its start-up.
    parallel = n_process > 1 and len(group_of) > 1 and sum(len(texts) for _, texts in groups) > PARALLEL_MIN_TURNS
    if parallel:
        for lang, _ in groups:
            rules_for(codebook, lang, models.get(lang), fp)  # compile once before forking
        # Workers return only the small result tuples: shipping Docs back (nlp.pipe(n_process=...))
        # costs more than the coding itself. One pool for every language: it starts once, and
        # chunks of the next language keep both workers busy while one finishes the last.
        with _mp_context().Pool(n_process, initializer=_worker_init, initargs=(codebook, models, fp)) as pool:
            _gather(out, group_of, pool.imap(_worker_code, chunks), bar)
    else:
        _gather(out, group_of,
                (_code_texts(texts, codebook, lang, models.get(lang), fp) for lang, texts in chunks), bar)
    return out


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave the objects that exist now (pipelines, caches) out of garbage collection while coding.

    Coding allocates many short-lived containers, and every full collection would walk the
    caches as well (4-5% of coding time, measured; one full collection while the table of 70k
    spans is built took 0.3 s); forked workers inherit the frozen state, so their collections
    do not touch (and copy) the parent's pages either.
    """
    if gc.get_freeze_count():  # the caller froze objects itself: leave its state alone
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _gather(out: list[list[list[tuple]]], group_of: list[int], parts: Iterable[list[list[tuple]]], bar) -> None:
    """Append each chunk's results (in chunk order) to its group's list."""
    for g, part in zip(group_of, parts):
        out[g].extend(part)
        if bar is not None:
            bar.update(len(part))


def _table(groups: list[tuple[str, pd.DataFrame, list[str]]], found: list[list[list[tuple]]],
           interviews) -> pd.DataFrame:
    """The codes table: the coded spans of each group's turns, in ``interviews`` order, then by turn and place.

    Built column by column (a Python loop over 70k spans took half of the time after coding).
    """
    counts, iids, tixs, texts, spans = [], [], [], [], []
    for (_, group, group_texts), spans_of in zip(groups, found):
        counts += map(len, spans_of)
        iids += group["interview_id"].tolist()
        tixs += group["turn_index"].tolist()
        texts += group_texts
        spans += chain.from_iterable(spans_of)
    if not spans:
        return empty_codes()
    counts = np.asarray(counts, dtype=np.int64)
    iid = np.repeat(np.asarray(iids, dtype=object), counts)
    text = np.repeat(np.asarray(texts, dtype=object), counts)
    code, family, start, end, polarity, confidence, role = (np.asarray(c, dtype=object) for c in zip(*spans))
    start, end = start.astype(np.int64), end.astype(np.int64)
    tix = np.repeat(np.asarray(tixs, dtype=np.int64), counts)
    position = {i: k for k, i in enumerate(interviews)}
    rank = np.asarray([position[i] for i in iids], dtype=np.int64).repeat(counts)
    order = np.lexsort((end, start, tix, rank))  # stable: spans at one place keep the coder's order
    df = pd.DataFrame({
        "interview_id": pd.array(iid[order], dtype="string"),
        "turn_index": tix[order],
        "family": pd.array(family[order], dtype="string"),
        "code": pd.array(code[order], dtype="string"),
        "char_start": start[order],
        "char_end": end[order],
        "evidence": pd.array([t[a:b] for t, a, b in zip(text[order], start[order].tolist(), end[order].tolist())],
                             dtype="string"),
        "polarity": pd.array(polarity[order], dtype="string"),
        "source": "rule",
        "confidence": confidence[order].astype(np.float64),
        "coder": "auto",
        "buying_role": role[order],
    })
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
    groups: list[tuple[str, pd.DataFrame, list[str]]] = []  # (language, its turns, their texts)
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
            groups.append((lang, group, ["" if pd.isna(t) else str(t) for t in group["text"]]))
        with _frozen_heap():
            found = _code_languages([(lang, texts) for lang, _, texts in groups], codebook, models, n_process,
                                    bar, fingerprint)
            df = _table(groups, found, pd.unique(turns["interview_id"]))
    finally:
        if bar is not None:
            bar.close()
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
