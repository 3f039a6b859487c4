"""Estimator contract, checked for every registered method (after sklearn's checks)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.answers import Answers, NumericAnswers
from crowdloop.algorithms.truth import (
    CATEGORICAL_METHODS,
    METHODS,
    NUMERIC_METHODS,
    NumericInference,
    TruthInference,
)

from .conftest import synthetic

CATEGORICAL = sorted(CATEGORICAL_METHODS)
NUMERIC = sorted(NUMERIC_METHODS)


def make(name: str) -> TruthInference:
    return CATEGORICAL_METHODS[name]()


def test_registry_covers_cli_names() -> None:
    expected = {"mv", "wmv", "ds", "one_coin", "glad", "mace", "mean", "median", "weighted"}
    assert expected | {"auto"} == set(METHODS)


@pytest.mark.parametrize("name", CATEGORICAL)
class TestCategoricalContract:
    def test_fit_returns_self_with_shapes(self, name: str) -> None:
        answers, _ = synthetic(n_tasks=60, n_workers=8)
        est = make(name)
        assert est.fit(answers) is est
        assert est.posteriors_.shape == (60, 3)
        assert est.labels_.dtype == np.int64
        assert est.labels_.shape == (60,)
        assert est.worker_accuracy_.shape == (8,)
        assert est.worker_accuracy_interval_.shape == (8, 2)
        assert np.all(est.worker_accuracy_interval_[:, 0] <= est.worker_accuracy_)
        assert np.allclose(est.posteriors_.sum(axis=1), 1.0)
        assert np.array_equal(est.confidence_, est.posteriors_.max(axis=1))

    def test_refit_is_deterministic_and_forgets(self, name: str) -> None:
        a1, _ = synthetic(n_tasks=60, n_workers=8, seed=1)
        a2, _ = synthetic(n_tasks=40, n_workers=6, seed=2)
        est = make(name)
        first = est.fit(a1).posteriors_.copy()
        est.fit(a2)
        assert est.posteriors_.shape == (40, 3)
        np.testing.assert_allclose(est.fit(a1).posteriors_, first)

    def test_empty_input(self, name: str) -> None:
        empty = np.zeros(0, dtype=np.int64)
        est = make(name).fit(Answers(empty, empty, empty, 0, 0, 2))
        assert est.posteriors_.shape == (0, 2)
        assert est.labels_.shape == (0,)
        assert est.worker_accuracy_.shape == (0,)

    def test_unanswered_tasks_and_workers_are_sane(self, name: str) -> None:
        a = Answers(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([1, 1, 0]), 4, 3, 3)
        est = make(name).fit(a)
        assert np.all(np.isfinite(est.posteriors_))
        assert np.allclose(est.posteriors_.sum(axis=1), 1.0)
        assert np.allclose(est.posteriors_[2], est.posteriors_[3])
        assert est.worker_accuracy_[2] == pytest.approx(0.5)

    def test_all_identical_answers(self, name: str) -> None:
        a = Answers(np.arange(6) // 2, np.arange(6) % 2, np.zeros(6, np.int64), 3, 2, 2)
        est = make(name).fit(a)
        assert est.labels_.tolist() == [0, 0, 0]
        assert np.all(np.isfinite(est.posteriors_))
        assert np.all(np.isfinite(est.worker_accuracy_))

    def test_relabelling_classes_permutes_output(self, name: str) -> None:
        answers, _ = synthetic(n_tasks=80, n_workers=10, seed=3)
        perm = np.array([2, 0, 1])
        relabelled = Answers(
            answers.task_idx, answers.worker_idx, perm[answers.label_idx], 80, 10, 3
        )
        base = make(name).fit(answers).posteriors_
        moved = make(name).fit(relabelled).posteriors_
        np.testing.assert_allclose(moved[:, perm], base, atol=1e-6)

    def test_inputs_not_mutated_and_gold_clamped(self, name: str) -> None:
        answers, truth = synthetic(n_tasks=50, n_workers=8, seed=4)
        before = (answers.task_idx.copy(), answers.label_idx.copy())
        gold = {0: int(truth[0]), 1: int((truth[1] + 1) % 3)}
        gold_copy = dict(gold)
        est = make(name).fit(answers, gold=gold)
        assert gold == gold_copy
        assert np.array_equal(answers.task_idx, before[0])
        assert np.array_equal(answers.label_idx, before[1])
        assert est.labels_[1] == gold[1]
        assert est.posteriors_[1, gold[1]] == 1.0

    def test_bad_gold(self, name: str) -> None:
        answers, _ = synthetic(n_tasks=10, n_workers=5)
        with pytest.raises(ValueError, match="gold labels must be -1"):
            make(name).fit(answers, gold={0: 7})


@pytest.mark.parametrize("name", NUMERIC)
class TestNumericContract:
    def test_fit_and_gold(self, name: str) -> None:
        a = NumericAnswers(
            np.array([0, 0, 1, 1, 2]), np.array([0, 1, 0, 1, 0]),
            np.array([1.0, 3.0, 10.0, 14.0, 5.0]), 4, 2,
        )  # fmt: skip
        values = a.values.copy()
        est: NumericInference = NUMERIC_METHODS[name]()
        assert est.fit(a, gold={2: 6.0}) is est
        assert np.array_equal(a.values, values)
        assert est.values_.shape == (4,)
        assert np.isnan(est.values_[3])
        assert est.values_[2] == 6.0
        assert est.confidence_[2] == 0.0
        assert 1.0 <= est.values_[0] <= 3.0
        assert est.worker_std_.shape == (2,)

    def test_empty(self, name: str) -> None:
        empty = np.zeros(0, dtype=np.int64)
        est = NUMERIC_METHODS[name]().fit(NumericAnswers(empty, empty, np.zeros(0), 0, 0))
        assert est.values_.shape == (0,)
        assert est.worker_std_.shape == (0,)
