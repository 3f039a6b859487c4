"""Replay engine, the online one-coin posterior, and the crowd simulator."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from crowdloop.algorithms.allocation import (
    OnlineOneCoin,
    OverlapPolicy,
    one_coin_posteriors,
    pairwise_confidence,
)
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.replay import ReplayPolicy, answer_order, replay
from crowdloop.algorithms.simulate_crowd import CrowdConfig, compare, simulate


def easy_and_contested(
    n_easy: int = 30, n_hard: int = 30, per_task: int = 7
) -> tuple[Answers, np.ndarray]:
    """Easy tasks: every worker agrees. Contested tasks: answers split 4:3."""
    n = n_easy + n_hard
    task = np.repeat(np.arange(n), per_task)
    slot = np.tile(np.arange(per_task), n)
    worker = (task + slot) % 20
    label = np.where((task < n_easy) | (slot < 4), 1, 0)
    gold = np.ones(n, dtype=np.int64)
    return Answers(task, worker, label, n, 20, 2), gold


def test_adaptive_stops_early_on_unanimous_tasks_and_continues_on_contested() -> None:
    answers, gold = easy_and_contested()
    result = replay(answers, ReplayPolicy.adaptive(0.95, 7, min_overlap=2), gold=gold, seed=3)
    easy, hard = result.used_per_task[:30], result.used_per_task[30:]
    assert easy.mean() <= 3
    assert easy.max() < 7
    assert hard.mean() > easy.mean() + 1  # a 4:3 split can open with two agreeing answers
    assert result.labels_used < result.labels_available


def test_fixed_policy_uses_exactly_k() -> None:
    answers, gold = easy_and_contested()
    result = replay(answers, ReplayPolicy.fixed(5, model="mv"), gold=gold, seed=0)
    assert result.used_per_task.tolist() == [5] * 60
    assert result.labels_used == 300
    assert result.labels_per_task == 5.0
    assert result.accuracy is not None
    assert result.short_tasks.size == 0
    assert result.policy.describe() == {"name": "fixed", "overlap": 5, "model": "mv"}


def test_short_tasks_reported_and_use_what_they_have() -> None:
    answers = Answers(
        np.array([0, 0, 0, 1]), np.array([0, 1, 2, 0]), np.array([1, 1, 1, 0]), 2, 3, 2
    )
    result = replay(answers, ReplayPolicy.fixed(3), seed=0)
    assert result.short_tasks.tolist() == [1]
    assert result.used_per_task.tolist() == [3, 1]
    assert result.accuracy is None
    assert result.gold_tasks == 0


def test_seeded_order_is_a_permutation_per_task_and_reproducible() -> None:
    answers, _ = easy_and_contested()
    first, again, other = (
        answer_order(answers, 1),
        answer_order(answers, 1),
        answer_order(answers, 2),
    )
    assert first.tolist() == again.tolist()
    assert first.tolist() != other.tolist()
    for t in range(answers.n_tasks):
        assert sorted(first[answers.task_idx == t].tolist()) == list(range(7))


@pytest.mark.parametrize("model", ["online", "ds", "mv", "one_coin"])
def test_every_model_replays(model: str) -> None:
    answers, gold = easy_and_contested()
    result = replay(answers, ReplayPolicy.adaptive(0.9, 5, model=model), gold=gold, seed=0)
    assert 60 <= result.labels_used <= 300
    assert result.rounds <= 5


def test_policy_validation() -> None:
    with pytest.raises(ValueError, match="unknown policy"):
        ReplayPolicy("magic", OverlapPolicy())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown model"):
        ReplayPolicy.fixed(3, model="nope")
    described = ReplayPolicy.adaptive(0.9, 5, min_overlap=2).describe()
    assert described == {
        "name": "adaptive",
        "confidence": 0.9,
        "min_overlap": 2,
        "max_overlap": 5,
        "model": "online",
    }


def test_no_answers() -> None:
    empty = Answers(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), 0, 0, 2)
    result = replay(empty, ReplayPolicy.fixed(1))
    assert result.labels_used == 0
    assert result.labels_per_task == 0.0


def test_one_coin_posterior_by_hand() -> None:
    # two workers of accuracy 0.8 and 0.6 both say 1: odds 4 * 1.5 = 6 -> 6/7
    answers = Answers(np.array([0, 0]), np.array([0, 1]), np.array([1, 1]), 1, 2, 2)
    post = one_coin_posteriors(answers, np.array([0.8, 0.6]))
    assert post[0, 1] == pytest.approx(6 / 7)
    with pytest.raises(ValueError, match="accuracy"):
        one_coin_posteriors(answers, np.array([0.8]))


def test_pairwise_confidence_assumes_errors_go_to_one_rival() -> None:
    # two workers of accuracy 0.75 agree on label 0 of 4: if all their errors went to one
    # rival, the odds are (0.75 / 0.25)^2 = 9 -> 0.9; spread evenly over 3 labels, 0.98
    answers = Answers(np.array([0, 0, 1]), np.array([0, 1, 0]), np.array([0, 0, 2]), 2, 2, 4)
    q = np.array([0.75, 0.75])
    bound = pairwise_confidence(answers, q, np.array([0, 2]))
    assert bound[0] == pytest.approx(0.9)
    assert one_coin_posteriors(answers, q)[0, 0] == pytest.approx(0.5625 / (0.5625 + 3 / 144))
    assert bound[1] == pytest.approx(0.75)  # one answer: the rival is any other label
    weak = pairwise_confidence(answers, np.array([0.4, 0.75]), np.array([0, 2]))
    assert weak[0] == pytest.approx(0.75)  # a worker under 50% adds no evidence


def test_online_one_coin_stops_on_the_robust_confidence() -> None:
    rng = np.random.default_rng(1)
    task = np.repeat(np.arange(300), 2)
    worker = rng.integers(0, 20, task.size)
    truth = rng.integers(0, 4, 300)
    label = np.where(rng.random(task.size) < 0.8, truth[task], (truth[task] + 1) % 4)
    four = Answers(task, worker, label, 300, 20, 4)
    model = OnlineOneCoin().fit(four)
    post_max = model.posteriors_.max(axis=1)
    assert (model.confidence_ <= post_max + 1e-12).all()
    assert (model.confidence_ < post_max - 0.01).mean() > 0.5  # two answers: much less sure
    gold = {0: int(truth[0])}
    assert OnlineOneCoin().fit(four, gold=gold).confidence_[0] == 1.0
    two = Answers(task, worker, label % 2, 300, 20, 2)
    binary = OnlineOneCoin().fit(two)
    np.testing.assert_allclose(binary.confidence_, binary.posteriors_.max(axis=1))


def test_online_one_coin_learns_a_spammer_and_warm_starts() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 200)
    task = np.repeat(np.arange(200), 3)
    worker = np.tile([0, 1, 2], 200)
    label = np.where(worker < 2, truth[task], rng.integers(0, 2, task.size))
    answers = Answers(task, worker, label, 200, 3, 2)
    model = OnlineOneCoin().fit(answers)
    assert model.accuracy_[:2].min() > 0.9
    assert model.accuracy_[2] < 0.7
    assert (model.labels_ == truth).mean() > 0.98
    warm = OnlineOneCoin().fit(answers, init=model)
    assert warm.n_iter_ <= model.n_iter_
    with pytest.raises(ValueError, match="fitted"):
        OnlineOneCoin().fit(answers, init=OnlineOneCoin())
    with pytest.raises(ValueError, match="prior"):
        OnlineOneCoin(prior=(0.0, 1.0)).fit(answers)


SMALL = dataclasses.replace(CrowdConfig(), n_workers=30, n_tasks=150, steps=30)


def test_simulator_is_seeded_and_value_matching_saves_answers() -> None:
    policy = OverlapPolicy(1, 7, 0.9)
    arms = compare(SMALL, policy, seed=0)
    again = simulate(SMALL, policy, allocator="value", seed=0)
    assert again == arms["value"]
    value, rand = arms["value"], arms["random"]
    assert value.paid_answers < rand.paid_answers
    assert 0.0 <= value.deadline_hit_rate <= 1.0
    assert value.cost > 0


def test_simulator_rejects_unknown_allocator() -> None:
    with pytest.raises(ValueError, match="allocator"):
        simulate(SMALL, OverlapPolicy(), allocator="magic", seed=0)  # type: ignore[arg-type]
