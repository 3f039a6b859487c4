r"""Task difficulty in [0, 1] from the signals a platform has about a task.

Each signal is mapped to [0, 1] and the difficulty is their weighted mean over the
signals known for that task (NaN = unknown, skipped):

* entropy: :math:`H(p) / \log K` of the current posterior (0 = certain, 1 = uniform);
* disagreement: :math:`(1 - s_{\max}) / (1 - 1/K)` with :math:`s_{\max}` the share of
  the most frequent answer (0 = unanimous, 1 = evenly split);
* time: :math:`\tau / (\tau + \tilde\tau)` with :math:`\tau` the task's median answer time
  and :math:`\tilde\tau` the project median (0.5 = typical, toward 1 = slow);
* model uncertainty: 1 - confidence of an AI model's prediction, when there is one;
* prior: the requester's own estimate, already in [0, 1].

A task with no known signal gets ``default`` (0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray
from crowdloop.algorithms.answers import Answers

__all__ = [
    "DifficultySignals",
    "answer_disagreement",
    "posterior_entropy",
    "task_difficulty",
    "time_signal",
]


def posterior_entropy(posteriors: ArrayLike) -> FloatArray:
    """Normalised entropy of each posterior row, in [0, 1] (0 for one label)."""
    post = np.asarray(posteriors, dtype=np.float64)
    if post.ndim != 2:
        raise ValueError(f"posteriors must have shape (n_tasks, n_labels), got {post.shape}")
    if post.shape[1] < 2:
        return np.zeros(post.shape[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(post > 0, post * np.log(post), 0.0).sum(axis=1)
    return np.asarray(np.clip(h / np.log(post.shape[1]), 0.0, 1.0), dtype=np.float64)


def answer_disagreement(answers: Answers) -> FloatArray:
    """Normalised disagreement of each task's raw answers; NaN for tasks without any."""
    k = answers.n_labels
    votes = np.bincount(
        answers.task_idx * k + answers.label_idx, minlength=answers.n_tasks * k
    ).reshape(answers.n_tasks, k)
    total = votes.sum(axis=1).astype(np.float64)
    out = np.full(answers.n_tasks, np.nan)
    seen = total > 0
    if k < 2:
        out[seen] = 0.0
        return out
    share = votes[seen].max(axis=1) / total[seen]
    out[seen] = (1.0 - share) / (1.0 - 1.0 / k)
    return out


def time_signal(median_seconds: ArrayLike) -> FloatArray:
    """:math:`\\tau / (\\tau + \\tilde\\tau)` per task (NaN stays NaN; 0.5 at the median)."""
    tau = np.asarray(median_seconds, dtype=np.float64)
    known = np.isfinite(tau) & (tau >= 0)
    out = np.full(tau.shape, np.nan)
    if not known.any():
        return out
    ref = float(np.median(tau[known]))
    if ref <= 0:
        out[known] = 0.5
        return out
    out[known] = tau[known] / (tau[known] + ref)
    return out


@dataclass(frozen=True)
class DifficultySignals:
    """Per-task signals in [0, 1] (NaN = unknown) and their weights."""

    entropy: ArrayLike | None = None
    disagreement: ArrayLike | None = None
    time: ArrayLike | None = None
    model_uncertainty: ArrayLike | None = None
    prior: ArrayLike | None = None
    weights: tuple[float, float, float, float, float] = (1.0, 1.0, 0.5, 1.0, 1.0)


def task_difficulty(
    n_tasks: int, signals: DifficultySignals, *, default: float = 0.5
) -> FloatArray:
    """Weighted mean of the known signals per task, float64 (n_tasks,) in [0, 1].

    >>> s = DifficultySignals(entropy=[0.0, 1.0], prior=[np.nan, 0.5])
    >>> task_difficulty(2, s).tolist()
    [0.0, 0.75]
    """
    parts = (
        signals.entropy,
        signals.disagreement,
        signals.time,
        signals.model_uncertainty,
        signals.prior,
    )
    total = np.zeros(n_tasks)
    weight = np.zeros(n_tasks)
    for values, w in zip(parts, signals.weights, strict=True):
        if values is None or w == 0:
            continue
        v = np.asarray(values, dtype=np.float64)
        if v.shape != (n_tasks,):
            raise ValueError(f"every signal must have shape ({n_tasks},), got {v.shape}")
        known = np.isfinite(v)
        total[known] += w * np.clip(v[known], 0.0, 1.0)
        weight[known] += w
    out = np.full(n_tasks, float(default))
    has = weight > 0
    out[has] = total[has] / weight[has]
    return out
