"""The default method: Dawid-Skene with a confusion prior learned from the crowd."""

from __future__ import annotations

import numpy as np

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.dawid_skene import DawidSkene

__all__ = ["Auto", "fit_dirichlet"]

_FLOOR = 1e-3  # smallest Dirichlet pseudo-count
_MAX_TOTAL = 1e4  # largest prior strength (workers indistinguishable from the crowd)
_INNER = 20  # fixed-point steps per EM iteration (continued from the last EM iteration)


def fit_dirichlet(alpha: FloatArray, counts: FloatArray, n_steps: int = _INNER) -> FloatArray:
    r"""Dirichlet ``alpha`` maximising :math:`\sum_w \log \mathrm{DirMult}(n_w \mid \alpha)`.

    Minka's fixed point, ``counts`` (n_workers, n_labels) may be fractional (expected
    counts); workers without counts are ignored.

    Minka, T. (2000), Estimating a Dirichlet distribution, section 4 (Polya).
    """
    total = counts.sum(axis=1)
    n = counts[total > 0]
    n_tot = total[total > 0]
    if n.shape[0] == 0:
        return alpha
    from scipy.special import digamma  # lazy: scipy only when used

    for _ in range(n_steps):
        a_tot = alpha.sum()
        num = (digamma(n + alpha) - digamma(alpha)).sum(axis=0)
        den = float((digamma(n_tot + a_tot) - digamma(a_tot)).sum())
        if den <= 0.0:
            break
        alpha = np.maximum(alpha * num / den, _FLOOR)
        if alpha.sum() > _MAX_TOTAL:
            alpha *= _MAX_TOTAL / alpha.sum()
            break
    return np.asarray(alpha, dtype=np.float64)


class Auto(DawidSkene):
    r"""Default truth inference: hierarchical (empirical-Bayes) Dawid-Skene.

    Every worker's confusion row for true class ``k`` is drawn from one crowd-level
    Dirichlet(:math:`\alpha_k`), and :math:`\alpha` (its mean *and* its strength) is
    learned from the data: after each E-step, :math:`\alpha_k` maximises the
    Dirichlet-multinomial evidence of all workers' expected counts (Minka's fixed
    point), then each worker's row is the posterior mean
    :math:`(n^w_{k\cdot} + \alpha_k) / (n^w_k + \sum_l \alpha_{kl})`. A worker with a few
    answers therefore sits near the crowd's typical confusion, a worker with many
    answers gets their own, and how strongly to pool is decided by the project's own
    answers, not by a constant. No setting to tune; gold answers (semi-supervised) and
    warm starts (``fit(answers, init=previous)``) work as in :class:`DawidSkene`.

    On the nine shared real datasets this model predicts held-out answers better than
    plain, smoothed or variational DS and the one-coin and MACE models on every set, and
    its posteriors are better calibrated than a VB DS with hand-set prior constants (the
    previous default) on every set; accuracy is on par with the best of them
    (docs/benchmarks/truth.md).

    Related: hierarchical/community priors for Bayesian classifier combination (Venanzi
    et al., WWW 2014, "Community-based Bayesian aggregation models for crowdsourcing").

    Fitted attributes (besides :class:`DawidSkene`'s): ``prior_`` float64
    (n_labels, n_labels), the learned Dirichlet pseudo-counts ``[true, answer]``.
    """

    prior_: FloatArray

    def __init__(
        self, *, n_iter: int = 100, tol: float = 1e-5, prior_smoothing: float = 1.0
    ) -> None:
        super().__init__(n_iter=n_iter, tol=tol, prior_smoothing=prior_smoothing, estimate="map")

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        k = answers.n_labels
        warm = getattr(self._warm, "prior_", None)
        if isinstance(warm, np.ndarray) and warm.shape == (k, k):
            self.prior_ = warm.copy()  # warm start: continue from the previous prior
        else:
            self.prior_ = 0.5 + 1.5 * np.eye(k)  # starting point of the fixed point only
        return super()._fit(answers, gold)

    def _log_confusion(self, counts: FloatArray) -> FloatArray:
        """Learn ``prior_`` from ``counts`` ``[w, answer, true]``, then posterior-mean rows."""
        k = counts.shape[1]
        prior = self.prior_
        for true in range(k):
            prior[true] = fit_dirichlet(prior[true], counts[:, :, true])
        pseudo = counts + prior.T[None, :, :]
        return self._log_normalise(pseudo, axis=1)
