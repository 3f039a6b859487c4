"""Per-task aggregation of the answers collected so far (majority vote for now).

Pure functions over plain values, used as answers arrive. The batch estimators for whole
projects live in ``crowdloop.algorithms.truth``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

Aggregate = tuple[Any, float]


def single_choice(answers: Sequence[str], labels: Sequence[str]) -> Aggregate:
    """Most frequent label; ties go to the label listed first. Confidence: its vote share."""
    counts = Counter(answers)
    rank = {label: i for i, label in enumerate(labels)}
    best = min(counts, key=lambda label: (-counts[label], rank.get(label, len(rank))))
    return best, counts[best] / len(answers)


def multiple_choice(answers: Sequence[Sequence[str]], labels: Sequence[str]) -> Aggregate:
    """Each label is in the result when more than half of the answers chose it.

    Confidence: the mean, over labels, of the share of answers agreeing with the decision.
    """
    n = len(answers)
    counts = Counter(label for answer in answers for label in set(answer))
    chosen = [label for label in labels if counts[label] * 2 > n]
    agreement = [max(counts[label], n - counts[label]) / n for label in labels]
    return chosen, sum(agreement) / len(agreement)


def rating(answers: Sequence[float], low: float, high: float) -> Aggregate:
    """Median answer. Confidence: share of answers within 10% of the range of the median."""
    median = float(statistics.median(answers))
    tolerance = 0.1 * (high - low)
    close = sum(1 for value in answers if abs(value - median) <= tolerance)
    return median, close / len(answers)


def text(answers: Sequence[str]) -> Aggregate:
    """Most frequent answer after trimming and case-folding; first seen wins ties."""
    keys = [answer.strip().casefold() for answer in answers]
    counts = Counter(keys)
    best_key = max(counts, key=lambda key: (counts[key], -keys.index(key)))
    original = answers[keys.index(best_key)].strip()
    return original, counts[best_key] / len(answers)


def aggregate(schema: dict[str, Any], answers: Sequence[Any]) -> Aggregate | None:
    """Aggregate one task's answers under its project's answer schema (None if no answers)."""
    if not answers:
        return None
    kind = schema["type"]
    if kind == "single_choice":
        return single_choice(answers, schema["labels"])
    if kind == "multiple_choice":
        return multiple_choice(answers, schema["labels"])
    if kind == "rating":
        return rating([float(a) for a in answers], schema["min"], schema["max"])
    if kind == "file":
        return None  # files are deliverables to review, not votes to aggregate
    return text(answers)
