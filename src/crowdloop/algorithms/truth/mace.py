"""MACE: each worker either knows the answer or spams from a personal distribution."""

from __future__ import annotations

import numpy as np

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.dawid_skene import DawidSkene

__all__ = ["MACE"]


class MACE(DawidSkene):
    r"""Multi-Annotator Competence Estimation.

    Worker ``w`` knows the answer with probability :math:`\theta_w` and otherwise draws a
    label from a spam distribution :math:`\xi_w`, so its confusion is
    :math:`\pi^w_{kl} = \theta_w [k = l] + (1 - \theta_w) \xi_{wl}`. EM splits each
    expected correct answer between "knew" and "spammed" in proportion to
    :math:`\theta_w : (1 - \theta_w)\xi_{wl}`; :math:`\theta_w` gets a Beta(``alpha``,
    ``beta``) pseudo-count prior and :math:`\xi_w` a Dirichlet(``smoothing``) one.
    ``spam_`` holds :math:`1 - \theta_w` and ``spam_strategy_`` :math:`\xi_w`.

    Hovy, D., Berg-Kirkpatrick, T., Vaswani, A. & Hovy, E. (2013), Learning whom to trust
    with MACE. NAACL-HLT 2013, 1120-1130. https://aclanthology.org/N13-1132

    Complexity as :class:`DawidSkene`.

    >>> import numpy as np
    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> MACE().fit(a).labels_.tolist()
    [1]
    """

    spam_: FloatArray
    spam_strategy_: FloatArray

    def __init__(
        self,
        *,
        n_iter: int = 100,
        tol: float = 1e-5,
        alpha: float = 2.0,
        beta: float = 1.0,
        smoothing: float = 1.0,
    ) -> None:
        super().__init__(n_iter=n_iter, tol=tol, smoothing=smoothing)
        self.alpha = alpha
        self.beta = beta

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        k = max(answers.n_labels, 1)
        self._theta = np.full(answers.n_workers, 0.7)
        self._xi = np.full((answers.n_workers, k), 1.0 / k)
        post = super()._fit(answers, gold)
        self.spam_ = 1.0 - self._theta
        self.spam_strategy_ = self._xi
        return post

    def _log_confusion(self, counts: FloatArray) -> FloatArray:
        k = counts.shape[1]
        idx = np.arange(k)
        theta, xi = self._theta[:, None], self._xi
        answered = counts.sum(axis=2)  # [w, answer]
        correct = counts[:, idx, idx]  # [w, answer == true]
        knew = correct * theta / (theta + (1.0 - theta) * xi + 1e-300)
        n = answered.sum(axis=1)
        theta_new = (knew.sum(axis=1) + self.alpha - 1.0) / (
            n + self.alpha + self.beta - 2.0 + 1e-300
        )
        theta_new = np.clip(
            np.where(n > 0, theta_new, self.alpha / (self.alpha + self.beta)), 1e-6, 1.0 - 1e-6
        )
        spam_counts = np.clip(answered - knew, 0.0, None) + self.smoothing
        self._theta = theta_new
        self._xi = spam_counts / spam_counts.sum(axis=1, keepdims=True)
        conf = (1.0 - theta_new)[:, None, None] * self._xi[:, :, None] * np.ones((1, 1, k))
        conf[:, idx, idx] += theta_new[:, None]
        return np.asarray(np.log(np.maximum(conf, 1e-300)), dtype=np.float64)
