"""Numeric truth inference: mean, median and a worker bias/variance weighted estimate."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np

from crowdloop.algorithms._validation import FloatArray, NumericGold, numeric_gold_array
from crowdloop.algorithms.answers import NumericAnswers

__all__ = ["MeanAggregator", "MedianAggregator", "NumericInference", "WeightedNumeric"]


def _task_mean(answers: NumericAnswers, weights: FloatArray, x: FloatArray) -> FloatArray:
    t = answers.task_idx
    num = np.bincount(t, weights=weights * x, minlength=answers.n_tasks)
    den = np.bincount(t, weights=weights, minlength=answers.n_tasks)
    out = np.full(answers.n_tasks, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


class NumericInference(ABC):
    """Base: ``fit(answers, *, gold=None) -> self``.

    Fitted: ``values_`` float64 (n_tasks,) (NaN for tasks without answers or gold),
    ``confidence_`` float64 (n_tasks,) = standard error of the estimate (0 for gold, inf
    when unknown), ``worker_std_`` float64 (n_workers,) = the worker's residual standard
    deviation, ``worker_bias_`` (n_workers,), ``n_iter_``, ``converged_``.
    """

    values_: FloatArray
    confidence_: FloatArray
    worker_std_: FloatArray
    worker_bias_: FloatArray
    n_iter_: int
    converged_: bool

    def fit(self, answers: NumericAnswers, *, gold: NumericGold = None) -> Self:
        """Estimate each task's value; known ``gold`` values are fixed and inform workers."""
        gold_values = numeric_gold_array(gold, answers.n_tasks)
        self.n_iter_, self.converged_ = 0, True
        self.worker_bias_ = np.zeros(answers.n_workers)
        values, se = self._fit(answers, gold_values)
        known = ~np.isnan(gold_values)
        values[known], se[known] = gold_values[known], 0.0
        self.values_, self.confidence_ = values, se
        resid = answers.values - self.worker_bias_[answers.worker_idx]
        resid = resid - values[answers.task_idx]
        self.worker_std_ = self._worker_std(answers, resid)
        return self

    @staticmethod
    def _worker_std(answers: NumericAnswers, resid: FloatArray) -> FloatArray:
        ok = ~np.isnan(resid)
        w = answers.worker_idx[ok]
        n = np.bincount(w, minlength=answers.n_workers)
        ss = np.bincount(w, weights=resid[ok] ** 2, minlength=answers.n_workers)
        var = np.full(answers.n_workers, np.nan)
        np.divide(ss, n, out=var, where=n > 0)
        return np.asarray(np.sqrt(var), dtype=np.float64)

    @abstractmethod
    def _fit(self, answers: NumericAnswers, gold: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return per-task estimates and standard errors."""


def _standard_error(answers: NumericAnswers, values: FloatArray) -> FloatArray:
    t = answers.task_idx
    n = np.bincount(t, minlength=answers.n_tasks).astype(np.float64)
    ss = np.bincount(t, weights=(answers.values - values[t]) ** 2, minlength=answers.n_tasks)
    var = np.divide(ss, np.maximum(n - 1.0, 1.0) * np.maximum(n, 1.0))
    return np.where(n > 0, np.sqrt(var), np.inf)


class MeanAggregator(NumericInference):
    """Plain mean of each task's answers. O(n_answers)."""

    def _fit(self, answers: NumericAnswers, gold: FloatArray) -> tuple[FloatArray, FloatArray]:  # noqa: ARG002
        values = _task_mean(answers, np.ones(answers.n_answers), answers.values)
        return values, _standard_error(answers, values)


class MedianAggregator(NumericInference):
    """Median of each task's answers (robust to outliers). O(n_answers log n_answers)."""

    def _fit(self, answers: NumericAnswers, gold: FloatArray) -> tuple[FloatArray, FloatArray]:  # noqa: ARG002
        order = np.lexsort((answers.values, answers.task_idx))
        t, v = answers.task_idx[order], answers.values[order]
        n = np.bincount(t, minlength=answers.n_tasks)
        start = np.concatenate([[0], np.cumsum(n)[:-1]]).astype(np.int64)
        has = n > 0
        lo = start[has] + (n[has] - 1) // 2
        hi = start[has] + n[has] // 2
        values = np.full(answers.n_tasks, np.nan)
        values[has] = 0.5 * (v[lo] + v[hi])
        return values, 1.2533 * _standard_error(answers, values)


class WeightedNumeric(NumericInference):
    r"""Worker bias and variance, estimated jointly with the truth by iterated reweighting.

    Model: :math:`x_{tw} = \mu_t + b_w + \varepsilon`, :math:`\varepsilon \sim N(0,
    \sigma_w^2)`. Alternate (1) :math:`\mu_t` = precision-weighted mean of the
    bias-corrected answers, (2) :math:`b_w` = mean residual shrunk toward 0 by
    ``bias_prior`` pseudo-answers (biases are centred so the scale is identified),
    (3) :math:`\sigma_w^2` = residual variance shrunk toward the pooled variance by
    ``variance_prior`` pseudo-answers (inverse-gamma MAP), so a worker with two answers
    neither dominates nor vanishes. Gold tasks stay fixed. Related to LFC-N (Raykar et
    al., JMLR 11, 2010) and CATD (Li et al., VLDB 2014). O(n_iter * n_answers).
    """

    def __init__(
        self,
        *,
        n_iter: int = 50,
        tol: float = 1e-6,
        bias_prior: float = 5.0,
        variance_prior: float = 5.0,
        estimate_bias: bool = False,
    ) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.bias_prior = bias_prior
        self.variance_prior = variance_prior
        self.estimate_bias = estimate_bias

    def _fit(self, answers: NumericAnswers, gold: FloatArray) -> tuple[FloatArray, FloatArray]:
        w, t, x = answers.worker_idx, answers.task_idx, answers.values
        known = ~np.isnan(gold)
        bias, prec = np.zeros(answers.n_workers), np.ones(answers.n_workers)
        values = np.where(known, gold, _task_mean(answers, np.ones(x.size), x))
        for it in range(1, self.n_iter + 1):
            if self.estimate_bias:
                full = x - values[t]
                ok = ~np.isnan(full)
                n_ok = np.bincount(w[ok], minlength=answers.n_workers).astype(np.float64)
                s = np.bincount(w[ok], weights=full[ok], minlength=answers.n_workers)
                bias = s / (n_ok + self.bias_prior)
                bias -= np.average(bias, weights=n_ok + 1e-12) if n_ok.sum() else 0.0
            resid, resid_var, usable = _leave_one_out(answers, x - bias[w], prec, gold)
            n_w = np.bincount(w, weights=usable, minlength=answers.n_workers)
            # E[resid^2] = sigma_w^2 + var(leave-one-out estimate): subtract the latter
            r2 = (resid**2 - resid_var) * usable
            pooled = max(r2.sum() / max(usable.sum(), 1.0), 0.0) + 1e-9
            ss = np.bincount(w, weights=r2, minlength=answers.n_workers)
            var = (ss + self.variance_prior * pooled) / (n_w + self.variance_prior)
            prec = 1.0 / np.maximum(var, _VAR_FLOOR * pooled)
            new = _task_mean(answers, prec[w], x - bias[w])
            new = np.where(known, gold, new)
            delta = np.nanmax(np.abs(new - values)) if np.any(~np.isnan(new)) else 0.0
            values = new
            self.n_iter_ = it
            if delta <= self.tol * (1.0 + np.nanmax(np.abs(values), initial=0.0)):
                break
        self.worker_bias_ = bias
        den = np.bincount(t, weights=prec[w], minlength=answers.n_tasks)
        se = np.divide(1.0, np.sqrt(den), out=np.full(answers.n_tasks, np.inf), where=den > 0)
        return values, se


_VAR_FLOOR = 0.01  # a worker's variance never drops below 1% of the crowd's


def _leave_one_out(
    answers: NumericAnswers, y: FloatArray, prec: FloatArray, gold: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Residual of each answer against the precision-weighted mean of the *other* answers
    to its task (or its gold value), that estimate's variance, and a 0/1 usable mask
    (0 when the task has no other answer and no gold)."""
    t, p = answers.task_idx, prec[answers.worker_idx]
    total = np.bincount(t, weights=p * y, minlength=answers.n_tasks)
    weight = np.bincount(t, weights=p, minlength=answers.n_tasks)
    rest = weight[t] - p
    has_rest = rest > 1e-12 * np.maximum(weight[t], 1e-300)
    safe = np.where(has_rest, rest, 1.0)
    loo = (total[t] - p * y) / safe
    loo_var = 1.0 / safe
    g = gold[t]
    is_gold = ~np.isnan(g)
    loo = np.where(is_gold, g, loo)
    loo_var = np.where(is_gold, 0.0, loo_var)
    usable = (has_rest | is_gold).astype(np.float64)
    resid = np.where(usable > 0, y - loo, 0.0)
    return resid, np.where(usable > 0, loo_var, 0.0), usable
