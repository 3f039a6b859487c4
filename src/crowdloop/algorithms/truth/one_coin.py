"""One-coin Dawid-Skene: one accuracy per worker, errors spread evenly."""

from __future__ import annotations

import numpy as np

from crowdloop.algorithms._validation import FloatArray
from crowdloop.algorithms.truth.dawid_skene import DawidSkene

__all__ = ["OneCoinDawidSkene"]


class OneCoinDawidSkene(DawidSkene):
    r"""Dawid-Skene constrained to :math:`\pi^w_{kl} = p_w` if :math:`l = k`, else
    :math:`(1 - p_w) / (K - 1)`.

    The M-step sets :math:`p_w = (c_w + \alpha) / (n_w + \alpha + \beta)` with :math:`c_w`
    the expected number of correct answers; ``smoothing`` plays :math:`\alpha` and
    :math:`\beta`. Far fewer parameters than full DS, so it suits workers with few
    answers. Same EM, warm start and complexity as :class:`DawidSkene`.

    Zhang, Y., Chen, X., Zhou, D. & Jordan, M. I. (2016), Spectral methods meet EM.
    JMLR 17(102). (one-coin model, section 2)

    >>> import numpy as np
    >>> from crowdloop.algorithms.answers import Answers
    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> OneCoinDawidSkene().fit(a).labels_.tolist()
    [1]
    """

    def __init__(self, *, n_iter: int = 100, tol: float = 1e-5, smoothing: float = 1.0) -> None:
        super().__init__(n_iter=n_iter, tol=tol, smoothing=smoothing)

    def _log_confusion(self, counts: FloatArray) -> FloatArray:
        k = counts.shape[1]
        correct = np.trace(counts, axis1=1, axis2=2)
        total = counts.sum(axis=(1, 2))
        p = (correct + self.smoothing) / (total + 2.0 * self.smoothing)
        p = np.clip(p, 1e-6, 1.0 - 1e-6)
        off = np.log((1.0 - p) / max(k - 1, 1))
        log_conf = np.broadcast_to(off[:, None, None], counts.shape).copy()
        idx = np.arange(k)
        log_conf[:, idx, idx] = np.log(p)[:, None]
        return log_conf
