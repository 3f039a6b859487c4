"""The default method: variational Dawid-Skene with a crowd-level prior."""

from __future__ import annotations

from crowdloop.algorithms.truth.dawid_skene import DawidSkene

__all__ = ["Auto"]


class Auto(DawidSkene):
    """Default truth inference: a :class:`DawidSkene` a user can trust without tuning.

    Mean-field variational Bayes (``estimate="vb"``) over Dirichlet confusion rows whose
    prior is ``smoothing`` per cell + ``diagonal`` on the diagonal (workers are assumed
    better than chance) + ``shrinkage`` pseudo-answers distributed as the pooled
    confusion of the whole crowd. Workers with many answers get their own confusion
    matrix; workers with few stay near the crowd's and, through the digamma expectation,
    get less say. Fixed settings for every project (no per-dataset tuning); see
    docs/algorithms.md for how they were chosen and the accuracy table.

    Supports gold (semi-supervised) and warm starts like :class:`DawidSkene`.
    """

    def __init__(
        self,
        *,
        n_iter: int = 100,
        tol: float = 1e-5,
        smoothing: float = 0.05,
        shrinkage: float = 2.0,
        diagonal: float = 1.0,
        prior_smoothing: float = 1.0,
    ) -> None:
        super().__init__(
            n_iter=n_iter,
            tol=tol,
            smoothing=smoothing,
            shrinkage=shrinkage,
            diagonal=diagonal,
            prior_smoothing=prior_smoothing,
            estimate="vb",
        )
