"""Database rows -> the pure matching score M(t, u) (docs/allocation.md, "Live scoring").

Task posterior: from the stored aggregate (``result``, ``confidence``, ``n_answers``),
shrunk by one pseudo-answer per label so that one unanimous answer is not certainty; a task
nobody answered yet starts from the AI model's probabilities when there are any (mixed with
10% uniform mass), else uniform: people go first where the model is unsure.
Worker confusion: the fitted matrix, else a one-coin matrix from the fitted accuracy, the
control accuracy, or a prior. Everything else is :func:`match_scores`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from crowdloop.algorithms.allocation.scores import PairWeights, deadline_urgency, match_scores
from crowdloop.algorithms.skills.from_confusion import one_coin_confusion
from crowdloop.projects.models import Project
from crowdloop.quality.inference import config_of
from crowdloop.quality.models import WorkerQuality

FloatArray = NDArray[np.float64]

PRIOR_ACCURACY = 0.7  # a worker nothing is known about yet
DEADLINE_HORIZON_S = 24 * 3600.0  # urgency starts rising a day before a task's deadline
PRIORITY_BASE = 2.0  # one priority step doubles a task's value


def labels_of(project: Project) -> list[Any] | None:
    """The label set of a single-choice project; None for other task types."""
    if project.task_type != "single_choice":
        return None
    labels = list((project.answer_schema or {}).get("labels") or [])
    return labels if len(labels) >= 2 else None


def n_labels(labels: list[Any] | None) -> int:
    """K; non-categorical tasks use K = 2: "the current answer is right" or not."""
    return len(labels) if labels else 2


Priors = Mapping[int, Sequence[float]]
MODEL_FLOOR = 0.1  # uniform mass mixed into a model prior, so people can overrule it


def posteriors(
    rows: Sequence[Any], labels: list[Any] | None, priors: Priors | None = None
) -> FloatArray:
    """(n_rows, K) approximate posteriors from each row's result, confidence, n_answers;
    unanswered rows start from ``priors[row.id]`` (model probabilities) when given."""
    k = n_labels(labels)
    post = np.full((len(rows), k), 1.0 / k)
    for i, row in enumerate(rows):
        if not row.n_answers or row.confidence is None:
            prior = None if priors is None else priors.get(row.id)
            if prior is not None and len(prior) == k:
                post[i] = _model_prior(prior, k)
            continue
        if labels is None:
            top = 0
        elif row.result in labels:
            top = labels.index(row.result)
        else:
            continue
        n = float(row.n_answers)
        conf = (float(row.confidence) * n + 1.0) / (n + k)
        post[i] = (1.0 - conf) / (k - 1)
        post[i, top] = conf
    return post


def _model_prior(prior: Sequence[float], k: int) -> FloatArray:
    p = np.clip(np.asarray(prior, dtype=np.float64), 0.0, None)
    total = p.sum()
    if not np.isfinite(total) or total <= 0:
        return np.full(k, 1.0 / k)
    return np.asarray((1 - MODEL_FLOOR) * p / total + MODEL_FLOOR / k, dtype=np.float64)


def accuracy_of(wq: WorkerQuality | None) -> float:
    """Fitted accuracy, else smoothed control accuracy, else the prior."""
    if wq is None:
        return PRIOR_ACCURACY
    if wq.accuracy is not None:
        return float(np.clip(wq.accuracy, 0.0, 1.0))
    if wq.n_control:
        return (wq.n_control_correct + 1.0) / (wq.n_control + 2.0)
    return PRIOR_ACCURACY


def confusion_of(wq: WorkerQuality | None, k: int) -> FloatArray:
    """(K, K) confusion [true, answer] for one worker, rows summing to 1."""
    if wq is not None and wq.confusion is not None:
        conf = np.asarray(wq.confusion, dtype=np.float64)
        if conf.shape == (k, k) and np.isfinite(conf).all() and (conf >= 0).all():
            sums = conf.sum(axis=1, keepdims=True)
            if (sums > 0).all():
                return np.asarray(conf / sums, dtype=np.float64)
    return np.asarray(one_coin_confusion(accuracy_of(wq), k), dtype=np.float64)


def pair_values(
    project: Project,
    rows: Sequence[Any],
    confusions: FloatArray,
    task_idx: NDArray[np.int64],
    worker_idx: NDArray[np.int64],
    *,
    now: datetime,
    priors: Priors | None = None,
) -> FloatArray:
    """M(t, u) for candidate pairs: rows[task_idx[i]] answered by worker worker_idx[i]."""
    if not rows:
        return np.zeros(0)
    priority = np.array([float(r.priority) for r in rows])
    weight = PRIORITY_BASE ** np.clip(priority - priority.max(), -30.0, 0.0)
    left = np.array(
        [np.inf if r.deadline is None else (r.deadline - now).total_seconds() for r in rows]
    )
    reward = np.array(
        [project.reward_cents if r.reward_cents is None else r.reward_cents for r in rows],
        dtype=np.float64,
    )
    weights = PairWeights(
        priority=weight,
        urgency=deadline_urgency(left, DEADLINE_HORIZON_S),
        cost=reward[task_idx],
        cost_weight=_cost_weight(project),
    )
    post = posteriors(rows, labels_of(project), priors)
    return match_scores(post, confusions, task_idx, worker_idx, weights)


def _cost_weight(project: Project) -> float:
    return float(config_of(project).allocation_cost_weight)


def order_for_worker(
    project: Project,
    rows: Sequence[Any],
    confusion: FloatArray,
    *,
    now: datetime,
    priors: Priors | None = None,
) -> list[Any]:
    """Rows by descending M(t, u) for one worker (stable: ties keep pick order)."""
    if len(rows) < 2:
        return list(rows)
    idx = np.arange(len(rows), dtype=np.int64)
    value = pair_values(
        project,
        rows,
        confusion[None],
        idx,
        np.zeros(len(rows), dtype=np.int64),
        now=now,
        priors=priors,
    )
    return [rows[i] for i in np.argsort(-value, kind="stable").tolist()]
