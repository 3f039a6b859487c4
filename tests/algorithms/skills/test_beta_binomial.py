"""Beta-binomial ability, forgetting, and ability from confusion matrices."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.skills import (
    ability_from_confusion,
    ability_from_counts,
    decay_weights,
    decayed_counts,
    one_coin_confusion,
    shrink_confusion,
    update_counts,
)


def test_posterior_mean_and_interval_by_hand() -> None:
    a = ability_from_counts([8.0, 0.0], [2.0, 0.0])
    assert a.alpha.tolist() == [9.0, 1.0]
    assert a.beta.tolist() == [3.0, 1.0]
    assert a.mean.tolist() == pytest.approx([0.75, 0.5])
    assert a.lower[1] == pytest.approx(0.05)  # Beta(1, 1): uniform
    assert a.upper[1] == pytest.approx(0.95)
    assert a.lower[0] < 0.75 < a.upper[0]


def test_more_evidence_narrows_interval() -> None:
    few = ability_from_counts([3.0], [0.0])
    many = ability_from_counts([300.0], [0.0])
    assert many.lower[0] > few.lower[0]
    assert few.lower[0] < 0.6  # three lucky answers do not make an expert


def test_per_skill_shape_kept() -> None:
    a = ability_from_counts(np.ones((4, 3)), np.zeros((4, 3)))
    assert a.mean.shape == a.lower.shape == (4, 3)


@pytest.mark.parametrize(
    ("correct", "incorrect", "prior", "message"),
    [
        ([1.0], [1.0, 2.0], (1.0, 1.0), "same shape"),
        ([-1.0], [1.0], (1.0, 1.0), ">= 0"),
        ([1.0], [1.0], (0.0, 1.0), "> 0"),
    ],
)
def test_bad_counts(
    correct: list[float], incorrect: list[float], prior: tuple[float, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ability_from_counts(correct, incorrect, prior=prior)


def test_half_life_weights() -> None:
    assert decay_weights([0.0, 10.0, 20.0], 10.0).tolist() == [1.0, 0.5, 0.25]
    assert decay_weights([5.0], None).tolist() == [1.0]
    with pytest.raises(ValueError, match="half_life"):
        decay_weights([1.0], 0.0)
    with pytest.raises(ValueError, match="ages"):
        decay_weights([-1.0], 1.0)


def test_decayed_counts_per_worker_and_skill() -> None:
    good, bad = decayed_counts(
        [0, 0, 1], [1.0, 0.0, 1.0], [10.0, 0.0, 10.0], now=10.0, half_life=10.0, shape=(2,)
    )
    assert good.tolist() == [1.0, 1.0]
    assert bad.tolist() == [0.5, 0.0]
    good2, _ = decayed_counts(
        [0, 0], [1.0, 1.0], [0.0, 0.0], now=0.0, half_life=None, shape=(1, 2), skill_idx=[0, 1]
    )
    assert good2.tolist() == [[1.0, 1.0]]
    with pytest.raises(ValueError, match="skill_idx"):
        decayed_counts([0], [1.0], [0.0], now=0.0, half_life=None, shape=(1, 2))
    with pytest.raises(ValueError, match="out of range"):
        decayed_counts([3], [1.0], [0.0], now=0.0, half_life=None, shape=(2,))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        decayed_counts([0], [2.0], [0.0], now=0.0, half_life=None, shape=(1,))


def test_online_update_equals_batch() -> None:
    c, i = update_counts(np.array([4.0]), np.array([2.0]), 5.0, 5.0)
    assert c.tolist() == [2.0]
    assert i.tolist() == [1.0]


def test_ability_from_confusion() -> None:
    conf = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.5, 0.5]]])
    a = ability_from_confusion(conf, [100, 100])
    assert a.mean.tolist() == pytest.approx([86 / 102, 51 / 102])
    skewed = ability_from_confusion(conf, [100, 100], priors=[1.0, 0.0])
    assert skewed.mean[0] == pytest.approx(91 / 102)
    with pytest.raises(ValueError, match="priors"):
        ability_from_confusion(conf, [1, 1], priors=[1.0])
    with pytest.raises(ValueError, match="n_answers"):
        ability_from_confusion(conf, [1])
    with pytest.raises(ValueError, match="confusion"):
        ability_from_confusion(np.ones((2, 2)), [1, 1])


def test_shrink_confusion_toward_prior() -> None:
    conf = np.array([np.eye(2)])
    prior = np.full((2, 2), 0.5)
    none = shrink_confusion(conf, [0], prior_confusion=prior)
    assert none[0].tolist() == prior.tolist()
    lots = shrink_confusion(conf, [10_000], prior_confusion=prior)
    assert lots[0, 0, 0] > 0.99
    with pytest.raises(ValueError, match="prior_confusion"):
        shrink_confusion(conf, [1], prior_confusion=np.ones(2))
    with pytest.raises(ValueError, match="strength"):
        shrink_confusion(conf, [1], prior_confusion=prior, strength=-1.0)


def test_one_coin_confusion() -> None:
    conf = one_coin_confusion([0.7, 1.0], 3)
    assert conf.shape == (2, 3, 3)
    assert conf.sum(axis=2) == pytest.approx(np.ones((2, 3)))
    assert conf[0, 1, 1] == pytest.approx(0.7)
    assert conf[0, 1, 0] == pytest.approx(0.15)
    assert one_coin_confusion([0.3], 1).tolist() == [[[1.0]]]
    with pytest.raises(ValueError, match="n_labels"):
        one_coin_confusion([0.5], 0)
    with pytest.raises(ValueError, match="accuracy"):
        one_coin_confusion([1.5], 2)
