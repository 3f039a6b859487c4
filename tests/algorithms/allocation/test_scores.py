"""Matching score M(t, u), difficulty and the dynamic-overlap rule, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.allocation import (
    DifficultySignals,
    OverlapPolicy,
    PairWeights,
    accuracy_gain,
    answer_disagreement,
    deadline_urgency,
    gain_matrix,
    information_gain,
    match_scores,
    posterior_entropy,
    skill_eligible,
    skill_mask,
    task_difficulty,
)
from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.skills import one_coin_confusion

PERFECT = np.eye(2)
SPAMMER = np.full((2, 2), 0.5)
CONF = np.array([PERFECT, SPAMMER, one_coin_confusion(0.8, 2)])


def test_perfect_worker_gains_the_remaining_error_and_spammer_nothing() -> None:
    post = np.array([[0.5, 0.5], [0.9, 0.1]])
    gain = accuracy_gain(post, CONF, [0, 0, 1, 1], [0, 1, 0, 1])
    assert gain.tolist() == pytest.approx([0.5, 0.0, 0.1, 0.0])


def test_accuracy_gain_of_a_good_worker_by_hand() -> None:
    # p = (0.5, 0.5), q = 0.8: sum_l max_k p_k pi_kl = 0.4 + 0.4 = 0.8, minus 0.5
    assert accuracy_gain([[0.5, 0.5]], CONF, [0], [2])[0] == pytest.approx(0.3)
    # p = (0.9, 0.1): no single answer flips the label, so the accuracy gain is 0 ...
    assert accuracy_gain([[0.9, 0.1]], CONF, [0], [2])[0] == pytest.approx(0.0)
    # ... while the information gain is still positive, and 0 for the spammer
    info = information_gain([[0.9, 0.1]], CONF, [0, 0], [2, 1])
    assert info[0] > 0.01
    assert info[1] == pytest.approx(0.0, abs=1e-12)


def test_information_gain_of_perfect_worker_is_the_entropy() -> None:
    post = np.array([[0.7, 0.3]])
    expected = -(0.7 * np.log(0.7) + 0.3 * np.log(0.3))
    assert information_gain(post, CONF, [0], [0])[0] == pytest.approx(expected)


def test_gain_matrix_matches_pairs() -> None:
    post = np.array([[0.5, 0.5], [0.9, 0.1], [0.6, 0.4]])
    dense = gain_matrix(post, CONF)
    assert dense.shape == (3, 3)
    assert dense[2, 2] == pytest.approx(accuracy_gain(post, CONF, [2], [2])[0])


def test_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="confusion"):
        accuracy_gain([[0.5, 0.5]], np.ones((1, 3, 3)), [0], [0])
    with pytest.raises(ValueError, match="posteriors"):
        accuracy_gain([0.5, 0.5], CONF, [0], [0])
    with pytest.raises(ValueError, match="equal lengths"):
        accuracy_gain([[0.5, 0.5]], CONF, [0, 0], [0])


def test_match_score_weights_cost_and_constraints() -> None:
    post = np.array([[0.5, 0.5], [0.5, 0.5]])
    weights = PairWeights(
        priority=[2.0, 1.0],
        urgency=[1.0, 1.5],
        cost=[1.0, 1.0, 1.0],
        cost_weight=0.1,
        eligible=[True, True, False],
        gain="accuracy",
    )
    score = match_scores(post, CONF, [0, 1, 1], [0, 0, 1], weights)
    assert score[0] == pytest.approx(0.5 * 2.0 - 0.1)
    assert score[1] == pytest.approx(0.5 * 1.5 - 0.1)
    assert score[2] == -np.inf


def test_match_score_bad_weights() -> None:
    post = np.array([[0.5, 0.5]])
    with pytest.raises(ValueError, match="cost"):
        match_scores(post, CONF, [0], [0], PairWeights(cost=[1.0, 2.0], cost_weight=1.0))
    with pytest.raises(ValueError, match="eligible"):
        match_scores(post, CONF, [0], [0], PairWeights(eligible=[True, False]))
    with pytest.raises(ValueError, match="gain"):
        match_scores(post, CONF, [0], [0], PairWeights(gain="magic"))  # type: ignore[arg-type]


def test_spammer_scores_below_a_perfect_worker_with_default_gain() -> None:
    score = match_scores([[0.6, 0.4]], CONF, [0, 0], [0, 1])
    assert score[0] > 0.5
    assert score[1] == pytest.approx(0.0, abs=1e-12)


def test_deadline_urgency() -> None:
    u = deadline_urgency([np.inf, 20.0, 5.0, 0.0, -3.0], 10.0, alpha=2.0)
    assert u.tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="horizon"):
        deadline_urgency([1.0], 0.0)
    with pytest.raises(ValueError, match="alpha"):
        deadline_urgency([1.0], 1.0, alpha=-1.0)


def test_skill_constraints_are_subset_checks() -> None:
    required = skill_mask([[True, False], [False, False], [True, True]])
    has = skill_mask([[True, False], [False, True]])
    ok = skill_eligible(required, has, [0, 0, 1, 2, 2], [0, 1, 1, 0, 1])
    assert ok.tolist() == [True, False, True, False, False]
    with pytest.raises(ValueError, match="has_skill"):
        skill_mask(np.ones((1, 64), dtype=bool))


def test_difficulty_signals() -> None:
    assert posterior_entropy([[1.0, 0.0], [0.5, 0.5]]).tolist() == pytest.approx([0.0, 1.0])
    assert posterior_entropy(np.ones((2, 1))).tolist() == [0.0, 0.0]
    answers = Answers(
        np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([1, 1, 0, 1]), 3, 2, 2
    )
    dis = answer_disagreement(answers)
    assert dis[:2].tolist() == [0.0, 1.0]
    assert np.isnan(dis[2])
    d = task_difficulty(3, DifficultySignals(disagreement=dis, prior=[np.nan, np.nan, 0.2]))
    assert d.tolist() == pytest.approx([0.0, 1.0, 0.2])
    assert task_difficulty(1, DifficultySignals()).tolist() == [0.5]
    with pytest.raises(ValueError, match="shape"):
        task_difficulty(2, DifficultySignals(entropy=[0.1]))


def test_overlap_policy_stops_confident_tasks_after_the_minimum() -> None:
    policy = OverlapPolicy(min_answers=2, max_answers=4, target_confidence=0.9)
    n = np.array([1, 2, 2, 4, 3])
    conf = np.array([0.99, 0.95, 0.6, 0.5, 0.7])
    assert policy.is_done(n, conf).tolist() == [False, True, False, True, False]
    assert policy.wanted(n, conf).tolist() == [1, 0, 1, 0, 1]
    assert policy.wanted([0], [0.5]).tolist() == [2]


def test_fixed_overlap_never_stops_early() -> None:
    policy = OverlapPolicy.fixed(3)
    assert policy.is_fixed
    assert policy.is_done([2, 3], [1.0, 0.4]).tolist() == [False, True]


def test_escalation_floor_for_hard_open_tasks() -> None:
    policy = OverlapPolicy(1, 6, 0.9, escalate_after=3, escalate_ability=0.8)
    floor = policy.ability_floor([1, 3, 3, 6], [0.5, 0.5, 0.95, 0.5])
    assert floor.tolist() == [0.0, 0.8, 0.0, 0.0]
    assert OverlapPolicy().ability_floor([5], [0.1]).tolist() == [0.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_answers": 0}, "min_answers"),
        ({"min_answers": 3, "max_answers": 2}, "max_answers"),
        ({"target_confidence": 0.0}, "target_confidence"),
        ({"escalate_after": 0}, "escalate_after"),
        ({"escalate_ability": 2.0}, "escalate_ability"),
    ],
)
def test_overlap_policy_validation(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OverlapPolicy(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="shape"):
        OverlapPolicy().is_done([1, 2], [0.5])
