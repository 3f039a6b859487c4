"""Worker ability that lets old evidence fade (``quality.ability_half_life_days``).

A re-fit infers the truth from every answer at full weight; a worker's accuracy is then
their soft agreement with that truth, each answer weighed by its age, so a worker who got
better or worse is re-learned without a hard window.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.skills import ability_from_counts, decayed_counts

DAY = 86_400.0
FADE_CHUNK = 262_144


def faded_accuracy(
    model: Any, answers: Answers, finished: np.ndarray, half_life: float, now: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each worker's accuracy (mean, 95% interval) from their agreement with the inferred
    truth, an answer ``age`` seconds old weighing 2^(-age / half_life): a worker who got
    better or worse is re-learned without a hard window (``skills.decayed_counts``)."""
    if half_life <= 0:
        raise ValueError(f"half_life must be > 0, got {half_life}")
    now = time.time() if now is None else now
    correct, wrong = np.zeros(answers.n_workers), np.zeros(answers.n_workers)
    for start in range(0, answers.n_answers, FADE_CHUNK):  # bounded temporaries
        part = slice(start, start + FADE_CHUNK)
        right = model.posteriors_[answers.task_idx[part], answers.label_idx[part]]
        c, w = decayed_counts(
            answers.worker_idx[part],
            np.clip(right, 0.0, 1.0),
            np.minimum(finished[part], now),
            now=now,
            half_life=half_life,
            shape=(answers.n_workers,),
        )
        correct += c
        wrong += w
    ability = ability_from_counts(correct, wrong, level=0.95)
    return ability.mean, np.stack([ability.lower, ability.upper], axis=1)
