"""The lean EM kernels: CSR built without COO, float32 work arrays, chunked counting."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms._validation import count_codes
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth import Auto, DawidSkene, _em
from crowdloop.algorithms.truth.auto import fit_dirichlet
from crowdloop.algorithms.truth.base import design_matrix, normalise_log

from .conftest import synthetic


def _shuffled(answers: Answers, seed: int) -> Answers:
    order = np.random.default_rng(seed).permutation(answers.n_answers)
    return Answers(
        answers.task_idx[order], answers.worker_idx[order], answers.label_idx[order],
        answers.n_tasks, answers.n_workers, answers.n_labels,
    )  # fmt: skip


@pytest.mark.parametrize("shuffle", [False, True])
def test_answer_matrix_matches_coo_reference(shuffle: bool) -> None:
    answers, _ = synthetic(n_tasks=50, n_workers=7, seed=1)
    dup = Answers(  # a repeated (task, worker, label) row counts twice
        np.append(answers.task_idx, 3), np.append(answers.worker_idx, answers.worker_idx[15]),
        np.append(answers.label_idx, answers.label_idx[15]), 50, 7, 3,
    )  # fmt: skip
    a = _shuffled(dup, 0) if shuffle else dup
    ours = _em.answer_matrix(a)
    assert ours.indices.dtype == np.int32
    assert ours.data.dtype == np.float32
    np.testing.assert_array_equal(ours.toarray(), design_matrix(a).toarray())


def test_e_step_float32_matches_float64_reference() -> None:
    answers, _ = synthetic(n_tasks=200, n_workers=12, seed=2)
    rng = np.random.default_rng(0)
    log_conf = np.log(rng.dirichlet(np.ones(3), size=(12, 3)))  # [w, answer, true] rows
    log_prior = np.log([0.2, 0.3, 0.5])
    post, ll = _em.e_step(
        _em.answer_matrix(answers), log_conf, log_prior, np.full(200, -1, dtype=np.int64)
    )
    ref, ref_ll = normalise_log(design_matrix(answers) @ log_conf.reshape(-1, 3) + log_prior)
    np.testing.assert_allclose(post, ref, atol=1e-5)
    assert ll == pytest.approx(ref_ll, rel=1e-5)
    assert post.flags.f_contiguous


def test_dawid_skene_does_not_depend_on_answer_order() -> None:
    answers, _ = synthetic(n_tasks=300, n_workers=20, seed=3)
    a = DawidSkene().fit(answers)
    b = DawidSkene().fit(_shuffled(answers, 1))
    np.testing.assert_allclose(a.posteriors_, b.posteriors_, atol=1e-5)
    np.testing.assert_array_equal(a.worker_n_answers_, b.worker_n_answers_)


def test_count_codes_matches_bincount_across_chunks() -> None:
    codes = np.random.default_rng(4).integers(0, 1000, (1 << 20) + 12345)
    codes.setflags(write=False)
    np.testing.assert_array_equal(count_codes(codes, 1003), np.bincount(codes, minlength=1003))


def test_fit_dirichlet_recovers_planted_prior() -> None:
    rng = np.random.default_rng(5)
    alpha = np.array([6.0, 1.5, 0.5])
    rows = rng.dirichlet(alpha, size=3000)
    counts = np.array([rng.multinomial(12, p) for p in rows], dtype=np.float64)
    counts[:50] = 0.0  # workers without answers for this class are ignored
    fitted = fit_dirichlet(np.ones(3), counts, n_steps=500)
    np.testing.assert_allclose(fitted, alpha, rtol=0.15)


def test_auto_learns_prior_and_pools_sparse_workers() -> None:
    answers, _ = synthetic(n_tasks=1500, n_workers=40, per_task=5, seed=6)
    est = Auto().fit(answers)
    assert est.prior_.shape == (3, 3)
    assert np.all(np.diag(est.prior_) > est.prior_.sum(axis=1) / 3)  # workers beat chance
    # a new worker with one answer keeps the crowd's typical confusion for the classes
    # that answer (task 0) almost surely is not
    one = Answers(
        np.append(answers.task_idx, 0), np.append(answers.worker_idx, 40),
        np.append(answers.label_idx, 0), 1500, 41, 3,
    )  # fmt: skip
    fitted = Auto().fit(one)
    crowd = fitted.prior_ / fitted.prior_.sum(axis=1, keepdims=True)
    unlikely = fitted.posteriors_[0] < 1e-3
    assert unlikely.sum() == 2
    np.testing.assert_allclose(fitted.confusion_[40][unlikely], crowd[unlikely], atol=1e-3)


def test_auto_warm_start_continues_from_previous_prior() -> None:
    full, _ = synthetic(n_tasks=600, n_workers=30, seed=7)
    n_old = full.n_answers - 10
    old = Answers(
        full.task_idx[:n_old], full.worker_idx[:n_old], full.label_idx[:n_old], 600, 30, 3
    )
    cold = Auto().fit(full)
    warm = Auto().fit(full, init=Auto().fit(old))
    assert warm.n_iter_ < cold.n_iter_
    assert np.mean(warm.labels_ == cold.labels_) > 0.99
