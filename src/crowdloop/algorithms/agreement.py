"""Inter-annotator agreement: pairwise agreement, Fleiss' kappa, Krippendorff's alpha.

All take an :class:`~crowdloop.algorithms.answers.Answers` value (categorical answers) and
work from the (n_tasks, n_labels) count matrix, so they cost O(n_answers + n_tasks * n_labels).
Tasks with fewer than two answers carry no agreement information and are left out. Where a
statistic is undefined because every answer is the same label (chance agreement is 1), the
agreement is perfect and the statistic is reported as 1.0, never NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from crowdloop.algorithms.answers import Answers

FloatArray = NDArray[np.float64]


def _counts(answers: Answers) -> FloatArray:
    k = max(answers.n_labels, 1)
    flat = np.bincount(answers.task_idx * k + answers.label_idx, minlength=answers.n_tasks * k)
    return flat.reshape(answers.n_tasks, k).astype(np.float64)


def pairwise_agreement(answers: Answers) -> float:
    """Share of agreeing pairs among all pairs of answers to the same task."""
    counts = _counts(answers)
    per_task = counts.sum(axis=1)
    pairs = float((per_task * (per_task - 1)).sum())
    if pairs == 0:
        return 1.0
    return float((counts * (counts - 1)).sum() / pairs)


def fleiss_kappa(answers: Answers) -> float:
    """Fleiss' kappa, generalised to a varying number of answers per task.

    ``kappa = (P - Pe) / (1 - Pe)`` with ``P`` the mean per-task agreement over tasks with
    at least two answers and ``Pe`` the chance agreement from the overall label shares.
    Fleiss (1971), doi:10.1037/h0031619.
    """
    counts = _counts(answers)
    n_i = counts.sum(axis=1)
    rated = n_i >= 2
    if not rated.any():
        return 1.0
    c, n = counts[rated], n_i[rated]
    p_i = ((c * c).sum(axis=1) - n) / (n * (n - 1))
    shares = c.sum(axis=0) / n.sum()
    p_e = float((shares * shares).sum())
    if p_e >= 1.0 - 1e-12:
        return 1.0
    return float((p_i.mean() - p_e) / (1.0 - p_e))


def krippendorff_alpha(answers: Answers) -> float:
    """Krippendorff's alpha for nominal data (missing answers allowed).

    ``alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k`` from the coincidence
    matrix ``o``; Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability".
    """
    counts = _counts(answers)
    m = counts.sum(axis=1)
    usable = m >= 2
    if not usable.any():
        return 1.0
    c, mu = counts[usable], m[usable]
    # Coincidences: o_ck = sum_u (n_uc n_uk - [c == k] n_uc) / (m_u - 1).
    scaled = c / (mu - 1)[:, None]
    coincidence = scaled.T @ c - np.diag(scaled.sum(axis=0))
    n_c = coincidence.sum(axis=1)
    total = n_c.sum()
    observed = coincidence.sum() - np.trace(coincidence)
    expected = n_c.sum() ** 2 - (n_c * n_c).sum()
    if expected <= 0:
        return 1.0
    return float(1.0 - (total - 1) * observed / expected)


def worker_agreement(answers: Answers) -> FloatArray:
    """Per worker: share of the other answers to the same tasks that agree with theirs.

    float64 array, shape (n_workers,); a worker who never shares a task with anyone gets
    1.0 (no evidence of disagreement), never NaN.
    """
    counts = _counts(answers)
    same = counts[answers.task_idx, answers.label_idx] - 1.0
    others = counts.sum(axis=1)[answers.task_idx] - 1.0
    agree = np.bincount(answers.worker_idx, weights=same, minlength=answers.n_workers)
    total = np.bincount(answers.worker_idx, weights=others, minlength=answers.n_workers)
    out = np.ones(answers.n_workers, dtype=np.float64)
    has = total > 0
    out[has] = agree[has] / total[has]
    return out
