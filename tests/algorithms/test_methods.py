"""Hand-computed toy cases, planted-truth recovery and warm starts per method."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.answers import Answers, NumericAnswers
from crowdloop.algorithms.metrics import accuracy, beta_interval, mean_absolute_error
from crowdloop.algorithms.truth import (
    GLAD,
    MACE,
    Auto,
    DawidSkene,
    MajorityVote,
    MeanAggregator,
    MedianAggregator,
    OneCoinDawidSkene,
    WeightedMajorityVote,
    WeightedNumeric,
)
from crowdloop.algorithms.truth.base import ConvergenceWarning

from .conftest import synthetic

# Toy set (crowd-kit's toy_answers_df shape): 3 tasks, 3 workers, 2 labels.
TOY = Answers(
    np.array([0, 0, 0, 1, 1, 1, 2, 2]),
    np.array([0, 1, 2, 0, 1, 2, 0, 1]),
    np.array([1, 1, 0, 0, 0, 1, 1, 0]),
    3, 3, 2,
)  # fmt: skip


class TestMajorityVote:
    def test_shares_by_hand(self) -> None:
        est = MajorityVote().fit(TOY)
        np.testing.assert_allclose(est.posteriors_, [[1 / 3, 2 / 3], [2 / 3, 1 / 3], [0.5, 0.5]])
        assert est.labels_.tolist() == [1, 0, 0]  # tie -> lowest code

    def test_worker_accuracy_is_beta_posterior_of_soft_agreement(self) -> None:
        est = MajorityVote().fit(TOY)
        # worker 0: 2/3 + 2/3 + 1/2 expected correct out of 3 answers, Beta(1, 1) prior
        assert est.worker_accuracy_[0] == pytest.approx((1 + 2 / 3 + 2 / 3 + 0.5) / 5)


class TestDawidSkene:
    def test_two_tasks_by_hand(self) -> None:
        a = Answers(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1, 1, 0, 0]), 2, 2, 2)
        est = DawidSkene().fit(a)
        assert est.labels_.tolist() == [1, 0]
        assert est.confusion_.shape == (2, 2, 2)
        np.testing.assert_allclose(est.confusion_.sum(axis=2), 1.0)
        np.testing.assert_allclose(est.priors_, [0.5, 0.5])

    def test_warm_start_converges_faster_to_same_answer(self) -> None:
        full, _ = synthetic(n_tasks=600, n_workers=30, seed=7)
        n_old = full.n_answers - 10
        old = Answers(
            full.task_idx[:n_old], full.worker_idx[:n_old], full.label_idx[:n_old], 600, 30, 3
        )
        prev = DawidSkene().fit(old)
        cold = DawidSkene().fit(full)
        warm = DawidSkene().fit(full, init=prev)
        assert warm.n_iter_ < cold.n_iter_
        assert np.mean(warm.labels_ == cold.labels_) > 0.99

    def test_warm_start_with_new_workers(self) -> None:
        full, _ = synthetic(n_tasks=100, n_workers=12, seed=8)
        keep = full.worker_idx < 10
        old = Answers(full.task_idx[keep], full.worker_idx[keep], full.label_idx[keep], 100, 10, 3)
        est = DawidSkene().fit(full, init=DawidSkene().fit(old))
        assert est.confusion_.shape == (12, 3, 3)

    def test_init_must_be_fitted(self) -> None:
        with pytest.raises(ValueError, match="init must be a fitted DawidSkene"):
            DawidSkene().fit(TOY, init=DawidSkene())

    def test_convergence_warning(self) -> None:
        answers, _ = synthetic(n_tasks=100, n_workers=10, seed=5)
        with pytest.warns(ConvergenceWarning, match="did not converge in 1 iterations"):
            est = DawidSkene(n_iter=1, tol=0.0).fit(answers)
        assert not est.converged_
        assert est.n_iter_ == 1


class TestConstrainedModels:
    def test_one_coin_confusion_is_symmetric(self) -> None:
        answers, _ = synthetic(n_tasks=200, n_workers=10, seed=6)
        conf = OneCoinDawidSkene().fit(answers).confusion_
        off = conf[:, 0, 1]
        np.testing.assert_allclose(conf[:, 2, 0], off)
        np.testing.assert_allclose(conf.sum(axis=2), 1.0)

    def test_mace_flags_spammer(self) -> None:
        answers, truth = synthetic(n_tasks=300, n_workers=10, seed=9)
        rng = np.random.default_rng(0)
        label = np.where(answers.worker_idx == 0, rng.integers(0, 3, answers.n_answers),
                         truth[answers.task_idx])  # fmt: skip
        est = MACE().fit(Answers(answers.task_idx, answers.worker_idx, label, 300, 10, 3))
        assert int(np.argmax(est.spam_)) == 0
        np.testing.assert_allclose(est.spam_strategy_.sum(axis=1), 1.0)

    def test_glad_ranks_adversary_lowest(self) -> None:
        answers, truth = synthetic(n_tasks=200, n_workers=10, seed=10)
        label = np.where(answers.worker_idx == 3, (truth[answers.task_idx] + 1) % 3,
                         answers.label_idx)  # fmt: skip
        est = GLAD().fit(Answers(answers.task_idx, answers.worker_idx, label, 200, 10, 3))
        assert int(np.argmin(est.alphas_)) == 3
        assert est.betas_.shape == (200,)
        assert np.all(est.betas_ > 0)


@pytest.mark.parametrize(
    ("estimator", "floor"),
    [
        (MajorityVote(), 0.75),
        (WeightedMajorityVote(), 0.78),
        (DawidSkene(), 0.9),
        (Auto(), 0.9),
        (OneCoinDawidSkene(), 0.8),
        (MACE(), 0.8),
        (GLAD(), 0.78),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, float) else str(v),
)
def test_planted_truth_recovery(estimator: object, floor: float) -> None:
    answers, truth = synthetic(n_tasks=1500, n_workers=40, per_task=5, seed=11)
    acc = accuracy(truth, estimator.fit(answers).labels_)  # type: ignore[attr-defined]
    assert acc >= floor
    mv = accuracy(truth, MajorityVote().fit(answers).labels_)
    if isinstance(estimator, DawidSkene) and not isinstance(estimator, OneCoinDawidSkene | MACE):
        assert acc > mv + 0.05  # biased errors: full confusions must beat MV clearly


def test_planted_worker_accuracy_interval_covers_truth() -> None:
    answers, truth = synthetic(n_tasks=1000, n_workers=20, seed=12)
    est = Auto().fit(answers)
    right = np.bincount(
        answers.worker_idx, weights=answers.label_idx == truth[answers.task_idx], minlength=20
    )
    true_acc = right / np.bincount(answers.worker_idx, minlength=20)
    lo, hi = est.worker_accuracy_interval_.T
    assert np.mean((lo - 0.02 <= true_acc) & (true_acc <= hi + 0.02)) >= 0.85


class TestNumeric:
    A = NumericAnswers(
        np.array([0, 0, 0, 1, 1]), np.array([0, 1, 2, 0, 1]),
        np.array([1.0, 2.0, 9.0, 4.0, 6.0]), 2, 3,
    )  # fmt: skip

    def test_mean_and_median_by_hand(self) -> None:
        assert MeanAggregator().fit(self.A).values_.tolist() == [4.0, 5.0]
        assert MedianAggregator().fit(self.A).values_.tolist() == [2.0, 5.0]

    def test_weighted_downweights_noisy_worker(self) -> None:
        rng = np.random.default_rng(0)
        truth = rng.normal(0, 10, 400)
        task = np.repeat(np.arange(400), 4)
        worker = np.tile(np.arange(4), 400)
        noise = np.array([1.0, 1.0, 1.0, 15.0])[worker] * rng.standard_normal(task.size)
        a = NumericAnswers(task, worker, truth[task] + noise, 400, 4)
        weighted = WeightedNumeric().fit(a)
        assert mean_absolute_error(truth, weighted.values_) < 0.6 * mean_absolute_error(
            truth, MeanAggregator().fit(a).values_
        )
        assert int(np.argmax(weighted.worker_std_)) == 3

    def test_bias_estimation(self) -> None:
        rng = np.random.default_rng(1)
        truth = rng.normal(0, 10, 300)
        task = np.repeat(np.arange(300), 3)
        worker = np.tile(np.arange(3), 300)
        a = NumericAnswers(task, worker, truth[task] + np.array([-5.0, 0.0, 5.0])[worker], 300, 3)
        est = WeightedNumeric(estimate_bias=True).fit(a)
        np.testing.assert_allclose(est.worker_bias_, [-5.0, 0.0, 5.0], atol=0.2)


def test_beta_interval_three_of_three_is_not_certain() -> None:
    mean, iv = beta_interval([3.0], [3.0])
    assert mean[0] == pytest.approx(0.8)
    assert iv[0, 0] < 0.5 < iv[0, 1] <= 1.0
