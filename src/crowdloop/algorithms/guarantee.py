"""Certified auto-acceptance thresholds, audits and uncertainty scores (pure numpy/scipy).

A model answer is auto-accepted only above a confidence threshold whose accuracy is
*certified*: on a random held-out slice of human-labelled items, the one-sided lower
confidence bound (Clopper-Pearson by default, or Wilson) of the accuracy of the items
at or above the threshold must reach the target. A point estimate is not enough: the
threshold would be chosen on the same data that judges it, and undershoots (86% was
seen for a 95% target).

Many thresholds are looked at, so the multiple testing is handled explicitly:

* ``"fixed_sequence"`` (default): candidate thresholds are ordered from the most to
  the least confident, with cut points that depend on the confidences only (never on
  which answers were right); testing stops at the first failure (Bauer 1991; "Learn then
  Test", Angelopoulos et al. 2021, arXiv 2110.01052). Up to three sequences start at
  different ranks (the smallest allowed, a quarter and half of the items), each at
  ``delta / n_sequences``, so a few label errors among the most confident items cannot
  end the whole search. The family-wise error is at most ``delta`` (union bound).
* ``"bonferroni"``: every candidate is tested at ``delta / m``; the lowest passing
  threshold is kept.

Both guarantee, with probability at least ``1 - delta`` over the held-out slice, that
the accuracy of the auto-accepted items (drawn like the slice) is at least ``target``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray, IntArray

__all__ = [
    "AuditResult",
    "Certificate",
    "audit",
    "certify_threshold",
    "clopper_pearson_bounds",
    "lower_bound",
    "upper_bound",
    "wilson_bounds",
]

BoundMethod = Literal["clopper_pearson", "wilson"]
#: Number of candidate thresholds (cut points) tested by :func:`certify_threshold`.
N_CANDIDATES = 50
_BoundFn = Callable[[ArrayLike, ArrayLike, float], tuple[FloatArray, FloatArray]]
Procedure = Literal["fixed_sequence", "bonferroni"]


def clopper_pearson_bounds(
    k: ArrayLike, n: ArrayLike, alpha: float
) -> tuple[FloatArray, FloatArray]:
    """One-sided exact (Clopper-Pearson) lower and upper bounds at level ``alpha`` each.

    ``P(p < lower) <= alpha`` and ``P(p > upper) <= alpha``; ``n == 0`` gives (0, 1).

    >>> lo, hi = clopper_pearson_bounds([59], [59], 0.05)
    >>> round(float(lo[0]), 3)
    0.95
    """
    from scipy.stats import beta  # lazy: scipy.stats costs ~0.7 s: only when used

    k_arr, n_arr = _counts(k, n)
    with np.errstate(invalid="ignore"):
        lo = np.where(k_arr > 0, beta.ppf(alpha, k_arr, n_arr - k_arr + 1), 0.0)
        hi = np.where(k_arr < n_arr, beta.ppf(1.0 - alpha, k_arr + 1, n_arr - k_arr), 1.0)
    return _as_float(np.nan_to_num(lo, nan=0.0)), _as_float(np.nan_to_num(hi, nan=1.0))


def wilson_bounds(k: ArrayLike, n: ArrayLike, alpha: float) -> tuple[FloatArray, FloatArray]:
    """One-sided Wilson score lower and upper bounds at level ``alpha`` each."""
    from scipy.stats import norm  # lazy: scipy.stats costs ~0.7 s: only when used

    k_arr, n_arr = _counts(k, n)
    z = float(norm.ppf(1.0 - alpha))
    safe_n = np.maximum(n_arr, 1.0)
    p = k_arr / safe_n
    denom = 1.0 + z * z / safe_n
    centre = (p + z * z / (2.0 * safe_n)) / denom
    half = z * np.sqrt(p * (1.0 - p) / safe_n + z * z / (4.0 * safe_n * safe_n)) / denom
    empty = n_arr == 0
    lo = np.where(empty, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(empty, 1.0, np.clip(centre + half, 0.0, 1.0))
    return _as_float(lo), _as_float(hi)


def lower_bound(k: int, n: int, alpha: float, method: BoundMethod = "clopper_pearson") -> float:
    """Scalar one-sided lower confidence bound of a binomial rate."""
    return float(_bounds(method)(np.array([k]), np.array([n]), alpha)[0][0])


def upper_bound(k: int, n: int, alpha: float, method: BoundMethod = "clopper_pearson") -> float:
    """Scalar one-sided upper confidence bound of a binomial rate."""
    return float(_bounds(method)(np.array([k]), np.array([n]), alpha)[1][0])


@dataclass(frozen=True)
class Certificate:
    """The outcome of :func:`certify_threshold`.

    ``threshold`` is ``None`` when nothing can be certified; then ``status`` says why.
    ``n_above``/``n_correct_above``/``lower_bound`` describe the held-out items at or above
    the certified threshold. ``n_tests`` is the number of hypotheses tested.
    """

    threshold: float | None
    status: str
    target: float
    delta: float
    n_validation: int
    n_above: int = 0
    n_correct_above: int = 0
    lower_bound: float = 0.0
    n_tests: int = 0

    @property
    def certified(self) -> bool:
        return self.threshold is not None

    @property
    def accuracy_above(self) -> float:
        """Point estimate of the accuracy above the threshold (NaN if none)."""
        return self.n_correct_above / self.n_above if self.n_above else float("nan")


def certify_threshold(
    confidence: ArrayLike,
    correct: ArrayLike,
    *,
    target: float,
    delta: float = 0.05,
    method: BoundMethod = "clopper_pearson",
    procedure: Procedure = "fixed_sequence",
    min_items: int | None = None,
) -> Certificate:
    """Lowest confidence threshold whose accuracy on held-out items is certified.

    Parameters
    ----------
    confidence : float array, shape (n,)
        Model confidence (e.g. top class probability) of each held-out item.
    correct : bool array, shape (n,)
        Whether the model's answer equals the human label of the item.
    target : float
        Required accuracy of auto-accepted answers, in (0, 1).
    delta : float
        Allowed probability that the certificate is wrong (family-wise).
    min_items : int, optional
        Fewest held-out items a threshold may rest on; by default the smallest count for
        which a perfect record could certify ``target`` at level ``delta``, doubled.

    Up to ``N_CANDIDATES`` cut points are spaced evenly in the number of items kept,
    by confidence rank only, so the candidate list never depends on
    which answers were right. Ties: all items with confidence >= threshold count.
    Complexity O(n log n).
    """
    conf, ok = _validate(confidence, correct, target, delta)
    n = conf.size
    smallest = _min_items(target, delta) if min_items is None else max(int(min_items), 1)
    base = Certificate(None, "", target, delta, n)
    if n < smallest:
        status = f"too few human-labelled held-out items to certify: {n} < {smallest} needed"
        return _replace_status(base, status)
    order = np.argsort(-conf, kind="stable")
    sorted_conf = conf[order]
    cum_correct = np.cumsum(ok[order])
    ranks = _candidate_ranks(sorted_conf, smallest, N_CANDIDATES)
    if procedure == "fixed_sequence":
        return _fixed_sequence(base, sorted_conf, cum_correct, ranks, method)
    if procedure == "bonferroni":
        return _bonferroni(base, sorted_conf, cum_correct, ranks, method)
    raise ValueError(f"procedure must be 'fixed_sequence' or 'bonferroni', got {procedure!r}")


@dataclass(frozen=True)
class AuditResult:
    """Audit of auto-accepted answers against human labels."""

    n_audited: int
    n_correct: int
    accuracy: float
    lower_bound: float
    upper_bound: float
    stop: bool
    status: str


def audit(
    n_correct: int,
    n_audited: int,
    *,
    target: float,
    delta: float = 0.05,
    method: BoundMethod = "clopper_pearson",
) -> AuditResult:
    """Decide whether auto-acceptance must stop, from a random audit of its answers.

    Stops when the audit shows, at level ``delta``, that the accuracy of auto-accepted
    answers is below ``target`` (its upper confidence bound is under the target).
    """
    if not 0 <= n_correct <= n_audited:
        raise ValueError(f"need 0 <= n_correct <= n_audited, got {n_correct} and {n_audited}")
    _check_unit("target", target)
    _check_unit("delta", delta)
    if n_audited == 0:
        return AuditResult(0, 0, float("nan"), 0.0, 1.0, False, "no audited answers yet")
    lo = lower_bound(n_correct, n_audited, delta, method)
    hi = upper_bound(n_correct, n_audited, delta, method)
    acc = n_correct / n_audited
    if hi < target:
        status = f"audit accuracy {acc:.3f} (upper bound {hi:.3f}) is below target {target}"
        return AuditResult(n_audited, n_correct, acc, lo, hi, True, status)
    return AuditResult(n_audited, n_correct, acc, lo, hi, False, f"audit accuracy {acc:.3f}")


# --- helpers -------------------------------------------------------------------------


def _fixed_sequence(
    base: Certificate, conf: FloatArray, cum: IntArray, ranks: IntArray, method: BoundMethod
) -> Certificate:
    """Fixed-sequence tests from several starting ranks, ``delta`` split evenly.

    A sequence stops at its first failure, so one unlucky small sample at the most
    confident end would end it; later starts (a quarter and half of the items) keep the
    procedure robust to a few label errors there. The starts depend on the counts only.
    """
    n = int(ranks[-1])
    starts = sorted({int(ranks[0]), *(r for r in (n // 4, n // 2) if r > ranks[0])})
    alpha = base.delta / len(starts)
    best: Certificate | None = None
    tests = 0
    for start in starts:
        for rank in ranks[ranks >= start].tolist():
            tests += 1
            k = int(cum[rank - 1])
            lb = lower_bound(k, rank, alpha, method)
            if lb < base.target:
                break
            if best is None or rank > best.n_above:  # ranks end tie groups: n_above == rank
                best = _pass(base, conf, rank, k, lb)
    return _outcome(base, best, tests)


def _bonferroni(
    base: Certificate, conf: FloatArray, cum: IntArray, ranks: IntArray, method: BoundMethod
) -> Certificate:
    alpha = base.delta / max(ranks.size, 1)
    best: Certificate | None = None
    for rank in ranks.tolist():
        k = int(cum[rank - 1])
        lb = lower_bound(k, rank, alpha, method)
        if lb >= base.target:
            best = _pass(base, conf, rank, k, lb)
    return _outcome(base, best, int(ranks.size))


def _pass(base: Certificate, conf: FloatArray, rank: int, k: int, lb: float) -> Certificate:
    threshold = float(conf[rank - 1])
    n_above = int(np.count_nonzero(conf >= threshold))
    return Certificate(
        threshold, "certified", base.target, base.delta, base.n_validation, n_above, k, lb
    )


def _outcome(base: Certificate, best: Certificate | None, tests: int) -> Certificate:
    if best is None:
        status = (
            f"no confidence threshold reaches a {base.target:.3f} lower bound on "
            f"{base.n_validation} held-out items"
        )
        return Certificate(None, status, base.target, base.delta, base.n_validation, n_tests=tests)
    return Certificate(
        best.threshold,
        best.status,
        best.target,
        best.delta,
        best.n_validation,
        best.n_above,
        best.n_correct_above,
        best.lower_bound,
        tests,
    )


def _candidate_ranks(sorted_conf: FloatArray, smallest: int, n_candidates: int) -> IntArray:
    """Cut ranks from ``smallest`` to n, moved to the end of tie groups."""
    n = sorted_conf.size
    raw = np.unique(np.linspace(smallest, n, max(int(n_candidates), 1)).round().astype(np.int64))
    # a cut inside a group of equal confidences keeps the whole group
    ends = np.searchsorted(-sorted_conf, -sorted_conf[raw - 1], side="right")
    return np.unique(ends).astype(np.int64)


def _min_items(target: float, delta: float) -> int:
    """Twice the fewest items for which a perfect record certifies ``target``."""
    return 2 * math.ceil(math.log(delta) / math.log(target))


def _replace_status(base: Certificate, status: str) -> Certificate:
    return Certificate(None, status, base.target, base.delta, base.n_validation)


def _validate(
    confidence: ArrayLike, correct: ArrayLike, target: float, delta: float
) -> tuple[FloatArray, IntArray]:
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct).astype(bool).astype(np.int64)
    if conf.ndim != 1 or conf.shape != ok.shape:
        raise ValueError(
            f"confidence and correct must be 1-D of equal length, got {conf.shape} and {ok.shape}"
        )
    if not np.all(np.isfinite(conf)):
        raise ValueError("confidence must contain only finite numbers")
    _check_unit("target", target)
    _check_unit("delta", delta)
    return conf, ok


def _check_unit(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value}")


def _counts(k: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    k_arr = np.atleast_1d(np.asarray(k, dtype=np.float64))
    n_arr = np.atleast_1d(np.asarray(n, dtype=np.float64))
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("need 0 <= k <= n")
    return k_arr, n_arr


def _bounds(method: BoundMethod) -> _BoundFn:
    if method == "clopper_pearson":
        return clopper_pearson_bounds
    if method == "wilson":
        return wilson_bounds
    raise ValueError(f"method must be 'clopper_pearson' or 'wilson', got {method!r}")


def _as_float(a: ArrayLike) -> FloatArray:
    return np.asarray(a, dtype=np.float64)
