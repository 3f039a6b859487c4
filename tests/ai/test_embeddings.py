"""Embedding cache and pre-labeller; the real MiniLM model only when the ai extra is there."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from crowdloop.ai.backends.embeddings import (
    EmbeddingCache,
    EmbeddingPrelabeler,
    SentenceEmbedder,
    embed_texts,
    embeddings_available,
)
from tests.ai.conftest import synthetic_corpus

MISSING = embeddings_available()


class CountingEmbedder:
    """Bag-of-hashed-words vectors; counts every text it embeds."""

    model_id = "counting-test"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.seen.extend(texts)
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.split():
                out[row, sum(map(ord, word)) % 64] += 1.0
        return out


class TestEmbeddingCache:
    def test_each_text_is_embedded_once(self) -> None:
        embedder, cache = CountingEmbedder(), EmbeddingCache()
        first = embed_texts(["a b", "c", "a b"], embedder, cache)
        second = embed_texts(["c", "a b", "d"], embedder, cache)
        assert sorted(embedder.seen) == ["a b", "c", "d"]
        assert np.array_equal(first[0], second[1])
        assert cache.misses == 4
        assert cache.hits == 2

    def test_cache_is_keyed_by_model(self) -> None:
        cache = EmbeddingCache()
        one, two = CountingEmbedder(), CountingEmbedder()
        two.model_id = "other-model"
        embed_texts(["x"], one, cache)
        embed_texts(["x"], two, cache)
        assert one.seen == ["x"]
        assert two.seen == ["x"]

    def test_file_cache_survives_a_restart(self, tmp_path: Path) -> None:
        path = tmp_path / "emb.npz"
        cache = EmbeddingCache(path)
        embed_texts(["hello", "world"], CountingEmbedder(), cache)
        cache.save()
        again, embedder = EmbeddingCache(path), CountingEmbedder()
        vectors = embed_texts(["world", "hello"], embedder, again)
        assert embedder.seen == []
        assert vectors.shape == (2, 64)

    def test_progress_and_empty_input(self) -> None:
        calls: list[tuple[int, int]] = []
        embed_texts(
            [str(i) for i in range(5)],
            CountingEmbedder(),
            EmbeddingCache(),
            chunk_size=2,
            progress=lambda done, total: calls.append((done, total)),
        )
        assert calls == [(2, 5), (4, 5), (5, 5)]
        assert embed_texts([], CountingEmbedder(), EmbeddingCache()).shape == (0, 0)


class TestEmbeddingPrelabeler:
    def test_trains_on_embeddings_with_any_embedder(self) -> None:
        texts, labels = synthetic_corpus(200)
        model = EmbeddingPrelabeler(["food", "sport", "tech"], embedder=CountingEmbedder())
        model.fit([{"text": t} for t in texts[:150]], labels[:150])
        proba = model.predict_proba([{"text": t} for t in texts[150:]])
        names = np.array(["food", "sport", "tech"])[proba.argmax(axis=1)]
        assert np.mean(names == np.array(labels[150:])) > 0.9
        assert model.model_version.startswith("minilm-lr-1-")

    def test_missing_extra_gives_a_clear_error(self) -> None:
        if MISSING is None:
            pytest.skip("the ai extra is installed here")
        with pytest.raises(RuntimeError, match="sentence embeddings unavailable"):
            SentenceEmbedder().encode(["x"])


@pytest.fixture(scope="module")
def minilm() -> SentenceEmbedder:
    return SentenceEmbedder()


@pytest.mark.skipif(MISSING is not None, reason=f"ai extra not installed: {MISSING}")
class TestMiniLM:
    def test_real_model_embeds_offline(self, minilm: SentenceEmbedder) -> None:
        vectors = minilm.encode(
            ["How do I reset my card PIN?", "I forgot the PIN of my card", "The cat sleeps"]
        )
        assert vectors.shape == (3, 384)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]

    def test_empty_and_foreign_texts(self, minilm: SentenceEmbedder) -> None:
        vectors = minilm.encode(["", "我喜欢吃面条", "Привет"])
        assert vectors.shape == (3, 384)
        assert np.all(np.isfinite(vectors))
