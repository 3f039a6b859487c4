"""A linear classifier head shared by the built-in pre-labellers (scikit-learn).

Maps the project's label set to columns, and copes with what real projects send: no
training data yet (uniform), a single class (smoothed class frequencies), classes with
one example, and classes never seen in training (probability 0).
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:  # scikit-learn is imported by the first fit, not by every CLI command
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

__all__ = ["LinearHead", "digest"]


class LinearHead:
    """Multinomial logistic regression over fixed label columns.

    Fitted attributes: ``classes_`` (int codes seen in training), ``converged_``.
    """

    def __init__(self, *, n_labels: int, C: float = 10.0, max_iter: int = 300) -> None:
        self.n_labels = n_labels
        self.C = C
        self.max_iter = max_iter
        self._clf: LogisticRegression | None = None
        self._prior: NDArray[np.float64] = np.full(n_labels, 1.0 / max(n_labels, 1))
        self.classes_: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.converged_ = True

    def fit(self, x: Any, y: NDArray[np.int64], weight: NDArray[np.float64] | None) -> None:
        """Train on features ``x`` (n, d) and label codes ``y`` (n,)."""
        self._clf = None
        self.converged_ = True
        counts = np.bincount(y, minlength=self.n_labels).astype(np.float64)
        self._prior = (counts + 1.0) / (counts.sum() + self.n_labels)
        self.classes_ = np.flatnonzero(counts).astype(np.int64)
        if self.classes_.size < 2:
            return
        # lazy: importing scikit-learn costs ~1.5 s, paid by the first fit only
        from sklearn.exceptions import ConvergenceWarning  # type: ignore[import-untyped]
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=1e-3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf.fit(x, y, sample_weight=weight)
        self.converged_ = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        self._clf = clf

    def predict_proba(self, x: Any, n_items: int) -> NDArray[np.float64]:
        """Probabilities, shape (n_items, n_labels)."""
        if self._clf is None:
            return np.tile(self._prior, (n_items, 1))
        out = np.zeros((n_items, self.n_labels))
        if n_items:
            out[:, self._clf.classes_] = self._clf.predict_proba(x)
        return out


def digest(texts: Sequence[str], labels: Sequence[str]) -> str:
    """Short stable hash of a training set (part of the model version)."""
    h = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        h.update(text.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
        h.update(label.encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.hexdigest()[:12]


def encode_labels(label_names: Sequence[str], known: Sequence[str]) -> NDArray[np.int64]:
    """Codes of ``label_names`` in ``known``; ``ValueError`` for an unknown label."""
    index = {name: i for i, name in enumerate(known)}
    try:
        return np.fromiter((index[n] for n in label_names), dtype=np.int64, count=len(label_names))
    except KeyError as exc:
        raise ValueError(f"unknown label {exc.args[0]!r}; known labels: {len(known)}") from None
