"""Dynamic overlap: how many answers a task still needs, and who may give them.

A task collects at least ``min_answers`` and at most ``max_answers`` answers and stops
as soon as its posterior confidence (max posterior probability, from the one-coin
model of :mod:`crowdloop.algorithms.allocation.posterior` or any truth-inference
estimator) reaches ``target_confidence`` (Toloka's "dynamic overlap"). A task that is
still unresolved after ``escalate_after`` answers is *hard*: only workers whose ability
(lower credible bound) is at least ``escalate_ability`` may answer it. Fixed overlap
``K`` is the special case ``min_answers = max_answers = K``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from crowdloop.algorithms._validation import FloatArray, IntArray

__all__ = ["OverlapPolicy"]


@dataclass(frozen=True)
class OverlapPolicy:
    """Stopping and escalation rule; invalid values raise ``ValueError``."""

    min_answers: int = 1
    max_answers: int = 5
    target_confidence: float = 0.95
    escalate_after: int | None = None
    escalate_ability: float = 0.0

    def __post_init__(self) -> None:
        if self.min_answers < 1:
            raise ValueError(f"min_answers must be >= 1, got {self.min_answers}")
        if self.max_answers < self.min_answers:
            raise ValueError(
                f"max_answers ({self.max_answers}) must be >= min_answers ({self.min_answers})"
            )
        if not 0.0 < self.target_confidence <= 1.0:
            raise ValueError(f"target_confidence must be in (0, 1], got {self.target_confidence}")
        if self.escalate_after is not None and self.escalate_after < 1:
            raise ValueError(f"escalate_after must be >= 1, got {self.escalate_after}")
        if not 0.0 <= self.escalate_ability <= 1.0:
            raise ValueError(f"escalate_ability must be in [0, 1], got {self.escalate_ability}")

    @classmethod
    def fixed(cls, k: int) -> OverlapPolicy:
        """Exactly ``k`` answers per task (no early stop, no escalation)."""
        return cls(min_answers=k, max_answers=k, target_confidence=1.0)

    @property
    def is_fixed(self) -> bool:
        return self.min_answers == self.max_answers

    def is_done(self, n_answers: ArrayLike, confidence: ArrayLike) -> NDArray[np.bool_]:
        """True where a task needs no more answers."""
        n, conf = _arrays(n_answers, confidence)
        confident = (n >= self.min_answers) & (conf >= self.target_confidence)
        return np.asarray((n >= self.max_answers) | confident)

    def wanted(self, n_answers: ArrayLike, confidence: ArrayLike) -> IntArray:
        """Answers to ask for now: 0 when done, else enough to reach ``min_answers``
        and at least one (dynamic overlap asks one at a time past the minimum)."""
        n, conf = _arrays(n_answers, confidence)
        need = np.maximum(self.min_answers - n, 1)
        return np.where(self.is_done(n, conf), 0, need).astype(np.int64)

    def ability_floor(self, n_answers: ArrayLike, confidence: ArrayLike) -> FloatArray:
        """Minimum worker ability per task: ``escalate_ability`` for hard open tasks, else 0."""
        n, conf = _arrays(n_answers, confidence)
        out = np.zeros(n.shape)
        if self.escalate_after is None:
            return out
        hard = (n >= self.escalate_after) & ~self.is_done(n, conf)
        out[hard] = self.escalate_ability
        return out


def _arrays(n_answers: ArrayLike, confidence: ArrayLike) -> tuple[IntArray, FloatArray]:
    n = np.asarray(n_answers, dtype=np.int64)
    conf = np.asarray(confidence, dtype=np.float64)
    if n.shape != conf.shape:
        raise ValueError(
            f"n_answers and confidence must have one shape, got {n.shape}, {conf.shape}"
        )
    return n, conf
