"""The model interface every pre-labeller implements.

A pre-labeller knows the project's label set (``labels``, the column order of its
output) and returns class probabilities for a batch of items. Items are the task data
mappings (e.g. ``{"text": "..."}``). A row of NaN means "no prediction" for that item
(a remote model server was down or answered garbage): callers route such items to
people as if no model existed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "NO_PREDICTION",
    "Prelabeler",
    "TrainablePrelabeler",
    "has_prediction",
    "item_text",
]

#: The value filling a row of :meth:`Prelabeler.predict_proba` with no prediction.
NO_PREDICTION = float("nan")

Item = Mapping[str, Any]


@runtime_checkable
class Prelabeler(Protocol):
    """Predicts class probabilities; the only model API services see."""

    @property
    def labels(self) -> Sequence[str]:
        """Label names, in the column order of :meth:`predict_proba`."""
        ...

    @property
    def model_version(self) -> str:
        """Identifies the fitted model that produced the predictions (stored with them)."""
        ...

    def predict_proba(self, items: Sequence[Item]) -> NDArray[np.float64]:
        """Float64 array, shape (n_items, n_labels): rows sum to 1, or are all NaN when
        the model has no prediction for that item."""
        ...


@runtime_checkable
class TrainablePrelabeler(Prelabeler, Protocol):
    """A pre-labeller the platform can (re)train on inferred labels."""

    def fit(
        self,
        items: Sequence[Item],
        labels: Sequence[str],
        *,
        sample_weight: Sequence[float] | None = None,
    ) -> Self:
        """Train on items and their (inferred) label names; refitting forgets the past."""
        ...


def has_prediction(proba: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Boolean mask, shape (n_items,): True where the row holds a real prediction."""
    return np.asarray(np.all(np.isfinite(proba), axis=1), dtype=np.bool_)


def item_text(item: Item, key: str = "text") -> str:
    """The text of an item: ``item[key]`` if present, else its string values joined.

    Missing or non-string values count as empty text (never an error).
    """
    value = item.get(key)
    if isinstance(value, str):
        return value
    if value is not None:
        return str(value)
    return " ".join(v for v in item.values() if isinstance(v, str))
