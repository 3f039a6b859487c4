"""Scoring helpers and Beta credible intervals (pure numpy/scipy)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray

__all__ = ["accuracy", "beta_interval", "mean_absolute_error"]


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Share of positions where ``y_pred == y_true``, ignoring ``y_true == -1``.

    Returns NaN when no position is scored.
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    known = t != -1
    if not np.any(known):
        return float("nan")
    return float(np.mean(t[known] == p[known]))


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error over positions where ``y_true`` is not NaN."""
    t = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    known = ~np.isnan(t)
    if not np.any(known):
        return float("nan")
    return float(np.mean(np.abs(t[known] - p[known])))


def beta_interval(
    successes: ArrayLike,
    trials: ArrayLike,
    *,
    level: float = 0.95,
    prior: tuple[float, float] = (1.0, 1.0),
) -> tuple[FloatArray, FloatArray]:
    """Posterior mean and equal-tailed credible interval of a Beta-binomial rate.

    With ``prior=(a, b)`` the posterior is Beta(a + successes, b + trials - successes);
    ``successes`` may be fractional (expected counts from soft posteriors).

    Returns ``(mean, interval)`` with shapes ``(n,)`` and ``(n, 2)``.

    >>> m, iv = beta_interval([3], [3])
    >>> round(float(m[0]), 2), round(float(iv[0, 0]), 2)
    (0.8, 0.4)
    """
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    a = prior[0] + np.clip(s, 0.0, None)
    b = prior[1] + np.clip(n - s, 0.0, None)
    tail = (1.0 - level) / 2.0
    from scipy.special import betaincinv  # lazy: scipy only when used

    lo = betaincinv(a, b, tail)
    hi = betaincinv(a, b, 1.0 - tail)
    interval = np.stack([lo, hi], axis=-1).reshape(-1, 2).astype(np.float64)
    return np.asarray(a / (a + b), dtype=np.float64), interval
