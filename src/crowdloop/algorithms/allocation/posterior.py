r"""Online one-coin posterior: the task confidence that drives dynamic overlap.

Each worker ``w`` has one accuracy :math:`q_w`; a task's posterior under a uniform class
prior is :math:`p(k) \propto \prod_{(w, l)} q_w^{[l = k]} ((1 - q_w)/(K - 1))^{[l \ne k]}`
(Toloka's dynamic-overlap model). :math:`q_w` is the mean of a Beta(:math:`a, b`)
posterior on the worker's expected agreement with the current posteriors (soft counts;
gold tasks count as certain), floored at chance :math:`1/K`, and the two steps alternate
(EM) until the posteriors stop moving. The prior :math:`a > b` says workers beat chance
and keeps early rounds (one or two answers per task) from collapsing; a uniform class
prior avoids the feedback loop in which an estimated class prior swallows tasks with a
single answer. ``init`` warm-starts from a previous fit, which makes refitting after
every round of answers cheap.

``confidence_`` (what dynamic overlap stops on) is the lower of the posterior's maximum and
a *pairwise* bound that holds however a worker's errors spread over the wrong labels:
with :math:`s_k = \sum_{(w, l = k)} \max(0, \log(q_w / (1 - q_w)))` it is
:math:`\sigma(s_{\hat k} - \max_{j \ne \hat k} s_j)`, the posterior of the top label
against its strongest rival if every wrong answer went to that rival. The one-coin model
spreads errors evenly over :math:`K - 1` labels, so two agreeing answers look far more
telling than they are when errors go to a neighbouring class (dog breeds, adjacent
ratings); with two labels the two coincide. See docs/allocation.md.

Complexity O(n_iter * n_answers * K).
"""

from __future__ import annotations

from typing import Self

import numpy as np

from crowdloop.algorithms._validation import FloatArray, Gold, IntArray, gold_array
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.base import TruthInference, clamp_gold, normalise_log

__all__ = ["OnlineOneCoin", "one_coin_posteriors", "pairwise_confidence"]

_CLIP = 1e-4


def one_coin_posteriors(answers: Answers, accuracy: FloatArray) -> FloatArray:
    """Posteriors (n_tasks, K) under a uniform class prior for given worker accuracies."""
    k = answers.n_labels
    if accuracy.shape != (answers.n_workers,):
        raise ValueError(f"accuracy must have shape ({answers.n_workers},), got {accuracy.shape}")
    q = np.clip(accuracy, _CLIP, 1.0 - _CLIP)
    log_right = np.log(q)
    log_wrong = np.log((1.0 - q) / max(k - 1, 1))
    w, t = answers.worker_idx, answers.task_idx
    base = np.bincount(t, weights=log_wrong[w], minlength=answers.n_tasks)
    bonus = np.bincount(
        t * k + answers.label_idx, weights=(log_right - log_wrong)[w], minlength=answers.n_tasks * k
    ).reshape(answers.n_tasks, k)
    post, _ = normalise_log(np.asarray(bonus + base[:, None], dtype=np.float64))
    return post


def pairwise_confidence(answers: Answers, accuracy: FloatArray, labels: IntArray) -> FloatArray:
    """Confidence (n_tasks,) in ``labels`` against the strongest rival label, if all of a
    worker's wrong answers went to that rival (workers at or under 50% add no evidence)."""
    k = answers.n_labels
    q = np.clip(accuracy, 0.5, 1.0 - _CLIP)
    weight = np.log(q / (1.0 - q))
    score = np.bincount(
        answers.task_idx * k + answers.label_idx,
        weights=weight[answers.worker_idx],
        minlength=answers.n_tasks * k,
    ).reshape(answers.n_tasks, k)
    rows = np.arange(answers.n_tasks)
    top = score[rows, labels]
    score[rows, labels] = -np.inf
    rival = score.max(axis=1) if k > 1 else np.full(answers.n_tasks, -np.inf)
    margin = np.asarray(top - rival, dtype=np.float64)
    return np.asarray(1.0 / (1.0 + np.exp(-margin)), dtype=np.float64)


class OnlineOneCoin(TruthInference):
    """One-coin EM with a Beta(``prior``) on each worker's accuracy and a uniform class
    prior. Fitted: ``accuracy_`` (n_workers,) plus the base attributes; ``confidence_`` is
    the robust stopping confidence of the module docstring (``robust=False``: the plain
    posterior maximum).

    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> OnlineOneCoin().fit(a).labels_.tolist()
    [1]
    """

    accuracy_: FloatArray

    def __init__(
        self,
        *,
        n_iter: int = 50,
        tol: float = 1e-4,
        prior: tuple[float, float] = (2.0, 1.0),
        robust: bool = True,
    ) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.prior = prior
        self.robust = robust
        self._warm: FloatArray | None = None

    def fit(
        self, answers: Answers, *, gold: Gold = None, init: OnlineOneCoin | None = None
    ) -> Self:
        """Fit; ``init`` (a fitted model of the same project) warm-starts the accuracies
        (workers it has not seen start at the prior mean)."""
        if init is not None and not hasattr(init, "accuracy_"):
            raise ValueError("init must be a fitted OnlineOneCoin")
        self._warm = None if init is None else init.accuracy_
        try:
            super().fit(answers, gold=gold)
        finally:
            self._warm = None
        if self.robust and answers.n_labels > 2:
            bound = pairwise_confidence(answers, self.accuracy_, self.labels_)
            bound[gold_array(gold, answers.n_tasks, answers.n_labels) >= 0] = 1.0
            self.confidence_ = np.minimum(self.confidence_, bound)
        return self

    def _start(self, n_workers: int) -> FloatArray:
        a, b = self.prior
        q = np.full(n_workers, a / (a + b))
        if self._warm is not None:
            n_old = min(n_workers, self._warm.size)
            q[:n_old] = self._warm[:n_old]
        return q

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        a, b = self.prior
        if a <= 0 or b <= 0:
            raise ValueError(f"prior pseudo-counts must be > 0, got {self.prior}")
        chance = 1.0 / max(answers.n_labels, 1)
        n = np.bincount(answers.worker_idx, minlength=answers.n_workers)
        q = self._start(answers.n_workers)
        post = clamp_gold(one_coin_posteriors(answers, q), gold)
        self.converged_ = self.n_iter == 0
        for it in range(1, self.n_iter + 1):
            correct = self._worker_correct(answers, post)
            q = np.maximum((a + correct) / (a + b + n), chance)
            new = clamp_gold(one_coin_posteriors(answers, q), gold)
            delta = float(np.abs(new - post).max()) if post.size else 0.0
            post, self.n_iter_ = new, it
            if delta <= self.tol:
                self.converged_ = True
                break
        self.accuracy_ = q
        return post
