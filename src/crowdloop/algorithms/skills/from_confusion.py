r"""Ability from a Dawid-Skene confusion matrix, and confusions from an ability.

A fitted confusion :math:`\pi^w_{kl}` (true ``k``, answer ``l``) and class priors
:math:`\rho` give the worker's accuracy :math:`\sum_k \rho_k \pi^w_{kk}`. Treating the
worker's :math:`n_w` answers as that many trials gives a Beta posterior with
pseudo-counts, so a worker with 3 answers and a perfect diagonal is not an expert.
:func:`shrink_confusion` does the same for the whole matrix (shrinking each row toward
a prior confusion with ``strength`` pseudo-answers) and :func:`one_coin_confusion` turns
accuracies into the symmetric matrices the matching score needs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray
from crowdloop.algorithms.skills.beta_binomial import Ability, ability_from_counts

__all__ = ["ability_from_confusion", "one_coin_confusion", "shrink_confusion"]


def _check_confusion(confusion: FloatArray) -> FloatArray:
    conf = np.asarray(confusion, dtype=np.float64)
    if conf.ndim != 3 or conf.shape[1] != conf.shape[2]:
        raise ValueError(
            f"confusion must have shape (n_workers, n_labels, n_labels), got {conf.shape}"
        )
    return conf


def ability_from_confusion(
    confusion: ArrayLike,
    n_answers: ArrayLike,
    *,
    priors: ArrayLike | None = None,
    prior: tuple[float, float] = (1.0, 1.0),
    level: float = 0.9,
) -> Ability:
    """Beta posterior of each worker's accuracy from their confusion and answer count.

    ``confusion``: shape (n_workers, n_labels, n_labels), ``[w, true, answer]``;
    ``priors``: class priors (uniform if ``None``); ``n_answers``: shape (n_workers,).

    >>> conf = np.array([[[0.9, 0.1], [0.2, 0.8]]])
    >>> round(float(ability_from_confusion(conf, [100]).mean[0]), 3)
    0.843
    """
    conf = _check_confusion(np.asarray(confusion))
    k = conf.shape[1]
    rho = np.full(k, 1.0 / max(k, 1)) if priors is None else np.asarray(priors, np.float64)
    if rho.shape != (k,):
        raise ValueError(f"priors must have shape ({k},), got {rho.shape}")
    acc = np.einsum("k,wkk->w", rho / rho.sum(), conf)
    n = np.asarray(n_answers, dtype=np.float64)
    if n.shape != acc.shape:
        raise ValueError(f"n_answers must have shape {acc.shape}, got {n.shape}")
    return ability_from_counts(acc * n, (1.0 - acc) * n, prior=prior, level=level)


def shrink_confusion(
    confusion: ArrayLike,
    n_answers: ArrayLike,
    *,
    prior_confusion: ArrayLike,
    strength: float = 2.0,
) -> FloatArray:
    """Posterior-mean confusion: each worker's row ``k`` is
    ``(n_wk * pi_wk + strength * prior_k) / (n_wk + strength)`` where ``n_wk`` is the
    worker's answers spread over rows equally (``n_w / n_labels``)."""
    conf = _check_confusion(np.asarray(confusion))
    base = np.asarray(prior_confusion, dtype=np.float64)
    if base.shape != conf.shape[1:]:
        raise ValueError(f"prior_confusion must have shape {conf.shape[1:]}, got {base.shape}")
    if strength < 0:
        raise ValueError(f"strength must be >= 0, got {strength}")
    per_row = np.asarray(n_answers, dtype=np.float64)[:, None, None] / max(conf.shape[1], 1)
    out = (per_row * conf + strength * base[None]) / np.maximum(per_row + strength, 1e-12)
    return np.asarray(out / out.sum(axis=2, keepdims=True), dtype=np.float64)


def one_coin_confusion(accuracy: ArrayLike, n_labels: int) -> FloatArray:
    """Symmetric confusions: ``accuracy`` on the diagonal, the rest spread evenly.

    Returns shape ``accuracy.shape + (n_labels, n_labels)``.

    >>> one_coin_confusion([0.8], 3)[0].round(2).tolist()
    [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    """
    acc = np.asarray(accuracy, dtype=np.float64)
    if n_labels < 1:
        raise ValueError(f"n_labels must be >= 1, got {n_labels}")
    if np.any((acc < 0) | (acc > 1)):
        raise ValueError("accuracy must lie in [0, 1]")
    if n_labels == 1:
        return np.ones((*acc.shape, 1, 1))
    off = (1.0 - acc) / (n_labels - 1)
    out = np.broadcast_to(off[..., None, None], (*acc.shape, n_labels, n_labels)).copy()
    idx = np.arange(n_labels)
    out[..., idx, idx] = acc[..., None]
    return out
