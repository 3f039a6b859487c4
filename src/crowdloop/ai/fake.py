"""A deterministic fake pre-labeller for tests (no training, no randomness).

Each item's prediction is decided by a hash of its text: ``accuracy`` of the items get
their ``truth`` label (when the test knows it) with probability ``confidence``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Self

import numpy as np
from numpy.typing import NDArray

from crowdloop.ai.protocols import item_text

__all__ = ["FakePrelabeler"]


class FakePrelabeler:
    """Predicts ``truth(item)`` for a hash-chosen ``accuracy`` share of items, else the
    next label; the top class gets ``confidence`` and the rest share the remainder."""

    def __init__(
        self,
        labels: Sequence[str],
        *,
        truth: Callable[[Mapping[str, Any]], str] | None = None,
        accuracy: float = 1.0,
        confidence: float = 0.9,
        version: str = "fake-1",
    ) -> None:
        self._labels = list(labels)
        self.truth = truth
        self.accuracy = accuracy
        self.confidence = confidence
        self._version = version
        self.fitted_on_: int = 0

    @property
    def labels(self) -> Sequence[str]:
        return list(self._labels)

    @property
    def model_version(self) -> str:
        return self._version

    def fit(
        self,
        items: Sequence[Mapping[str, Any]],
        labels: Sequence[str],
        *,
        sample_weight: Sequence[float] | None = None,
    ) -> Self:
        del sample_weight
        if len(items) != len(labels):
            raise ValueError(f"got {len(items)} items but {len(labels)} labels")
        self.fitted_on_ = len(items)
        return self

    def predict_proba(self, items: Sequence[Mapping[str, Any]]) -> NDArray[np.float64]:
        k = len(self._labels)
        out = np.full((len(items), k), (1.0 - self.confidence) / max(k - 1, 1))
        for row, item in enumerate(items):
            out[row, self._choice(item)] = self.confidence if k > 1 else 1.0
        return out

    def _choice(self, item: Mapping[str, Any]) -> int:
        text = item_text(item)
        h = int.from_bytes(hashlib.sha256(text.encode("utf-8", "replace")).digest()[:8], "big")
        base = h % len(self._labels)
        if self.truth is not None:
            base = self._labels.index(self.truth(item))
        right = (h >> 16) % 10_000 < self.accuracy * 10_000
        return base if right else (base + 1) % len(self._labels)
