"""Majority vote: the share of votes each label received."""

from __future__ import annotations

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.base import TruthInference, vote_posteriors

__all__ = ["MajorityVote"]


class MajorityVote(TruthInference):
    """Posterior of label ``l`` for task ``t`` = share of ``t``'s answers that are ``l``.

    Ties go to the lowest label code. Tasks with no answers get a uniform row.
    Complexity O(n_answers + n_tasks * n_labels).

    >>> import numpy as np
    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> MajorityVote().fit(a).labels_.tolist()
    [1]
    """

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:  # noqa: ARG002
        return vote_posteriors(answers)
