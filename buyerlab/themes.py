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
                 "nearest_code", "nearest_similarity", "representative_quotes", "coherence"]
SEGMENT_TOPIC_COLUMNS = ["interview_id", "turn_index", "segment_index", "topic", "probability"]

# Cosine similarity a segment needs to a code's embedding to be attached to it, per backend kind.
# TF-IDF vectors of a paraphrase share fewer dimensions than sentence-embedding vectors, so they sit lower.
# Measured on the gold set (bench/themes.py): TF-IDF at 0.35 attaches ~11% of segments with ~78% of
# them in the right family; all-MiniLM-L6-v2 (English-only) stays near 40% at any threshold, so it
# gets a high bar that attaches few.
DEFAULT_MIN_SIMILARITY = {"tfidf": 0.35, "sentence": 0.55}

# Interview talk that survives spaCy's stop word lists and would otherwise top topic keywords and
# labels ("true, welcome, good luck", "faktiskt, tyckte, förstå", "ähm", "passiert"). One list per
# language, by kind; every word is a whole lowercase token (the keyword tokenizer's unit). Words that
# name a theme (price, budget, Sicherheit, leverantör) never belong here. Extend a study's list with
# study.toml ``[themes] stop_words = ["word", ...]``.
FILLER: dict[str, dict[str, str]] = {
    "en": {
        "fillers": "yeah yep yes no nope okay ok um umm uh uhm er erm hmm mm mhm ah oh wow",
        "hedges": "actually basically honestly really just sort kind pretty quite maybe probably perhaps "
                  "obviously certainly definitely absolutely exactly literally seriously simply totally "
                  "true sure right well guess suppose suppose think thought believe mean meant know knew "
                  "feel felt remember seems seemed likely somehow anyway fair frankly course",
        "discourse": "like lot lots thing things stuff way bit fact sense example time times possible hard "
                     "harder today yesterday later earlier ago back far",
        "light_verbs": "got get gets getting go goes going gone went gonna wanna want wanted come came "
                       "coming make made making take took taken say said saying says tell told telling ask "
                       "asked talk talked explain explained look looked looking see saw seen let put "
                       "happen happened happens started start try tried need needed give gave sat sit sitting "
                       "mentioned",
        "politeness": "thank thanks welcome pleasure luck good great nice cheers bye hello hi sorry please "
                      "glad happy interesting",
        "pronouns": "guy guys people person somebody someone everybody everyone anybody anyone",
        # what the tokenizer leaves of contractions ("hasn't" -> "hasn")
        "contractions": "aren couldn didn doesn don hadn hasn haven isn ll mustn needn shan shouldn ve wasn "
                        "weren won wouldn",
    },
    "sv": {
        "fillers": "ja jo nej nä nää okej ok öh eh äh mm hm aha oj",
        "hedges": "liksom typ alltså asså ju väl nog bara väldigt först själv själva stället ärlig faktiskt "
                  "egentligen kanske säkert absolut verkligen ärligt talat ungefär precis riktigt nästan rätt tycker tyckte tror trodde "
                  "tänker tänkte vet visste menar menade förstå förstår förstod känns kändes självklart "
                  "klart visst antagligen",
        "discourse": "är år sen också mycket lite sånt sån sådär grej grejer sak saker gång gången ord läge "
                     "början slutet tag",
        "light_verbs": "säga sa sagt göra gjorde gjort får fick fått blev bli blir finns fanns ta tog tagit "
                       "komma kom kommit gå gick gått ville vill hade har hittade titta tittade börja gav "
                       "började heter hette prata pratade frågade berätta",
        "politeness": "tack lycka till varsågod hoppas trevligt kul bra ursäkta hej",
    },
    "de": {
        "fillers": "ja jo nein ne nee okay ok äh ähm öh hm hmm mhm na naja tja",
        "hedges": "also halt eben genau irgendwie einfach quasi sozusagen mal schon eigentlich wirklich "
                  "ganz bisschen ehrlich gesagt klar natürlich sicher wahrscheinlich vielleicht "
                  "tatsächlich absolut ziemlich relativ eher grob teilweise glaube denke meine finde fand "
                  "weiß wusste",
        "discourse": "sache sachen ding dinge punkt thema mal paar weg gibt gab anfang moment",
        "light_verbs": "hab sag sagen gesagt machen gemacht gehen ging gegangen gelaufen kommen kam gekommen "
                       "passiert geschehen stehen steht liegen liegt nehmen genommen geben gegeben "
                       "klingt angefangen gefragt erzählt gebraucht",
        "politeness": "danke bitte gerne gern viel erfolg schön gut prima tschüss hallo entschuldigung",
        "pronouns": "unseren unserem unserer unsere euren eurem",
        "modals": "wäre wären hätte hätten würde würden könnte könnten müsste sollte",
    },
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
        words |= filler_words(lang)
    return sorted(words)


def filler_words(lang: str) -> set[str]:
    """The interview filler of one language (``FILLER``), all kinds together."""
    return {w for kind in FILLER.get(lang, {}).values() for w in kind.split()}


# A quote needs this many words that are not stop words or filler ("Well, no. That's the thing." has none).
MIN_QUOTE_CONTENT = 5


def _same_stem(a: str, b: str) -> bool:
    """Crude stem match: one word starts the other ("manager"/"managers"), or they share 80% of the
    longer one's start ("geschäftsführung"/"geschäftsführer"; not "energy"/"energikonsult")."""
    k = 0
    for x, y in zip(a, b):
        if x != y:
            break
        k += 1
    return k >= 3 and (k == min(len(a), len(b)) or k >= 0.8 * max(len(a), len(b)))


def label_keywords(keywords: list[str], limit: int = 4) -> list[str]:
    """Up to ``limit`` keywords for a label, skipping any that repeats a word already in it
    ("sub meters, meters, hourly" -> "sub meters, hourly"; "manager, managers" -> "manager")."""
    chosen: list[str] = []
    seen: set[str] = set()
    for kw in keywords:
        words = set(kw.split())
        if any(_same_stem(w, v) for w in words for v in seen):
            continue
        chosen.append(kw)
        seen |= words
        if len(chosen) >= limit:
            break
    return chosen


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
    # Per text: the code it is attached to by similarity (at or above the threshold), whatever its topic.
    segment_codes: list | None = None
    segment_code_similarity: np.ndarray | None = None

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
    """KMeans topic count for n segments: ~sqrt(n)/2.5, within 2..40 (300 -> 7, 1,200 -> 14, 3,000 -> 22).

    A reader can take in about a dozen themes of a small study; more topics only split one theme by
    interview or wording (bench/themes.py: NMI and purity on the gold set, and the sample's labels).
    """
    return int(min(40, max(2, round(math.sqrt(n) / 2.5))))


def default_min_code_topic_size(n: int) -> int:
    """Segments a code needs before it becomes a topic of its own: 0.5% of n, at least 3 (1,400 -> 7)."""
    return int(max(3, round(n / 200)))


def language_centred(embeddings: np.ndarray, languages: list, scale: bool = False) -> np.ndarray:
    """Unit rows after subtracting each language's mean row (languages with at least 5 texts).

    In a mixed en/sv/de corpus the largest direction in character TF-IDF (and in an English sentence
    model) is the language; without it, what remains is closer to what is said.
    """
    out = np.array(embeddings, dtype=np.float32, copy=True)
    langs = np.asarray([str(x) if isinstance(x, str) and x else "?" for x in languages])
    groups = [lang for lang in sorted(set(langs)) if (langs == lang).sum() >= 5]
    if len(groups) < 2:
        return out
    for lang in groups:
        mask = langs == lang
        out[mask] -= out[mask].mean(axis=0)
        if scale:
            out[mask] /= out[mask].std(axis=0) + 1e-6
    return _unit(out)


class _SeededClusters:
    """BERTopic's cluster step: texts given a code topic keep it, the rest go to KMeans or HDBSCAN.

    ``fixed`` holds a topic number per text (-1: free). Deterministic for a seed.
    """

    def __init__(self, fixed: np.ndarray, cluster: str = "kmeans", n_clusters: int = 8, min_cluster_size: int = 5,
                 seed: int = 42, spherical: bool = True):
        self.fixed = np.asarray(fixed)
        self.spherical = spherical
        self.cluster = cluster
        self.n_clusters = n_clusters
        self.min_cluster_size = min_cluster_size
        self.seed = seed
        self.labels_ = None
        self.centres_ = None

    def fit(self, X, y=None):
        X = np.asarray(X)
        labels = self.fixed.copy()
        free = np.flatnonzero(labels < 0)
        offset = int(labels.max()) + 1 if (labels >= 0).any() else 0
        if len(free) >= 2:
            sub = np.full(len(free), -1)
            if self.cluster == "hdbscan":
                from hdbscan import HDBSCAN

                sub = HDBSCAN(min_cluster_size=self.min_cluster_size, metric="euclidean",
                              cluster_selection_method="eom").fit_predict(X[free])
            # KMeans, or HDBSCAN found no dense region at all (common on a few hundred segments).
            if self.cluster == "kmeans" or not (sub >= 0).any():
                from sklearn.cluster import KMeans

                # On unit rows (spherical k-means): by direction, so short, vague segments near the
                # centre of the reduced space do not make one large "everything" topic.
                sub = KMeans(n_clusters=max(1, min(self.n_clusters, len(free))), n_init=4,
                             random_state=self.seed).fit_predict(_unit(X[free]) if self.spherical else X[free])
            labels[free] = np.where(sub >= 0, sub + offset, -1)
        elif len(free):
            labels[free] = offset
        self.labels_ = labels
        ids = sorted(set(labels) - {-1})
        self.centres_ = (ids, np.vstack([X[labels == t].mean(axis=0) for t in ids]) if ids else None)
        return self

    def predict(self, X):
        """Nearest topic centre (used only if the BERTopic model is asked to transform new texts)."""
        ids, centres = self.centres_
        if centres is None:
            return np.full(len(X), -1)
        d = ((np.asarray(X)[:, None, :] - centres[None, :, :]) ** 2).sum(axis=-1)
        return np.asarray(ids)[d.argmin(axis=1)]


_TOKEN = re.compile(r"(?u)\b[^\W\d_][^\W\d_]+\b")


class KeywordAnalyzer:
    """Keyword candidates of a text: words that are not stop words or filler, and pairs of such words
    that stand next to each other in the text ("compressed air"; never "tyckte förstå" made by
    deleting the words between, nor a pair across a comma or full stop)."""

    def __init__(self, stop: list[str] | set[str]):
        self.stop = frozenset(w.lower() for w in stop)

    def __call__(self, text: str) -> list[str]:
        text = text.lower()
        matches = list(_TOKEN.finditer(text))
        tokens = [m.group() for m in matches]
        keep = [t not in self.stop for t in tokens]
        grams = [t for t, k in zip(tokens, keep) if k]
        for i in range(len(tokens) - 1):
            # Next to each other: only white space between them (no comma, full stop or number).
            if keep[i] and keep[i + 1] and tokens[i] != tokens[i + 1] \
                    and not text[matches[i].end():matches[i + 1].start()].strip():
                grams.append(f"{tokens[i]} {tokens[i + 1]}")
        return grams


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
    balance_languages: str = "centre",
    min_code_topic_size: int | None = None,
    extra_stop_words: list[str] | None = None,
) -> ThemeResult:
    """Fit topics on ``texts``; with ``zeroshot`` ({code: text or texts}) texts close to a code attach to it.

    ``balance_languages="centre"`` (with ``languages``) subtracts each language's mean vector before
    clustering, so topics follow what is said rather than the language it is said in ("none": off).
    A code becomes a topic of its own when at least ``min_code_topic_size`` segments attach to it
    (default ``default_min_code_topic_size(n)``); the segments of rarer codes are clustered with the
    rest, and stay attached to their code in ``segment_codes`` (and topic_codes.parquet).
    """
    texts = [t if isinstance(t, str) else "" for t in texts]
    n = len(texts)
    if n < 10:
        raise ThemesError(f"themes: need at least 10 segments to find topics, got {n}")
    if classes is not None and len(classes) != n:
        raise ThemesError(f"themes: {len(classes)} classes for {n} texts")
    if languages is not None and len(languages) != n:
        raise ThemesError(f"themes: {len(languages)} languages for {n} texts")
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
    from sklearn.feature_extraction.text import CountVectorizer

    # Codes with enough attached segments become topics of their own (BERTopic's zero-shot rule,
    # applied here); a code with one or two segments would only add a topic nobody reads.
    min_code_topic_size = min_code_topic_size or default_min_code_topic_size(n)
    fixed = np.full(n, -1)
    seeded_codes: list[str] = []
    if code_ids:
        counts = np.bincount(assigned[assigned >= 0], minlength=len(code_ids))
        for col in np.argsort(-counts, kind="stable"):
            if counts[col] >= min_code_topic_size:
                fixed[assigned == col] = len(seeded_codes)
                seeded_codes.append(code_ids[col])
    if cluster not in ("kmeans", "hdbscan"):
        raise ThemesError(f"themes: unknown clustering {cluster!r}; use 'kmeans' or 'hdbscan'")
    if balance_languages not in ("centre", "standardise", "none"):
        raise ThemesError(f"themes: unknown balance_languages {balance_languages!r}; "
                          "use 'centre', 'standardise' or 'none'")
    n_free = int((fixed < 0).sum())
    k = n_topics or default_n_topics(n_free)
    cluster_model = _SeededClusters(fixed, cluster=cluster, n_clusters=max(1, min(k, n_free)),
                                    min_cluster_size=max(2, min(min_topic_size, max(2, n_free // 2))), seed=seed)
    cluster_input = embeddings
    if balance_languages != "none" and languages is not None:
        cluster_input = language_centred(embeddings, languages, scale=balance_languages == "standardise")
    vectorizer = CountVectorizer(analyzer=KeywordAnalyzer(stop_words() + list(extra_stop_words or [])), min_df=1)
    ctfidf = ClassTfidfTransformer(reduce_frequent_words=True)
    model = BERTopic(
        embedding_model=_make_embedder(backend, {_zeroshot_name(c): v for c, v in code_vectors.items()}),
        umap_model=_reducer(reducer, n, seed, embeddings.shape[1]),
        hdbscan_model=cluster_model,
        vectorizer_model=vectorizer,
        ctfidf_model=ctfidf,
        min_topic_size=min_topic_size,
        top_n_words=n_keywords,
        calculate_probabilities=False,
        verbose=False,
    )
    # BERTopic resets its logger's level in __init__; its warnings about our own choices are noise here.
    logging.getLogger("BERTopic").setLevel(logging.ERROR)
    try:
        topics, _ = model.fit_transform(texts, embeddings=cluster_input)
    except (ValueError, TypeError) as exc:
        raise ThemesError(f"themes: topic model failed on {n} segments: {exc}") from None
    topics = [int(t) for t in topics]
    if -1 in topics and len(set(topics) - {-1}) > 0:
        new_topics = model.reduce_outliers(texts, topics, strategy="embeddings", embeddings=cluster_input,
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
    content = KeywordAnalyzer(stop_words() + list(extra_stop_words or []))
    n_content = np.array([sum(1 for g in content(t) if " " not in g) for t in texts])

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
        # Quotes: closest to the centre of the topic as it was clustered, among segments that say
        # something (at least MIN_QUOTE_CONTENT words that are not filler); the rest only if need be.
        centre = _unit(cluster_input[members].mean(axis=0))
        order = members[np.argsort(-(cluster_input[members] @ centre), kind="stable")]
        order = ([i for i in order if n_content[i] >= MIN_QUOTE_CONTENT]
                 + [i for i in order if n_content[i] < MIN_QUOTE_CONTENT])
        if languages is not None:
            # A topic told in several languages shows a quote in each (those with 15% of it or more) first.
            member_langs = [str(languages[i]) for i in order]
            counts = pd.Series(member_langs).value_counts()
            shown = [lang for lang, c in counts.items() if c >= 0.15 * len(members)][:n_quotes]
            first = [next(i for i, lang in zip(order, member_langs) if lang == want) for want in shown]
            order = first + [i for i in order if i not in first]
        quotes: list[str] = []
        for i in order:
            if texts[i] not in quotes:
                quotes.append(texts[i])
            if len(quotes) >= n_quotes:
                break
        label = "outliers" if t == -1 else ", ".join(label_keywords(keywords)) or f"topic {t}"
        rows.append({"topic": t, "label": label, "keywords": keywords, "size": len(members),
                     "mapped_code": mapped, "mapped_family": None, "code_similarity": mapped_sim,
                     "nearest_code": nearest, "nearest_similarity": nearest_sim, "representative_quotes": quotes,
                     "coherence": float(np.mean(probabilities[members]))})
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
        segment_codes=[code_ids[j] if j >= 0 else None for j in assigned],
        segment_code_similarity=np.array([sims[i, j] if j >= 0 else np.nan for i, j in enumerate(assigned)],
                                         dtype=np.float32),
        settings={"seed": seed, "min_topic_size": min_topic_size, "zeroshot_min_similarity": zeroshot_min_similarity,
                  "reducer": reducer, "cluster": cluster, "n_topics": len(set(topics) - {-1}),
                  "balance_languages": balance_languages, "min_code_topic_size": min_code_topic_size,
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

    study = Study.of(study)
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
        balance_languages=settings.get("balance_languages", "centre"),
        min_code_topic_size=settings.get("min_code_topic_size"),
        extra_stop_words=[str(w) for w in settings.get("stop_words", []) or []],
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
    # Every segment attached to a code by similarity, whether or not its code became a topic of its own.
    if result.segment_codes is not None:
        mapped, similarity = result.segment_codes, result.segment_code_similarity
    else:
        mapped, similarity = result.mapped_codes, result.code_similarity
    rows = []
    for i, seg in enumerate(segments.itertuples(index=False)):
        code = mapped[i]
        sim = similarity[i]
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


# A topic is suggested as a code only when it is big enough and about as coherent as the study's
# topics usually are: SUGGEST_MIN_SHARE of the segments (at least SUGGEST_MIN_SIZE), and a coherence
# (mean cosine of its segments to its centre) of at least SUGGEST_COHERENCE x the median topic's.
# Relative, because coherence runs lower for TF-IDF than for sentence models.
SUGGEST_MIN_SIZE = 5
SUGGEST_MIN_SHARE = 0.01
SUGGEST_COHERENCE = 0.8


def suggest_codes(result: ThemeResult, codebook, *, family_similarity: float | None = None,
                  min_size: int | None = None, min_coherence: float | None = None) -> list[dict]:
    """A suggested code (id, family or "new", label, description, examples, patterns) per uncovered topic
    that is big and coherent enough (``min_size`` segments, ``min_coherence``; defaults above)."""
    info = result.topic_info
    real = info[info["topic"] != -1]
    if min_size is None:
        min_size = max(SUGGEST_MIN_SIZE, round(SUGGEST_MIN_SHARE * float(real["size"].sum())))
    if min_coherence is None:
        coherent = real["coherence"].dropna() if "coherence" in real.columns else pd.Series(dtype=float)
        min_coherence = SUGGEST_COHERENCE * float(coherent.median()) if len(coherent) else 0.0
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
        if row.topic == -1 or not pd.isna(row.mapped_code) or row.size < min_size:
            continue
        coherence = getattr(row, "coherence", float("nan"))
        if coherence is not None and np.isfinite(coherence) and coherence < min_coherence:
            continue
        keywords = list(row.keywords)
        words = list(dict.fromkeys(w for k in label_keywords(keywords, 3) for w in k.split()))
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
        label = " / ".join(label_keywords(keywords, 3)).capitalize() if keywords else f"Topic {row.topic}"
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
