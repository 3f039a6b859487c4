"""Uncertainty of model predictions, for routing items to people (active learning).

Pure numpy: probabilities in, scores and orders out. A row of NaN means the model gave no
prediction for that item; it is treated as the most uncertain.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray, IntArray

__all__ = ["entropy", "margin", "uncertainty", "uncertainty_order"]


def entropy(proba: ArrayLike) -> FloatArray:
    """Shannon entropy (nats) of each row of ``proba``, shape (n_items,)."""
    p = _proba(proba)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return _as_float(-terms.sum(axis=1))


def margin(proba: ArrayLike) -> FloatArray:
    """Top-1 minus top-2 probability of each row (1 for a single column)."""
    p = _proba(proba)
    if p.shape[1] < 2:
        return np.ones(p.shape[0])
    top2 = -np.partition(-p, 1, axis=1)[:, :2]
    return _as_float(top2[:, 0] - top2[:, 1])


def uncertainty(
    proba: ArrayLike, method: Literal["margin", "entropy", "least"] = "margin"
) -> FloatArray:
    """Uncertainty in [0, inf): higher means a human answer is worth more.

    Rows of NaN (no prediction) get the highest uncertainty, ``inf``.
    """
    p = np.asarray(proba, dtype=np.float64)
    missing = ~np.all(np.isfinite(p), axis=1) if p.ndim == 2 else np.zeros(0, bool)
    p = np.where(missing[:, None], 0.0, p) if p.ndim == 2 else p
    if method == "margin":
        out = 1.0 - margin(p)
    elif method == "entropy":
        out = entropy(p)
    elif method == "least":
        out = 1.0 - _proba(p).max(axis=1, initial=0.0)
    else:
        raise ValueError(f"method must be 'margin', 'entropy' or 'least', got {method!r}")
    out[missing] = np.inf
    return out


def uncertainty_order(
    proba: ArrayLike, method: Literal["margin", "entropy", "least"] = "margin"
) -> IntArray:
    """Item indices, most uncertain first (stable for ties)."""
    return np.argsort(-uncertainty(proba, method), kind="stable").astype(np.int64)


def _proba(proba: ArrayLike) -> FloatArray:
    p = np.asarray(proba, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"proba must have shape (n_items, n_labels), got {p.shape}")
    return p


def _as_float(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)
