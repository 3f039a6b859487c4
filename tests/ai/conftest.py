"""Shared helpers for AI tests: a small synthetic labelled text corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

VOCAB = {
    "sport": ["goal", "match", "team", "score", "coach", "league", "player", "referee"],
    "food": ["pasta", "salad", "bake", "recipe", "spicy", "dinner", "sauce", "cheese"],
    "tech": ["laptop", "python", "server", "cloud", "code", "kernel", "browser", "chip"],
}
FILLER = ["the", "a", "today", "really", "new", "about", "my", "very", "good", "some"]


def synthetic_corpus(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts of 3 topics: 3 topic words and 3 filler words each."""
    rng = np.random.default_rng(seed)
    names = sorted(VOCAB)
    texts, labels = [], []
    for _ in range(n):
        label = names[int(rng.integers(len(names)))]
        words = list(rng.choice(VOCAB[label], 3)) + list(rng.choice(FILLER, 3))
        rng.shuffle(words)
        texts.append(" ".join(str(w) for w in words))
        labels.append(label)
    return texts, labels


def write_tsv(path: Path, texts: list[str], labels: list[str]) -> Path:
    rows = ["text\tlabel"] + [f"{t}\t{y}" for t, y in zip(texts, labels, strict=True)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def corpus_tsv(tmp_path: Path) -> Path:
    texts, labels = synthetic_corpus(1500)
    return write_tsv(tmp_path / "topics.tsv", texts, labels)


NO_EXTRA = "torch is not installed (pip install torch==2.13.0)"


@pytest.fixture
def without_ai_extra(monkeypatch: pytest.MonkeyPatch) -> str:
    """Behave as on an install without ``crowdloop[ai]`` (CI has the extra): the package's
    availability probe says why, as it does when torch or sentence-transformers is missing."""
    from crowdloop.ai import service, training

    for module in (service, training):
        monkeypatch.setattr(module, "embeddings_available", lambda: NO_EXTRA)
    return NO_EXTRA
