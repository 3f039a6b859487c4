"""Replay a recorded project under an overlap policy (pure; no database, no files).

Each task's recorded answers arrive in a random order fixed by ``seed``. Answers are
revealed in *rounds*: round ``r`` gives every task that is still open its ``r``-th
answer (if it has one), as a platform serving many tasks at once would. After every
round the worker-quality model is refitted on everything revealed so far (warm-started
from the previous round; gold is never shown to it), and each task that received an
answer asks the policy whether it needs another: a task closes when it has at least
``min_answers`` answers and its posterior confidence reaches the target, when it has
``max_answers`` answers, or when its recorded answers run out. Gold only scores the
final labels.

Complexity: O(max_answers * fit(n_answers)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from crowdloop.algorithms._validation import FloatArray, Gold, IntArray, gold_array
from crowdloop.algorithms.allocation.overlap import OverlapPolicy
from crowdloop.algorithms.allocation.posterior import OnlineOneCoin
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.methods import REPLAY_MODELS
from crowdloop.algorithms.metrics import accuracy
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, DawidSkene, TruthInference

__all__ = ["MODELS", "ReplayPolicy", "ReplayResult", "answer_order", "replay"]

#: Worker-quality models by name: "online" (one-coin with a Beta prior) and the
#: categorical truth-inference methods.
MODELS: tuple[str, ...] = REPLAY_MODELS


@dataclass(frozen=True)
class ReplayPolicy:
    """An overlap policy plus the model that gives confidence and final labels."""

    name: Literal["fixed", "adaptive"]
    overlap: OverlapPolicy
    model: str = "online"
    robust: bool = True  # "online": stop on the pairwise bound (OnlineOneCoin)

    def __post_init__(self) -> None:
        if self.name not in ("fixed", "adaptive"):
            raise ValueError(f"unknown policy {self.name!r}; choose fixed or adaptive")
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")

    @classmethod
    def fixed(cls, overlap: int, *, model: str = "online") -> ReplayPolicy:
        return cls("fixed", OverlapPolicy.fixed(overlap), model)

    @classmethod
    def adaptive(
        cls,
        confidence: float,
        max_overlap: int,
        *,
        min_overlap: int = 1,
        model: str = "online",
        robust: bool = True,
    ) -> ReplayPolicy:
        return cls("adaptive", OverlapPolicy(min_overlap, max_overlap, confidence), model, robust)

    def describe(self) -> dict[str, Any]:
        """JSON-ready description."""
        if self.name == "fixed":
            return {"name": "fixed", "overlap": self.overlap.max_answers, "model": self.model}
        return {
            "name": "adaptive",
            "confidence": self.overlap.target_confidence,
            "min_overlap": self.overlap.min_answers,
            "max_overlap": self.overlap.max_answers,
            "model": self.model,
        }


@dataclass(frozen=True)
class ReplayResult:
    """Outcome of :func:`replay`; per-task arrays have shape (n_tasks,)."""

    policy: ReplayPolicy
    seed: int | None
    tasks: int
    gold_tasks: int
    labels_available: int
    labels_used: int
    accuracy: float | None
    rounds: int
    labels: IntArray = field(repr=False)
    confidence: FloatArray = field(repr=False)
    used_per_task: IntArray = field(repr=False)
    short_tasks: IntArray = field(repr=False)

    @property
    def labels_per_task(self) -> float:
        return self.labels_used / self.tasks if self.tasks else 0.0


def answer_order(answers: Answers, seed: int | np.random.Generator | None) -> IntArray:
    """Position of each answer row within its task's random arrival order (0-based)."""
    rng = np.random.default_rng(seed)
    key = rng.random(answers.n_answers)
    order = np.lexsort((key, answers.task_idx))
    starts = np.searchsorted(answers.task_idx[order], np.arange(answers.n_tasks))
    rank = np.empty(answers.n_answers, dtype=np.int64)
    rank[order] = np.arange(order.size) - starts[answers.task_idx[order]]
    return rank


def _subset(answers: Answers, rows: IntArray) -> Answers:
    return Answers(
        answers.task_idx[rows],
        answers.worker_idx[rows],
        answers.label_idx[rows],
        answers.n_tasks,
        answers.n_workers,
        answers.n_labels,
    )


def _fit(policy: ReplayPolicy, answers: Answers, previous: TruthInference | None) -> TruthInference:
    if policy.model == "online":
        warm = previous if isinstance(previous, OnlineOneCoin) else None
        return OnlineOneCoin(robust=policy.robust).fit(answers, init=warm)
    est = CATEGORICAL_METHODS[policy.model]()
    if isinstance(est, DawidSkene) and type(previous) is type(est):
        return est.fit(answers, init=previous)
    return est.fit(answers)


def replay(
    answers: Answers, policy: ReplayPolicy, *, gold: Gold = None, seed: int | None = 0
) -> ReplayResult:
    """Replay ``answers`` (one answer per worker and task: run ``dedupe`` first)."""
    rank = answer_order(answers, seed)
    available = np.bincount(answers.task_idx, minlength=answers.n_tasks)
    overlap = policy.overlap
    used = np.zeros(answers.n_tasks, dtype=np.int64)
    open_ = available > 0
    est: TruthInference | None = None
    rounds = 0
    while open_.any():
        rounds += 1
        used[open_] += 1
        est = _fit(policy, _subset(answers, np.flatnonzero(rank < used[answers.task_idx])), est)
        done = overlap.is_done(used, est.confidence_) | (used >= available)
        open_ &= ~done
    if est is None:  # no answers at all
        est = _fit(policy, answers, None)
    gold_codes = gold_array(gold, answers.n_tasks, answers.n_labels)
    n_gold = int((gold_codes >= 0).sum())
    return ReplayResult(
        policy=policy,
        seed=seed,
        tasks=answers.n_tasks,
        gold_tasks=n_gold,
        labels_available=answers.n_answers,
        labels_used=int(used.sum()),
        accuracy=accuracy(gold_codes, est.labels_) if n_gold else None,
        rounds=rounds,
        labels=est.labels_,
        confidence=est.confidence_,
        used_per_task=used,
        short_tasks=np.flatnonzero(available < overlap.min_answers).astype(np.int64),
    )
