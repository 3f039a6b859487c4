"""Allocation: matching scores, task difficulty, dynamic overlap and push assignment."""

from crowdloop.algorithms.allocation.difficulty import (
    DifficultySignals,
    answer_disagreement,
    posterior_entropy,
    task_difficulty,
)
from crowdloop.algorithms.allocation.overlap import OverlapPolicy
from crowdloop.algorithms.allocation.posterior import (
    OnlineOneCoin,
    one_coin_posteriors,
    pairwise_confidence,
)
from crowdloop.algorithms.allocation.scores import (
    PairWeights,
    accuracy_gain,
    deadline_urgency,
    gain_matrix,
    information_gain,
    match_scores,
    skill_eligible,
    skill_mask,
)
from crowdloop.algorithms.allocation.solve import assign, has_ortools

__all__ = [
    "DifficultySignals",
    "OnlineOneCoin",
    "OverlapPolicy",
    "PairWeights",
    "accuracy_gain",
    "answer_disagreement",
    "assign",
    "deadline_urgency",
    "gain_matrix",
    "has_ortools",
    "information_gain",
    "match_scores",
    "one_coin_posteriors",
    "pairwise_confidence",
    "posterior_entropy",
    "skill_eligible",
    "skill_mask",
    "task_difficulty",
]
