"""Dawid-Skene: one full confusion matrix per worker, fitted by EM on a sparse design."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal, Self

import numpy as np

from crowdloop.algorithms._validation import FloatArray, Gold, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth import _em
from crowdloop.algorithms.truth.base import ConvergenceWarning, TruthInference

if TYPE_CHECKING:  # scipy is imported where it is used: a CLI command that never fits
    from scipy import sparse  # a model never pays for it

__all__ = ["DawidSkene"]

_TINY = 1e-300
_VB_FLOOR = 1e-8


class DawidSkene(TruthInference):
    r"""Dawid-Skene with Dirichlet smoothing and shrinkage toward the pooled confusion.

    Worker ``w`` answers label ``l`` on a task whose true label is ``k`` with probability
    :math:`\pi^w_{kl}`; true labels follow class priors :math:`\rho_k`. EM alternates the
    E-step :math:`\log p(k \mid t) = \log\rho_k + \sum_{(t,w,l)} \log\pi^w_{kl} + c` and a
    MAP M-step in which row :math:`\pi^w_{k\cdot}` is estimated from the worker's expected
    counts plus ``smoothing`` per cell plus ``shrinkage`` pseudo-answers distributed as the
    pooled (all-worker) confusion row, so workers with few answers borrow strength from
    the crowd instead of getting degenerate 0/1 rows. EM starts from majority-vote
    posteriors (or from a previous fit, see ``init``); gold tasks stay clamped.

    Dawid, A. P. & Skene, A. M. (1979), Maximum likelihood estimation of observer
    error-rates using the EM algorithm. J. R. Stat. Soc. C 28(1):20-28.
    doi:10.2307/2346806

    Complexity: O(n_iter * n_answers * n_labels) time (two sparse products per
    iteration), O(n_answers + n_tasks * n_labels + n_workers * n_labels^2) memory.

    Parameters
    ----------
    n_iter : maximum EM iterations.
    tol : stop when the log-likelihood per answer changes by less than ``tol``.
    smoothing : Dirichlet pseudo-count added to every confusion cell.
    shrinkage : pseudo-answers per confusion row drawn toward the pooled confusion.
    diagonal : extra pseudo-count on the diagonal (prior belief that workers beat chance).
    prior_smoothing : Dirichlet pseudo-count added to each class-prior count.
    estimate : ``"map"`` (posterior mode of the Dirichlet rows, classic EM) or ``"vb"``
        (mean-field variational Bayes: ``E[log pi] = digamma(a) - digamma(sum a)``, which
        discounts workers with few answers; Kim & Ghahramani's IBCC, AISTATS 2012).

    Fitted attributes (besides the base ones)
    -----------------------------------------
    confusion_ : float64 array, shape (n_workers, n_labels, n_labels), ``[w, true, answer]``.
    priors_ : float64 array, shape (n_labels,).
    log_likelihood_ : float, observed-data log-likelihood at the last E-step.

    >>> a = Answers(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 1, 2, 0, 1, 2]),
    ...             np.array([1, 1, 0, 0, 0, 0]), 2, 3, 2)
    >>> DawidSkene().fit(a).labels_.tolist()
    [1, 0]
    """

    confusion_: FloatArray
    priors_: FloatArray
    log_likelihood_: float

    def __init__(
        self,
        *,
        n_iter: int = 100,
        tol: float = 1e-5,
        smoothing: float = 0.01,
        shrinkage: float = 0.0,
        diagonal: float = 0.0,
        prior_smoothing: float = 1.0,
        estimate: Literal["map", "vb"] = "map",
    ) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.smoothing = smoothing
        self.shrinkage = shrinkage
        self.diagonal = diagonal
        self.prior_smoothing = prior_smoothing
        self.estimate = estimate
        self._warm: DawidSkene | None = None
        self._counts = np.zeros((0, 0, 0))
        self._correct = np.zeros(0)

    def fit(self, answers: Answers, *, gold: Gold = None, init: DawidSkene | None = None) -> Self:
        """Fit by EM; ``init`` (a fitted ``DawidSkene`` on an earlier, smaller set of the
        same project) warm-starts EM from its confusions and priors; new workers start
        from its pooled confusion."""
        if init is not None and not hasattr(init, "confusion_"):
            raise ValueError("init must be a fitted DawidSkene")
        self._warm = init
        try:
            return super().fit(answers, gold=gold)
        finally:
            self._warm = None

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        post32 = self._run_em(answers, gold)  # the answer matrix is freed on return
        post = post32.astype(np.float64, order="F")
        del post32
        total = post.sum(axis=1)
        post /= np.maximum(total, _TINY)[:, None]
        return post

    def _run_em(self, answers: Answers, gold: IntArray) -> _em.WorkArray:
        matrix = _em.answer_matrix(answers)
        post = self._initial_posteriors(answers, matrix, gold)
        per_answer = max(answers.n_answers, 1)
        ll_prev, converged, it = -np.inf, False, 0
        for it in range(1, self.n_iter + 1):  # noqa: B007
            log_conf, log_prior = self._m_step(matrix, post)
            del post  # one (n_tasks, n_labels) buffer at a time
            post, ll = _em.e_step(matrix, log_conf, log_prior, gold)
            if abs(ll - ll_prev) <= self.tol * per_answer:
                converged = True
                break
            ll_prev = ll
        self.n_iter_, self.converged_, self.log_likelihood_ = it, converged, ll_prev
        if not converged and self.n_iter > 0:
            warnings.warn(
                f"DawidSkene did not converge in {self.n_iter} iterations",
                ConvergenceWarning,
                stacklevel=4,
            )
        log_conf, log_prior = self._m_step(matrix, post)
        self._correct = np.trace(self._counts, axis1=1, axis2=2)
        conf = np.exp(log_conf)
        self.confusion_ = (conf / conf.sum(axis=1, keepdims=True)).transpose(0, 2, 1).copy()
        self.priors_ = np.exp(log_prior) / np.exp(log_prior).sum()
        return post

    def _worker_correct(self, answers: Answers, post: FloatArray) -> FloatArray:
        if post.shape[0] == answers.n_tasks and self._correct.size == answers.n_workers:
            return self._correct  # trace of the final M-step's expected counts
        return super()._worker_correct(answers, post)

    def _initial_posteriors(
        self, answers: Answers, matrix: sparse.csr_array, gold: IntArray
    ) -> _em.WorkArray:
        warm = self._warm
        if warm is None or warm.confusion_.shape[1] != answers.n_labels:
            return _em.clamp(_em.votes(matrix, answers.n_labels), gold)
        log_conf = _extend_confusion(warm, answers.n_workers)
        post, _ = _em.e_step(matrix, log_conf, np.log(warm.priors_), gold)
        return post

    def _m_step(
        self, matrix: sparse.csr_array, post: _em.WorkArray
    ) -> tuple[FloatArray, FloatArray]:
        """MAP/VB log confusions ``[w, answer, true]`` and log class priors."""
        counts = _em.expected_counts(matrix, post)
        self._counts = counts
        prior = post.sum(axis=0, dtype=np.float64) + self.prior_smoothing
        return self._log_confusion(counts), self._log_normalise(prior, axis=0)

    def _log_confusion(self, counts: FloatArray) -> FloatArray:
        """Log confusions ``[w, answer, true]`` from expected counts of the same layout."""
        k = counts.shape[1]
        pooled = counts.sum(axis=0)
        pooled /= np.maximum(pooled.sum(axis=0, keepdims=True), _TINY)
        num = counts + self.smoothing + self.shrinkage * pooled + self.diagonal * np.eye(k)
        return self._log_normalise(num, axis=1)

    def _log_normalise(self, pseudo: FloatArray, axis: int) -> FloatArray:
        """Log of Dirichlet ``pseudo`` counts normalised along ``axis`` (MAP or VB)."""
        if self.estimate == "vb":
            from scipy.special import digamma  # lazy: scipy only when used

            pseudo = np.maximum(pseudo, _VB_FLOOR)
            total = pseudo.sum(axis=axis, keepdims=True)
            return np.asarray(digamma(pseudo) - digamma(total), dtype=np.float64)
        pseudo = np.maximum(pseudo, _TINY)
        total = pseudo.sum(axis=axis, keepdims=True)
        return np.asarray(np.log(pseudo) - np.log(total), dtype=np.float64)


def _extend_confusion(warm: DawidSkene, n_workers: int) -> FloatArray:
    """Log confusions ``[w, answer, true]`` for ``n_workers``: known workers keep theirs,
    new ones get the answer-weighted mean confusion of the previous fit."""
    conf = warm.confusion_.transpose(0, 2, 1)
    k = conf.shape[1]
    n_old = min(n_workers, conf.shape[0])
    weights = warm.worker_n_answers_.astype(np.float64) + 1e-9
    pooled = np.tensordot(weights, conf, axes=1) / weights.sum()
    out = np.empty((n_workers, k, k))
    out[:n_old] = conf[:n_old]
    out[n_old:] = pooled
    return np.log(np.maximum(out, _TINY))
