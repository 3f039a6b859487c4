r"""Beta-binomial worker ability with exponential forgetting.

A worker's ability on one skill is the probability :math:`p` that their next answer is
correct. With a Beta(:math:`a_0, b_0`) prior and (possibly fractional) evidence of
:math:`c` correct and :math:`i` incorrect answers, the posterior is
Beta(:math:`a_0 + c, b_0 + i`). Old evidence fades: an answer given :math:`\Delta t`
before ``now`` counts with weight :math:`2^{-\Delta t / h}` (``half_life`` :math:`h`), so
a worker who improved or got worse is re-learned without a hard window.
The prior Beta(1, 1) gives Toloka's smoothing :math:`(1 + c) / (2 + n)`; gate
decisions on the lower credible bound, not the mean, so three lucky answers do not
make an expert.

Counts are per worker (shape ``(n_workers,)``) or per worker and skill
(``(n_workers, n_skills)``); every function is vectorised and pure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray
from crowdloop.algorithms.metrics import beta_interval

__all__ = ["Ability", "ability_from_counts", "decay_weights", "decayed_counts", "update_counts"]


@dataclass(frozen=True)
class Ability:
    """Beta posterior of ability: ``alpha``, ``beta``, ``mean``, ``lower``, ``upper``
    (equal-tailed credible interval at ``level``); all float64 arrays of one shape."""

    alpha: FloatArray
    beta: FloatArray
    mean: FloatArray
    lower: FloatArray
    upper: FloatArray
    level: float


def ability_from_counts(
    correct: ArrayLike,
    incorrect: ArrayLike,
    *,
    prior: tuple[float, float] = (1.0, 1.0),
    level: float = 0.9,
) -> Ability:
    """Beta posterior Beta(prior[0] + correct, prior[1] + incorrect), element-wise.

    >>> a = ability_from_counts([8.0], [2.0])
    >>> round(float(a.mean[0]), 3)
    0.75
    """
    c = np.asarray(correct, dtype=np.float64)
    i = np.asarray(incorrect, dtype=np.float64)
    if c.shape != i.shape:
        raise ValueError(
            f"correct and incorrect must have the same shape, got {c.shape} and {i.shape}"
        )
    if np.any(c < 0) or np.any(i < 0):
        raise ValueError("correct and incorrect counts must be >= 0")
    if prior[0] <= 0 or prior[1] <= 0:
        raise ValueError(f"prior pseudo-counts must be > 0, got {prior}")
    mean, interval = beta_interval(c.ravel(), (c + i).ravel(), level=level, prior=prior)
    shape = c.shape
    return Ability(
        alpha=prior[0] + c,
        beta=prior[1] + i,
        mean=mean.reshape(shape),
        lower=interval[:, 0].reshape(shape),
        upper=interval[:, 1].reshape(shape),
        level=level,
    )


def decay_weights(ages: ArrayLike, half_life: float | None) -> FloatArray:
    """Weights :math:`2^{-age / h}`; ``half_life=None`` means no forgetting (all 1).
    Negative ages (evidence from the future) raise ``ValueError``."""
    a = np.asarray(ages, dtype=np.float64)
    if np.any(a < 0):
        raise ValueError("ages must be >= 0 (evidence time after 'now')")
    if half_life is None:
        return np.ones_like(a)
    if half_life <= 0:
        raise ValueError(f"half_life must be > 0, got {half_life}")
    return np.asarray(np.exp2(-a / half_life), dtype=np.float64)


def decayed_counts(
    worker_idx: ArrayLike,
    correct: ArrayLike,
    times: ArrayLike,
    *,
    now: float,
    half_life: float | None,
    shape: tuple[int] | tuple[int, int],
    skill_idx: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Time-weighted (correct, incorrect) counts from graded answers.

    ``correct`` is 1/0 per answer or a soft probability of being correct (agreement
    with inferred truth); ``shape`` is ``(n_workers,)`` or ``(n_workers, n_skills)``
    (then ``skill_idx`` gives each answer's skill). Complexity O(n_answers).
    """
    w = np.asarray(worker_idx, dtype=np.int64)
    p = np.asarray(correct, dtype=np.float64)
    weight = decay_weights(now - np.asarray(times, dtype=np.float64), half_life)
    if not w.shape == p.shape == weight.shape:
        raise ValueError("worker_idx, correct and times must have equal lengths")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("correct must lie in [0, 1]")
    flat = w
    if len(shape) == 2:
        if skill_idx is None:
            raise ValueError("skill_idx is required for per-skill counts")
        flat = w * shape[1] + np.asarray(skill_idx, dtype=np.int64)
    size = int(np.prod(shape))
    if flat.size and (flat.min() < 0 or flat.max() >= size):
        raise ValueError("worker_idx or skill_idx out of range for shape")
    good = np.bincount(flat, weights=weight * p, minlength=size).astype(np.float64)
    bad = np.bincount(flat, weights=weight * (1.0 - p), minlength=size).astype(np.float64)
    return good.reshape(shape), bad.reshape(shape)


def update_counts(
    correct: FloatArray,
    incorrect: FloatArray,
    elapsed: float,
    half_life: float | None,
) -> tuple[FloatArray, FloatArray]:
    """Online step: fade running counts by ``elapsed`` time (new arrays; add new
    evidence afterwards). Equivalent to :func:`decayed_counts` over the whole history."""
    factor = float(decay_weights(np.array([elapsed]), half_life)[0])
    return correct * factor, incorrect * factor
