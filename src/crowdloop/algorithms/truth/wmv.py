"""Weighted majority vote with worker weights learned from agreement (Wawa-style)."""

from __future__ import annotations

import numpy as np

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.base import TruthInference, clamp_gold, vote_posteriors

__all__ = ["WeightedMajorityVote"]


class WeightedMajorityVote(TruthInference):
    r"""Votes weighted by each worker's smoothed agreement with the current consensus.

    Start from majority vote; set :math:`w_j = (a_j + s) / (n_j + 2s)` where :math:`a_j`
    is worker ``j``'s expected agreement with the consensus posteriors and ``s`` the
    ``smoothing``; recompute weighted vote shares; repeat until the labels stop changing
    (at most ``n_iter`` times). ``n_iter=1`` is crowd-kit's Wawa. Gold tasks are clamped,
    so gold answers count in the weights. Complexity O(n_iter * n_answers).

    ``weights_`` : float64 array, shape (n_workers,).

    >>> import numpy as np
    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> WeightedMajorityVote().fit(a).labels_.tolist()
    [1]
    """

    weights_: FloatArray

    def __init__(self, *, n_iter: int = 10, smoothing: float = 1.0) -> None:
        self.n_iter = n_iter
        self.smoothing = smoothing

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        post = clamp_gold(vote_posteriors(answers), gold)
        labels = np.argmax(post, axis=1) if answers.n_labels else np.zeros(0, np.int64)
        n = np.bincount(answers.worker_idx, minlength=answers.n_workers)
        self.weights_ = np.ones(answers.n_workers)
        for it in range(1, self.n_iter + 1):
            agree = np.bincount(
                answers.worker_idx,
                weights=post[answers.task_idx, answers.label_idx],
                minlength=answers.n_workers,
            )
            self.weights_ = (agree + self.smoothing) / (n + 2.0 * self.smoothing)
            post = clamp_gold(vote_posteriors(answers, self.weights_), gold)
            new_labels = np.argmax(post, axis=1) if answers.n_labels else labels
            self.n_iter_ = it
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
        return post
