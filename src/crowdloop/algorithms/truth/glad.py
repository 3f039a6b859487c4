"""GLAD: worker expertise times task easiness, fitted by EM with an L-BFGS M-step."""

from __future__ import annotations

import warnings

import numpy as np

from crowdloop.algorithms._validation import FloatArray, IntArray
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth.base import (
    ConvergenceWarning,
    TruthInference,
    clamp_gold,
    normalise_log,
    vote_posteriors,
)

__all__ = ["GLAD"]

_B_BOUND = 5.0


class GLAD(TruthInference):
    r"""Generative model of Labels, Abilities and Difficulties.

    Worker ``w`` answers task ``t`` correctly with probability
    :math:`\sigma(\alpha_w \beta_t)`, :math:`\beta_t = e^{b_t} > 0`, and otherwise picks
    one of the other ``K - 1`` labels uniformly. :math:`\alpha_w < 0` marks an adversarial
    worker, small :math:`\beta_t` a hard task. EM: the E-step sums per-answer log
    likelihoods with ``np.bincount``; the M-step maximises the expected complete
    log-likelihood (uniform class priors, as in the paper) plus Gaussian priors
    :math:`\alpha \sim N(1, 1)`, :math:`b \sim N(0, 1)` with a few L-BFGS-B steps on
    analytic gradients.

    Whitehill, J., Ruvolo, P., Wu, T., Bergsma, J. & Movellan, J. (2009), Whose vote
    should count more. NIPS 22, 2035-2043.

    Complexity O(n_iter * (m_step_iter + 1) * n_answers).

    Fitted: ``alphas_`` (n_workers,), ``betas_`` (n_tasks,), ``priors_`` (n_labels,).

    >>> a = Answers(np.array([0, 0, 0]), np.array([0, 1, 2]), np.array([1, 1, 0]), 1, 3, 2)
    >>> GLAD().fit(a).labels_.tolist()
    [1]
    """

    alphas_: FloatArray
    betas_: FloatArray
    priors_: FloatArray

    def __init__(self, *, n_iter: int = 50, tol: float = 1e-5, m_step_iter: int = 10) -> None:
        self.n_iter = n_iter
        self.tol = tol
        self.m_step_iter = m_step_iter

    def _fit(self, answers: Answers, gold: IntArray) -> FloatArray:
        k = max(answers.n_labels, 1)
        post = clamp_gold(vote_posteriors(answers), gold)
        alpha, b = np.ones(answers.n_workers), np.zeros(answers.n_tasks)
        ll_prev, converged, it = -np.inf, False, 0
        for it in range(1, self.n_iter + 1):  # noqa: B007
            alpha, b = self._m_step(answers, post, alpha, b)
            post, ll = self._e_step(answers, alpha, b, np.full(k, -np.log(k)), k)
            post = clamp_gold(post, gold)
            if abs(ll - ll_prev) <= self.tol * max(answers.n_answers, 1):
                converged = True
                break
            ll_prev = ll
        if not converged and self.n_iter > 0:
            warnings.warn(
                f"GLAD did not converge in {self.n_iter} iterations", ConvergenceWarning, 3
            )
        self.n_iter_, self.converged_ = it, converged
        self.alphas_, self.betas_ = alpha, np.exp(b)
        self.priors_ = np.full(answers.n_labels, 1.0 / k)
        return post

    @staticmethod
    def _e_step(
        answers: Answers, alpha: FloatArray, b: FloatArray, log_prior: FloatArray, k: int
    ) -> tuple[FloatArray, float]:
        t, y = answers.task_idx, answers.label_idx
        s = alpha[answers.worker_idx] * np.exp(b[t])
        log_wrong = -np.logaddexp(0.0, s) - np.log(max(k - 1, 1))
        log_right = -np.logaddexp(0.0, -s)
        log_post = np.bincount(t, weights=log_wrong, minlength=answers.n_tasks)[:, None]
        log_post = log_post + np.bincount(
            t * k + y, weights=log_right - log_wrong, minlength=answers.n_tasks * k
        ).reshape(answers.n_tasks, k)
        return normalise_log(log_post + log_prior)

    def _m_step(
        self, answers: Answers, post: FloatArray, alpha: FloatArray, b: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        if answers.n_answers == 0 or self.m_step_iter <= 0:
            return alpha, b
        from scipy.optimize import minimize  # lazy: scipy only when used
        from scipy.special import expit

        w, t = answers.worker_idx, answers.task_idx
        q = post[t, answers.label_idx]
        n_w = answers.n_workers

        def objective(theta: FloatArray) -> tuple[float, FloatArray]:
            a, bb = theta[:n_w], theta[n_w:]
            beta = np.exp(bb)
            s = a[w] * beta[t]
            value = np.sum(q * -np.logaddexp(0.0, -s) + (1.0 - q) * -np.logaddexp(0.0, s))
            value -= 0.5 * np.sum((a - 1.0) ** 2) + 0.5 * np.sum(bb**2)
            g = q - expit(s)
            grad_a = np.bincount(w, weights=g * beta[t], minlength=n_w) - (a - 1.0)
            grad_b = np.bincount(t, weights=g * s, minlength=answers.n_tasks) - bb
            return -float(value), -np.concatenate([grad_a, grad_b])

        bounds = [(None, None)] * n_w + [(-_B_BOUND, _B_BOUND)] * answers.n_tasks
        res = minimize(
            objective,
            np.concatenate([alpha, b]),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": self.m_step_iter},
        )
        theta = np.asarray(res.x, dtype=np.float64)
        return theta[:n_w], theta[n_w:]
