"""Themes: BERTopic over respondent segments, with zero-shot attachment to the codebook's codes."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from buyerlab import embeddings as _emb  # sets the hub's offline switches before bertopic imports transformers
from buyerlab.codes import CODE_COLUMNS, conform_codes
from buyerlab.errors import BuyerlabError

TOPIC_COLUMNS = ["topic", "label", "keywords", "size", "mapped_code", "mapped_family", "code_similarity",
                 "nearest_code", "nearest_similarity", "representative_quotes"]
SEGMENT_TOPIC_COLUMNS = ["interview_id", "turn_index", "segment_index", "topic", "probability"]

# Cosine similarity a segment needs to a code's embedding to be attached to it, per backend kind.
# TF-IDF vectors of a paraphrase share fewer dimensions than sentence-embedding vectors, so they sit lower.
# Measured on the gold set (bench/themes.py): TF-IDF at 0.35 attaches ~11% of segments with ~78% of
# them in the right family; all-MiniLM-L6-v2 (English-only) stays near 40% at any threshold, so it
# gets a high bar that attaches few.
DEFAULT_MIN_SIMILARITY = {"tfidf": 0.35, "sentence": 0.55}

# Interview filler that survives standard stop word lists and would otherwise top every topic's keywords.
_FILLER = {
    "en": "yeah yes okay ok um uh mm mhm like just really think know mean sort kind thing things lot "
          "actually basically got going gonna want said say bit pretty stuff way well right sure honestly "
          # what the tokenizer leaves of contractions ("hasn't" -> "hasn")
          "aren couldn didn doesn don hadn hasn haven isn ll mustn needn shan shouldn ve wasn weren won wouldn",
    "sv": "ja nej okej liksom typ alltså asså ju väl nog bara sen också mycket lite kanske tycker tror "
          "säga sa gjorde göra får fick blev bli finns fanns sånt sån sådär grej grejer ärligt talat",
    "de": "ja nein okay also halt eben genau irgendwie einfach quasi sozusagen mal schon eigentlich "
          "gesagt sagen gemacht machen wirklich ganz bisschen sache sachen gibt ehrlich",
}

logging.getLogger("BERTopic").setLevel(logging.ERROR)


class ThemesError(BuyerlabError):
    """Themes cannot be found for this input."""


def stop_words(languages: tuple[str, ...] = ("en", "sv", "de")) -> list[str]:
    """spaCy's stop words for ``languages`` plus interview filler words, sorted."""
    words: set[str] = set()
    for lang in languages:
        try:
            module = __import__(f"spacy.lang.{lang}.stop_words", fromlist=["STOP_WORDS"])
            # Only whole tokens: "'ll" can never match a token and makes scikit-learn warn.
            words |= {w.lower() for w in module.STOP_WORDS if re.fullmatch(r"[^\W\d_]+", w)}
        except ImportError:
            pass
        words |= set(_FILLER.get(lang, "").split())
    return sorted(words)


def _slug(text: str, limit: int = 40) -> str:
    """ASCII snake_case id from free text (ä -> a, ß -> ss)."""
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug[:limit].strip("_") or "topic"


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _zeroshot_name(code: str) -> str:
    """The name a code goes by inside BERTopic; ":" keeps it apart from any keyword or segment."""
    return f"code:{code}"


def _make_embedder(backend, fixed: dict[str, np.ndarray]):
    """A BERTopic embedder over our backend; ``fixed`` gives precomputed vectors (code centroids)."""
    from bertopic.backend import BaseEmbedder

    class _BackendEmbedder(BaseEmbedder):
        def embed(self, documents, verbose=False):
            documents = list(documents)
            out = np.zeros((len(documents), 0), dtype=np.float32)
            unknown = [d for d in documents if d not in fixed]
            encoded = dict(zip(unknown, backend.encode(unknown))) if unknown else {}
            rows = [fixed[d] if d in fixed else encoded[d] for d in documents]
            if rows:
                out = np.vstack(rows).astype(np.float32)
            return out

    return _BackendEmbedder()


@dataclass
class ThemeResult:
    """What find_themes found: a topic per text, the topic table, topics per class, the fitted model."""

    texts: list[str]
    topics: list[int]
    probabilities: np.ndarray  # cosine similarity of each text to its topic's centroid, 0..1
    topic_info: pd.DataFrame  # TOPIC_COLUMNS, one row per topic (-1 = outliers, where any remain)
    per_class: pd.DataFrame | None  # topic, class, count, share (of the class's texts)
    code_similarity: np.ndarray  # each text's similarity to its topic's mapped code; NaN where none
    embeddings: np.ndarray
    model: Any  # the fitted BERTopic
    backend: Any
    code_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    languages: list[str] | None = None
    settings: dict = field(default_factory=dict)

    @property
    def mapped_codes(self) -> list[str | None]:
        """The code each text's topic is attached to, or None."""
        info = self.topic_info
        mapping = {t: (None if pd.isna(c) else c) for t, c in zip(info["topic"], info["mapped_code"])}
        return [mapping.get(t) for t in self.topics]


def default_min_topic_size(n: int) -> int:
    """HDBSCAN min cluster size: ~half the square root of n, within 5..100 (a 300-segment study -> 8)."""
    return int(min(100, max(5, round(math.sqrt(n) / 2))))


def default_n_topics(n: int) -> int:
    """KMeans topic count: ~sqrt(n/2), within 2..50 (300 segments -> 12, 2,000 -> 32)."""
    return int(min(50, max(2, round(math.sqrt(n / 2)))))


def _reducer(kind: str, n: int, seed: int, dims: int):
    """Dimensionality reduction before clustering (UMAP or PCA), deterministic for a seed."""
    n_components = 5
    if kind == "pca":
        n_components = max(1, min(20, dims - 1, n - 1))
    if kind == "umap":
        from umap import UMAP

        return UMAP(n_neighbors=max(2, min(15, n - 1)), n_components=n_components, min_dist=0.0,
                    metric="cosine", random_state=seed, n_jobs=1, low_memory=True)
    if kind == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=n_components, svd_solver="full", random_state=seed)
    raise ThemesError(f"themes: unknown reducer {kind!r}; use 'umap' or 'pca'")


def find_themes(
    texts: list[str],
    classes: list[str] | None = None,
    *,
    embedding=None,
    zeroshot: dict[str, str | list[str]] | None = None,
    seed: int = 42,
    min_topic_size: int | None = None,
    embeddings: np.ndarray | None = None,
    zeroshot_min_similarity: float | None = None,
    reducer: str = "pca",
    cluster: str = "kmeans",
    n_topics: int | None = None,
    outlier_threshold: float = 0.0,
    languages: list[str] | None = None,
    n_keywords: int = 10,
    n_quotes: int = 3,
) -> ThemeResult:
    """Fit topics on ``texts``; with ``zeroshot`` ({code: text or texts}) texts close to a code attach to it."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    n = len(texts)
    if n < 10:
        raise ThemesError(f"themes: need at least 10 segments to find topics, got {n}")
    if classes is not None and len(classes) != n:
        raise ThemesError(f"themes: {len(classes)} classes for {n} texts")
    if isinstance(embedding, str) or embedding is None:
        backend = _emb.get_embedding_backend(embedding)
    else:
        backend = embedding
    zeroshot = {str(k): ([v] if isinstance(v, str) else list(v)) for k, v in (zeroshot or {}).items()}
    zeroshot = {k: [t for t in v if t and t.strip()] for k, v in zeroshot.items()}
    zeroshot = {k: v for k, v in zeroshot.items() if v}
    if isinstance(backend, _emb.TfidfBackend):
        # Given vectors come from the caller's fit of this backend: refitting would move the codes
        # into another space. Otherwise the code texts join the fit, so their words are in the vocabulary.
        if embeddings is None or backend.pipeline is None:
            if embeddings is not None:
                raise ThemesError("themes: precomputed TF-IDF embeddings need the backend they were encoded with")
            backend.fit(texts + [t for v in zeroshot.values() for t in v])
    else:
        backend.fit(texts)
    if embeddings is None:
        embeddings = backend.encode(texts)
    embeddings = _unit(np.asarray(embeddings, dtype=np.float32))
    if embeddings.shape[0] != n:
        raise ThemesError(f"themes: {embeddings.shape[0]} embeddings for {n} texts")

    # A code's vector is the centroid of its description and examples: one long concatenation
    # would be truncated by sentence models and mix three languages into one vector.
    code_vectors: dict[str, np.ndarray] = {}
    for code, code_texts in zeroshot.items():
        code_vectors[code] = _unit(backend.encode(code_texts).mean(axis=0))
    kind = "tfidf" if isinstance(backend, _emb.TfidfBackend) else "sentence"
    if zeroshot_min_similarity is None:
        zeroshot_min_similarity = DEFAULT_MIN_SIMILARITY[kind]
    min_topic_size = min_topic_size or default_min_topic_size(n)

    # Which code each text would be attached to: the same rule BERTopic applies, computed here
    # so the topic -> code mapping never depends on BERTopic's private bookkeeping.
    code_ids = list(code_vectors)
    if code_ids:
        sims = embeddings @ np.vstack([code_vectors[c] for c in code_ids]).T
        best = sims.argmax(axis=1)
        best_sim = sims.max(axis=1)
        assigned = np.where(best_sim >= zeroshot_min_similarity, best, -1)
    else:
        sims = np.zeros((n, 0), dtype=np.float32)
        assigned = np.full(n, -1)

    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN
    from sklearn.feature_extraction.text import CountVectorizer

    n_unassigned = int((assigned < 0).sum())
    if cluster == "kmeans":
        from sklearn.cluster import KMeans

        k = n_topics or default_n_topics(n_unassigned)
        cluster_model = KMeans(n_clusters=max(1, min(k, n_unassigned)), n_init=4, random_state=seed)
    elif cluster == "hdbscan":
        cluster_size = max(2, min(min_topic_size, max(2, n_unassigned // 2)))
        cluster_model = HDBSCAN(min_cluster_size=cluster_size, metric="euclidean", cluster_selection_method="eom",
                                prediction_data=True)
    else:
        raise ThemesError(f"themes: unknown clustering {cluster!r}; use 'kmeans' or 'hdbscan'")
    vectorizer = CountVectorizer(stop_words=stop_words(), ngram_range=(1, 2), min_df=1,
                                 token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b")
    ctfidf = ClassTfidfTransformer(reduce_frequent_words=True)
    model = BERTopic(
        embedding_model=_make_embedder(backend, {_zeroshot_name(c): v for c, v in code_vectors.items()}),
        umap_model=_reducer(reducer, n, seed, embeddings.shape[1]),
        hdbscan_model=cluster_model,
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        min_topic_size=min_topic_size,
        top_n_words=n_keywords,
        zeroshot_topic_list=[_zeroshot_name(c) for c in code_ids] or None,
        zeroshot_min_similarity=zeroshot_min_similarity,
        calculate_probabilities=False,
        verbose=False,
    )
    # BERTopic resets its logger's level in __init__; its warnings about our own choices are noise here.
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    try:
        topics, _ = model.fit_transform(texts, embeddings=embeddings)
    except (ValueError, TypeError) as exc:
        raise ThemesError(f"themes: topic model failed on {n} segments: {exc}") from None
    topics = [int(t) for t in topics]
    if -1 in topics and len(set(topics) - {-1}) > 0:
        new_topics = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=embeddings,
                                           threshold=outlier_threshold)
        topics = [int(t) for t in new_topics]
        model.update_topics(texts, topics=topics, top_n_words=n_keywords, vectorizer_model=vectorizer,
                            ctfidf_model=ctfidf)
    topics_arr = np.asarray(topics)

    topic_ids = sorted(set(topics))
    centroids = {t: _unit(embeddings[topics_arr == t].mean(axis=0)) for t in topic_ids}
    probabilities = np.array([max(0.0, float(embeddings[i] @ centroids[t])) for i, t in enumerate(topics)],
                             dtype=np.float32)
    probabilities = np.minimum(probabilities, 1.0)

    rows = []
    code_similarity = np.full(n, np.nan, dtype=np.float32)
    for t in topic_ids:
        members = np.flatnonzero(topics_arr == t)
        keywords = [w for w, _ in (model.get_topic(t) or []) if w][:n_keywords]
        mapped = None
        if code_ids and t != -1:
            votes = assigned[members]
            votes = votes[votes >= 0]
            if len(votes) * 2 > len(members):
                mapped = code_ids[int(np.bincount(votes).argmax())]
        mapped_sim = float("nan")
        if mapped is not None:
            col = code_ids.index(mapped)
            code_similarity[members] = sims[members, col]
            mapped_sim = float(np.mean(sims[members, col]))
        nearest, nearest_sim = None, float("nan")
        if code_ids:
            topic_sims = np.vstack([code_vectors[c] for c in code_ids]) @ centroids[t]
            nearest = code_ids[int(topic_sims.argmax())]
            nearest_sim = float(topic_sims.max())
        order = members[np.argsort(-(embeddings[members] @ centroids[t]), kind="stable")]
        # Closest to the centre first, but a quote of a few words ("That's true.") says little.
        order = [i for i in order if len(texts[i].split()) >= 6] + [i for i in order if len(texts[i].split()) < 6]
        quotes: list[str] = []
        for i in order:
            if texts[i] not in quotes:
                quotes.append(texts[i])
            if len(quotes) >= n_quotes:
                break
        label = "outliers" if t == -1 else ", ".join(keywords[:4]) or f"topic {t}"
        rows.append({"topic": t, "label": label, "keywords": keywords, "size": int(len(members)),
                     "mapped_code": mapped, "mapped_family": None, "code_similarity": mapped_sim,
                     "nearest_code": nearest, "nearest_similarity": nearest_sim, "representative_quotes": quotes})
    topic_info = pd.DataFrame(rows, columns=TOPIC_COLUMNS)
    for column in ("mapped_code", "mapped_family", "nearest_code"):
        # Object columns keep None for "no code" (pandas' string dtype would turn it into NaN).
        topic_info[column] = pd.Series([r[column] for r in rows], dtype=object)

    per_class = None
    if classes is not None:
        per_class = topics_per_class(topics, classes)
    return ThemeResult(
        texts=texts, topics=topics, probabilities=probabilities, topic_info=topic_info, per_class=per_class,
        code_similarity=code_similarity, embeddings=embeddings, model=model, backend=backend,
        code_vectors=code_vectors, languages=languages,
        settings={"seed": seed, "min_topic_size": min_topic_size, "zeroshot_min_similarity": zeroshot_min_similarity,
                  "reducer": reducer, "cluster": cluster, "n_topics": len(set(topics) - {-1}),
                  "embedding": backend.model_id, "outlier_threshold": outlier_threshold},
    )


def topics_per_class(topics: list[int], classes: list, ids: list | None = None) -> pd.DataFrame:
    """Count of texts per (class, topic), its share of the class, and distinct ids (interviews) where given."""
    frame = pd.DataFrame({"topic": topics, "class": [None if c is None or (isinstance(c, float) and math.isnan(c))
                                                       else str(c) for c in classes]})
    frame["class"] = frame["class"].fillna("(none)")
    if ids is not None:
        frame["id"] = list(ids)
    grouped = frame.groupby(["class", "topic"], sort=True)
    out = grouped.size().rename("count").reset_index()
    totals = frame.groupby("class").size()
    out["share"] = out["count"] / out["class"].map(totals)
    if ids is not None:
        out["n_interviews"] = grouped["id"].nunique().to_numpy()
    return out


def codebook_zeroshot(codebook) -> dict[str, list[str]]:
    """Zero-shot texts per code: "label: description" plus every example in every language."""
    out: dict[str, list[str]] = {}
    for code in codebook.codes:
        texts = [f"{code.label}: {code.description}".strip(": ")]
        for examples in (code.examples or {}).values():
            texts.extend(str(e) for e in examples if e)
        out[code.id] = texts
    return out


def _label_with_code(label: str, code_label: str | None) -> str:
    return f"{code_label} ({label})" if code_label else label


def theme_study(study, *, embedding: str | None = None, seed: int | None = None, reducer: str | None = None,
                cluster: str | None = None, save_model: bool = True) -> ThemeResult:
    """Segment a study's respondent turns, find themes, attach them to its codebook, write the output files."""
    from buyerlab.codebook import load_codebook
    from buyerlab.corpus import Corpus
    from buyerlab.segment import segment_turns
    from buyerlab.study import Study

    if not isinstance(study, Study):
        study = Study(study)
    settings = dict(study.config.themes or {})
    corpus = Corpus.load(study)
    interviews, turns = corpus.interviews, corpus.turns
    languages = dict(zip(interviews["interview_id"].astype(str), interviews["language"]))
    segments = segment_turns(turns, languages)
    if len(segments) < 10:
        raise ThemesError(f"{study.path}: only {len(segments)} respondent segments; themes need at least 10")

    embedding = embedding or settings.get("embedding") or study.config.embedding_model
    backend = _emb.get_embedding_backend(embedding)
    texts = segments["text"].tolist()
    cache_dir = study.output_dir / ".cache" / "embeddings"
    vectors = None
    if backend.cacheable:
        vectors = _emb.embed_texts(texts, backend, cache_dir)

    codebook = load_codebook(study.config.codebook)
    code_index = {c.id: c for c in codebook.codes}
    result = find_themes(
        texts,
        embedding=backend,
        embeddings=vectors,
        zeroshot=codebook_zeroshot(codebook),
        seed=int(seed if seed is not None else settings.get("seed", 42)),
        min_topic_size=settings.get("min_topic_size"),
        zeroshot_min_similarity=settings.get("zeroshot_min_similarity"),
        reducer=reducer or settings.get("reducer", "pca"),
        cluster=cluster or settings.get("cluster", "kmeans"),
        n_topics=settings.get("n_topics"),
        languages=segments["language"].tolist(),
    )
    info = result.topic_info
    info["mapped_family"] = pd.Series([code_index[c].family if c in code_index else None for c in info["mapped_code"]],
                                      dtype=object)
    info["label"] = [_label_with_code(lbl, code_index[c].label if c in code_index else None)
                     for lbl, c in zip(info["label"], info["mapped_code"])]
    result.settings["codebook_version"] = getattr(codebook, "version", None)

    out = study.output_dir
    out.mkdir(parents=True, exist_ok=True)
    info.to_parquet(out / "topics.parquet", index=False)
    seg_topics = segments[["interview_id", "turn_index", "segment_index"]].copy()
    seg_topics["topic"] = result.topics
    seg_topics["probability"] = result.probabilities.astype(float)
    seg_topics.to_parquet(out / "segment_topics.parquet", index=False)
    topic_codes_frame(segments, result, code_index).to_parquet(out / "topic_codes.parquet", index=False)

    meta = interviews.set_index(interviews["interview_id"].astype(str))
    frames = []
    for column in ("segment", "country"):
        if column in meta.columns:
            classes = segments["interview_id"].map(meta[column]).tolist()
            frame = topics_per_class(result.topics, classes, ids=segments["interview_id"].tolist())
            frame.insert(0, "by", column)
            frames.append(frame)
    per_class = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["by", "class", "topic", "count", "share", "n_interviews"])
    per_class.to_parquet(out / "topics_per_class.parquet", index=False)
    result.per_class = per_class

    if save_model:
        save_topic_model(result, out / "topic_model")
    return result


def topic_codes_frame(segments: pd.DataFrame, result: ThemeResult, code_index: dict | None = None) -> pd.DataFrame:
    """Rows in the codes schema (source "topic") for segments attached to a code at or above the threshold."""
    threshold = result.settings.get("zeroshot_min_similarity", 0.0)
    mapped = result.mapped_codes
    rows = []
    for i, seg in enumerate(segments.itertuples(index=False)):
        code = mapped[i]
        sim = result.code_similarity[i]
        if code is None or not np.isfinite(sim) or sim < threshold:
            continue
        family = code_index[code].family if code_index and code in code_index else None
        rows.append({"interview_id": seg.interview_id, "turn_index": int(seg.turn_index), "family": family,
                     "code": code, "char_start": int(seg.char_start), "char_end": int(seg.char_end),
                     "evidence": seg.text, "polarity": "present", "source": "topic",
                     "confidence": float(min(1.0, max(0.0, sim))), "coder": "auto", "buying_role": None})
    return conform_codes(pd.DataFrame(rows, columns=list(CODE_COLUMNS)))


def save_topic_model(result: ThemeResult, path: Path) -> Path:
    """Save the fitted BERTopic with safetensors (no pickle), c-TF-IDF, and a pointer to the embedding model."""
    backend = result.backend
    pointer = str(backend.path) if getattr(backend, "path", None) is not None else False
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # its "no embedding model" warning is expected for TF-IDF
    result.model.save(str(path), serialization="safetensors", save_ctfidf=True, save_embedding_model=pointer)
    return path


def suggest_codes(result: ThemeResult, codebook, *, family_similarity: float | None = None) -> list[dict]:
    """A suggested code (id, family or "new", label, description, examples, patterns) per uncovered topic."""
    info = result.topic_info
    known = {c.id for c in codebook.codes}
    families = {c.id: c.family for c in codebook.codes}
    threshold = result.settings.get("zeroshot_min_similarity", 0.5)
    # Close enough to a code to say which family it belongs in, though not close enough to be that code.
    family_similarity = family_similarity if family_similarity is not None else 0.7 * threshold
    langs = result.languages or ["en"] * len(result.texts)
    lang_of = {}
    for text, lang in zip(result.texts, langs):
        lang_of.setdefault(text, lang if isinstance(lang, str) and lang else "en")
    suggestions: list[dict] = []
    used = set(known)
    for row in info.itertuples(index=False):
        if row.topic == -1 or not pd.isna(row.mapped_code):
            continue
        keywords = list(row.keywords)
        words = list(dict.fromkeys(w for k in keywords for w in k.split()))
        base = _slug("_".join(words[:3])) if words else f"topic_{row.topic}"
        code_id, k = f"new_{base}", 2
        while code_id in used:
            code_id, k = f"new_{base}_{k}", k + 1
        used.add(code_id)
        family = "new"
        nearest = row.nearest_code
        if nearest in families and np.isfinite(row.nearest_similarity) and row.nearest_similarity >= family_similarity:
            family = families[nearest]
        examples: dict[str, list[str]] = {}
        for quote in row.representative_quotes:
            examples.setdefault(lang_of.get(quote, "en"), []).append(quote)
        allowed = set(getattr(codebook, "languages", None) or ["en", "sv", "de"])
        examples = {lang: quotes for lang, quotes in examples.items() if lang in allowed}
        patterns = _suggested_patterns(keywords, examples, allowed)
        label = " / ".join(keywords[:3]).capitalize() if keywords else f"Topic {row.topic}"
        description = (f"Suggested from topic {row.topic} ({row.size} segments); most distinctive words: "
                       f"{', '.join(keywords[:8])}. Rewrite as a definition a coder can apply.")
        suggestions.append({"id": code_id, "family": family, "label": label, "description": description,
                            "examples": examples, "patterns": patterns, "topic": int(row.topic), "size": int(row.size),
                            "nearest_code": nearest,
                            "nearest_similarity": None if not np.isfinite(row.nearest_similarity)
                            else round(float(row.nearest_similarity), 3)})
    return suggestions


def _suggested_patterns(keywords: list[str], examples: dict[str, list[str]], allowed: set[str]) -> dict[str, list[str]]:
    """Starting patterns: the topic's single-word keywords found in that language's quotes."""
    single = [k for k in keywords if " " not in k]
    patterns: dict[str, list[str]] = {}
    for lang, quotes in examples.items():
        joined = " ".join(quotes).lower()
        found = [k for k in single if re.search(rf"\b{re.escape(k)}", joined)][:5]
        if found:
            patterns[lang] = found
    if not patterns:
        # The codebook needs at least one pattern per code; a keyword phrase is a fair start.
        patterns["en" if "en" in allowed else sorted(allowed)[0]] = (single or keywords or ["todo"])[:5]
    return patterns


def suggestions_yaml(suggestions: list[dict], codebook=None) -> str:
    """A codebook extension (``extends: default``) holding the suggested codes, as YAML text."""
    import yaml

    codes = []
    for s in suggestions:
        codes.append({"id": s["id"], "family": s["family"], "label": s["label"], "description": s["description"],
                      "examples": s["examples"], "patterns": s["patterns"]})
    # No name/version here: they would replace the default codebook's; the fingerprint covers the change.
    doc: dict[str, Any] = {"extends": "default"}
    if any(s["family"] == "new" for s in suggestions):
        doc["families"] = [{"id": "new", "label": "New (suggested)",
                            "description": "Themes found in the interviews that no existing family covers yet."}]
    doc["codes"] = codes
    header = ("# Codes suggested by `buyerlab topics`: themes in the interviews the codebook does not cover.\n"
              "# Review, rename, move to a family, add patterns, then point study.toml's codebook here.\n")
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
