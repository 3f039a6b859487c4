r"""Matching score :math:`M(t, u)`: what worker ``u``'s answer to task ``t`` is worth.

With the task's current posterior :math:`p` over ``K`` labels and the worker's
confusion :math:`\pi` (``[true, answer]``), the worker answers ``l`` with probability
:math:`\sum_k p_k \pi_{kl}`; after one Bayes step the task's label is right with
probability :math:`\max_k p_k \pi_{kl} / \sum_k p_k \pi_{kl}`. Averaging over the answer,

.. math:: G(t, u) = \sum_l \max_k p_k \pi_{kl} - \max_k p_k \;\ge 0,

the expected gain in the task's posterior accuracy (QASCA's accuracy gain, Zheng et al.,
SIGMOD 2015, doi:10.1145/2723372.2749430). A perfect worker gains :math:`1 - \max_k p_k`;
a spammer (identical rows) gains exactly 0. The score is

.. math:: M(t, u) = G(t, u) \cdot w_t \cdot g_t - \lambda \, c_{t,u}

with priority :math:`w_t`, deadline urgency :math:`g_t` (:func:`deadline_urgency`),
cost :math:`c` (the reward) and budget price :math:`\lambda`; pairs that fail a hard
constraint (a required skill the worker lacks, an ability floor) score ``-inf``.
Scores are computed on candidate pairs (``task_idx[i]``, ``worker_idx[i]``) in chunks,
O(n_pairs * K^2) time and O(chunk * K^2) extra memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crowdloop.algorithms._validation import FloatArray, IntArray

BoolArray = NDArray[np.bool_]

__all__ = [
    "PairWeights",
    "accuracy_gain",
    "deadline_urgency",
    "gain_matrix",
    "information_gain",
    "match_scores",
    "skill_eligible",
    "skill_mask",
]

_CHUNK = 1 << 16


def _pairs(task_idx: ArrayLike, worker_idx: ArrayLike) -> tuple[IntArray, IntArray]:
    t = np.asarray(task_idx, dtype=np.int64)
    w = np.asarray(worker_idx, dtype=np.int64)
    if t.ndim != 1 or t.shape != w.shape:
        raise ValueError("task_idx and worker_idx must be one-dimensional with equal lengths")
    return t, w


def _check_model(posteriors: ArrayLike, confusion: ArrayLike) -> tuple[FloatArray, FloatArray]:
    post = np.asarray(posteriors, dtype=np.float64)
    conf = np.asarray(confusion, dtype=np.float64)
    if post.ndim != 2:
        raise ValueError(f"posteriors must have shape (n_tasks, n_labels), got {post.shape}")
    k = post.shape[1]
    if conf.ndim != 3 or conf.shape[1:] != (k, k):
        raise ValueError(
            f"confusion must have shape (n_workers, {k}, {k}) to match posteriors, got {conf.shape}"
        )
    return post, conf


def accuracy_gain(
    posteriors: ArrayLike,
    confusion: ArrayLike,
    task_idx: ArrayLike,
    worker_idx: ArrayLike,
) -> FloatArray:
    """Expected gain :math:`G` in posterior accuracy for each candidate pair.

    ``posteriors``: (n_tasks, K), rows sum to 1; ``confusion``: (n_workers, K, K),
    ``[w, true, answer]``, rows sum to 1. Returns float64 (n_pairs,), clipped at 0
    (rounding only). Indices out of range raise ``IndexError``.

    >>> post = np.array([[0.5, 0.5]])
    >>> conf = np.array([np.eye(2), np.full((2, 2), 0.5)])
    >>> accuracy_gain(post, conf, [0, 0], [0, 1]).tolist()
    [0.5, 0.0]
    """
    post, conf = _check_model(posteriors, confusion)
    t, w = _pairs(task_idx, worker_idx)
    out = np.empty(t.size)
    for start in range(0, t.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        p = post[t[sl]]
        joint = p[:, :, None] * conf[w[sl]]  # (chunk, true, answer)
        out[sl] = joint.max(axis=1).sum(axis=1) - p.max(axis=1)
    return np.clip(out, 0.0, None)


def information_gain(
    posteriors: ArrayLike,
    confusion: ArrayLike,
    task_idx: ArrayLike,
    worker_idx: ArrayLike,
) -> FloatArray:
    r"""Expected information gain :math:`H(p) - E_l[H(p \mid l)]` (nats) per pair.

    Unlike :func:`accuracy_gain` it stays positive when one answer cannot flip the
    task's label yet (e.g. posterior 0.85 and a 0.8-accurate worker), which is the usual
    state of a task under dynamic overlap; a spammer still gains 0. O(n_pairs * K^2).

    >>> post = np.array([[0.5, 0.5]])
    >>> conf = np.array([np.eye(2), np.full((2, 2), 0.5)])
    >>> [round(g, 4) for g in information_gain(post, conf, [0, 0], [0, 1]).tolist()]
    [0.6931, 0.0]
    """
    post, conf = _check_model(posteriors, confusion)
    t, w = _pairs(task_idx, worker_idx)
    out = np.empty(t.size)
    for start in range(0, t.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        joint = post[t[sl]][:, :, None] * conf[w[sl]]  # (chunk, true, answer)
        p_true = joint.sum(axis=2)
        p_answer = joint.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mutual = np.where(
                joint > 0, joint * np.log(joint / (p_true[:, :, None] * p_answer[:, None, :])), 0.0
            )
        out[sl] = mutual.sum(axis=(1, 2))
    return np.clip(out, 0.0, None)


def gain_matrix(posteriors: ArrayLike, confusion: ArrayLike) -> FloatArray:
    """Dense :func:`accuracy_gain` for every (task, worker): shape (n_tasks, n_workers)."""
    post, conf = _check_model(posteriors, confusion)
    t, w = np.divmod(np.arange(post.shape[0] * conf.shape[0]), conf.shape[0])
    return accuracy_gain(post, conf, t, w).reshape(post.shape[0], conf.shape[0])


def deadline_urgency(time_left: ArrayLike, horizon: float, *, alpha: float = 1.0) -> FloatArray:
    r"""Urgency weight :math:`1 + \alpha \cdot \mathrm{clip}(1 - \text{time\_left}/H, 0, 1)`:
    1 for tasks due more than ``horizon`` ahead, rising linearly to :math:`1 + \alpha` at
    (and past) the deadline. ``time_left`` may be ``inf`` (no deadline)."""
    if horizon <= 0:
        raise ValueError(f"horizon must be > 0, got {horizon}")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    left = np.asarray(time_left, dtype=np.float64)
    return np.asarray(1.0 + alpha * np.clip(1.0 - left / horizon, 0.0, 1.0), dtype=np.float64)


def skill_mask(has_skill: ArrayLike) -> IntArray:
    """Pack a boolean (n, n_skills <= 63) matrix into int64 bit masks, one per row."""
    m = np.asarray(has_skill, dtype=bool)
    if m.ndim != 2 or m.shape[1] > 63:
        raise ValueError(f"has_skill must have shape (n, n_skills <= 63), got {m.shape}")
    bits = np.left_shift(np.int64(1), np.arange(m.shape[1], dtype=np.int64))
    return np.asarray(m.astype(np.int64) @ bits, dtype=np.int64)


def skill_eligible(
    required: ArrayLike, has: ArrayLike, task_idx: ArrayLike, worker_idx: ArrayLike
) -> BoolArray:
    """True where the worker holds every skill the task requires (bit masks from
    :func:`skill_mask`; a task requiring nothing is open to everyone)."""
    t, w = _pairs(task_idx, worker_idx)
    req = np.asarray(required, dtype=np.int64)[t]
    got = np.asarray(has, dtype=np.int64)[w]
    return np.asarray((req & ~got) == 0)


@dataclass(frozen=True)
class PairWeights:
    """Optional weights of :func:`match_scores` (any may be ``None``).

    priority : (n_tasks,) task priority :math:`w_t` (default 1).
    urgency : (n_tasks,) deadline urgency :math:`g_t` (default 1).
    cost : (n_pairs,) reward of each pair's answer :math:`c` (default 0); for per-worker
        prices pass ``price[worker_idx]``.
    cost_weight : budget price :math:`\\lambda` converting reward into accuracy units.
    eligible : (n_pairs,) bool, hard constraints (skills, ability floor, not yet answered).
    gain : ``"information"`` (:func:`information_gain`, the default) or ``"accuracy"``
        (:func:`accuracy_gain`, zero while one answer cannot flip the label; see
        docs/allocation.md).
    """

    priority: ArrayLike | None = None
    urgency: ArrayLike | None = None
    cost: ArrayLike | None = None
    cost_weight: float = 0.0
    eligible: ArrayLike | None = None
    gain: Literal["accuracy", "information"] = "information"


def match_scores(
    posteriors: ArrayLike,
    confusion: ArrayLike,
    task_idx: ArrayLike,
    worker_idx: ArrayLike,
    weights: PairWeights | None = None,
) -> FloatArray:
    """:math:`M(t, u)` for each candidate pair (float64, ``-inf`` where ineligible)."""
    t, w = _pairs(task_idx, worker_idx)
    wt = weights or PairWeights()
    if wt.gain not in ("accuracy", "information"):
        raise ValueError(f"unknown gain {wt.gain!r}; choose accuracy or information")
    gain = accuracy_gain if wt.gain == "accuracy" else information_gain
    score = gain(posteriors, confusion, t, w)
    if wt.priority is not None:
        score *= np.asarray(wt.priority, dtype=np.float64)[t]
    if wt.urgency is not None:
        score *= np.asarray(wt.urgency, dtype=np.float64)[t]
    if wt.cost is not None and wt.cost_weight:
        cost = np.asarray(wt.cost, dtype=np.float64)
        if cost.shape != t.shape:
            raise ValueError(f"cost must have shape {t.shape} (one per pair), got {cost.shape}")
        score -= wt.cost_weight * cost
    if wt.eligible is not None:
        ok = np.asarray(wt.eligible, dtype=bool)
        if ok.shape != t.shape:
            raise ValueError(f"eligible must have shape {t.shape}, got {ok.shape}")
        score[~ok] = -np.inf
    return score
