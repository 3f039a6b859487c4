"""Shared estimator base for categorical truth inference."""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray

from crowdloop.algorithms._validation import (
    FloatArray,
    Gold,
    IntArray,
    count_codes,
    gold_array,
)
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.metrics import beta_interval

if TYPE_CHECKING:  # scipy is imported where it is used: a CLI command that never fits
    from scipy import sparse  # a model never pays for it

__all__ = ["ConvergenceWarning", "TruthInference", "design_matrix", "normalise_log"]

_EPS = 1e-12


class ConvergenceWarning(UserWarning):
    """An iterative estimator stopped at ``n_iter`` before reaching ``tol``."""


def design_matrix(answers: Answers) -> sparse.csr_array:
    """Sparse answer matrix ``A`` of shape (n_tasks, n_workers * n_labels).

    ``A[t, w * n_labels + l]`` counts how often worker ``w`` gave task ``t`` label ``l``.
    Built by scipy's O(n_answers) counting sort (COO -> CSR), never densified.
    """
    k = max(answers.n_labels, 1)
    n_cols = answers.n_workers * k
    small = max(n_cols, answers.n_tasks) < 2**31 - 1
    index_dtype = np.dtype(np.int32) if small else np.dtype(np.int64)
    col: NDArray[np.integer[Any]] = answers.worker_idx.astype(index_dtype)
    col *= k
    col += answers.label_idx.astype(index_dtype)
    row: NDArray[np.integer[Any]] = answers.task_idx.astype(index_dtype)
    data = np.ones(row.size, dtype=np.float64)
    from scipy import sparse  # lazy: scipy only when used

    coo = sparse.coo_array((data, (row, col)), shape=(answers.n_tasks, n_cols))
    del row, col, data
    return coo.tocsr()


def normalise_log(log_post: FloatArray) -> tuple[FloatArray, float]:
    """Row-wise softmax of unnormalised log posteriors (computed in place, overwriting
    ``log_post``) and the total log-normaliser."""
    if log_post.size == 0:
        return np.exp(log_post), 0.0
    top = log_post.max(axis=1, keepdims=True)
    log_post -= top  # in place: no fresh (n_tasks, n_labels) allocations per iteration
    post = np.exp(log_post, out=log_post)
    total = post.sum(axis=1, keepdims=True)
    post /= total
    return post, float(np.log(total).sum() + top.sum())


def vote_posteriors(answers: Answers, weights: FloatArray | None = None) -> FloatArray:
    """Normalised (weighted) vote shares per task; tasks without votes are uniform."""
    k = answers.n_labels
    w = None if weights is None else weights[answers.worker_idx]
    votes = np.bincount(
        answers.task_idx * k + answers.label_idx, weights=w, minlength=answers.n_tasks * k
    ).reshape(answers.n_tasks, k)
    totals = votes.sum(axis=1, keepdims=True)
    empty = totals[:, 0] <= 0
    votes[empty] = 1.0
    totals[empty] = k
    return np.asarray(votes / totals, dtype=np.float64)


def clamp_gold(post: FloatArray, gold: IntArray) -> FloatArray:
    """Set posterior rows of known-gold tasks to one-hot (in place on ``post``)."""
    known = np.flatnonzero(gold >= 0)
    if known.size:
        post[known] = 0.0
        post[known, gold[known]] = 1.0
    return post


class TruthInference(ABC):
    """Base class: ``fit(answers, *, gold=None) -> self`` then read the fitted attributes.

    Fitted attributes
    -----------------
    posteriors_ : float64 array, shape (n_tasks, n_labels), rows sum to 1.
    labels_ : int64 array, shape (n_tasks,), argmax of ``posteriors_`` (lowest code on ties).
    confidence_ : float64 array, shape (n_tasks,), max of ``posteriors_``.
    worker_accuracy_ : float64 array, shape (n_workers,), posterior mean accuracy under a
        Beta(1, 1) prior on the worker's expected correct count (soft, from ``posteriors_``).
    worker_accuracy_interval_ : float64 array, shape (n_workers, 2), 95% credible interval.
    worker_n_answers_ : int64 array, shape (n_workers,).
    """

    posteriors_: FloatArray
    labels_: IntArray
    confidence_: FloatArray
    worker_accuracy_: FloatArray
    worker_accuracy_interval_: FloatArray
    worker_n_answers_: IntArray
    n_iter_: int
    converged_: bool

    def get_params(self) -> dict[str, Any]:
        """Hyperparameters as given to ``__init__``."""
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names if name != "self"}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def fit(self, answers: Answers, *, gold: Gold = None) -> Self:
        """Infer the true label of every task; ``gold`` fixes known tasks."""
        gold_codes = gold_array(gold, answers.n_tasks, answers.n_labels)
        self.n_iter_, self.converged_ = 0, True
        post = self._fit(answers, gold_codes)
        self._finish(answers, clamp_gold(post, gold_codes))
        return self

    def fit_predict(self, answers: Answers, *, gold: Gold = None) -> IntArray:
        """``fit`` then return ``labels_``."""
        return self.fit(answers, gold=gold).labels_

    @abstractmethod
    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        """Return posteriors (n_tasks, n_labels); may set model-specific attributes."""

    def _worker_correct(self, answers: Answers, post: FloatArray) -> FloatArray:
        """Expected number of correct answers per worker under ``post``."""
        weights = post[answers.task_idx, answers.label_idx]
        counts = np.bincount(answers.worker_idx, weights=weights, minlength=answers.n_workers)
        return np.asarray(counts, dtype=np.float64)

    def _finish(self, answers: Answers, post: FloatArray) -> None:
        sums = _columnwise(post, np.add)
        if sums.size and (np.abs(sums - 1.0).max() > 1e-9 or post.min() < 0.0):
            post = np.clip(post, 0.0, None)
            sums = post.sum(axis=1)
            bad = sums <= _EPS
            post[bad] = 1.0 / max(answers.n_labels, 1)
            sums[bad] = 1.0
            post /= sums[:, None]
        del sums
        self.posteriors_ = post
        self.labels_, self.confidence_ = _argmax_rows(post, answers.n_tasks)
        correct = self._worker_correct(answers, post)
        self.worker_n_answers_ = count_codes(answers.worker_idx, answers.n_workers)
        self.worker_accuracy_, self.worker_accuracy_interval_ = beta_interval(
            correct, self.worker_n_answers_
        )


def _columnwise(post: FloatArray, op: np.ufunc) -> FloatArray:
    """Row-wise reduction done column by column: no copy of a column-major ``post``."""
    if post.shape[1] == 0:
        return np.zeros(post.shape[0])
    out = post[:, 0].copy()
    for j in range(1, post.shape[1]):
        op(out, post[:, j], out=out)
    return out


def _argmax_rows(post: FloatArray, n_tasks: int) -> tuple[IntArray, FloatArray]:
    """Row argmax (lowest code on ties) and max, column by column (no transposed copy)."""
    if post.shape[1] == 0:
        return np.full(n_tasks, -1, dtype=np.int64), np.zeros(n_tasks)
    labels = np.zeros(n_tasks, dtype=np.int64)
    best = post[:, 0].copy()
    for j in range(1, post.shape[1]):
        better = post[:, j] > best
        labels[better] = j
        np.maximum(best, post[:, j], out=best)
    return labels, best
