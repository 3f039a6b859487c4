"""Accuracy goals on the shared real datasets (skipped when ../shared/data is absent)."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.metrics import accuracy, mean_absolute_error
from crowdloop.algorithms.truth import Auto, DawidSkene, MeanAggregator, WeightedNumeric

from .conftest import load_categorical, load_numeric

# crowd-kit 1.4.2 DawidSkene, default settings (../shared/data/README.md)
CROWDKIT_DS = {
    "zheng_d_product": 0.9397, "zheng_d_possent": 0.9600, "zheng_s_rel": 0.6173,
    "zheng_s_adult": 0.7658, "zheng_d_duck": 0.8889, "zheng_s_dog": 0.8426,
    "zheng_s_face": 0.6404, "snow_rte": 0.9275, "act_sp": 0.9152,
}  # fmt: skip


@pytest.fixture(scope="module")
def auto_accuracy() -> dict[str, float]:
    out = {}
    for name in CROWDKIT_DS:
        answers, gold = load_categorical(name)
        out[name] = accuracy(gold, Auto().fit(answers).labels_)  # no gold given
    return out


@pytest.mark.parametrize("name", sorted(CROWDKIT_DS))
def test_auto_never_half_a_point_under_crowdkit_ds(
    auto_accuracy: dict[str, float], name: str
) -> None:
    assert auto_accuracy[name] >= CROWDKIT_DS[name] - 0.005


def test_auto_mean_beats_crowdkit_ds(auto_accuracy: dict[str, float]) -> None:
    assert np.mean(list(auto_accuracy.values())) >= np.mean(list(CROWDKIT_DS.values()))


@pytest.mark.xfail(reason="issue-3 goal 0.840 not reached yet (Auto: 0.8348)", strict=True)
def test_auto_mean_reaches_issue_goal(auto_accuracy: dict[str, float]) -> None:
    assert np.mean(list(auto_accuracy.values())) >= 0.840


def test_gold_helps_semi_supervised() -> None:
    answers, gold = load_categorical("zheng_s_face")
    rng = np.random.default_rng(0)
    known = np.flatnonzero(gold >= 0)
    given = rng.choice(known, size=known.size // 10, replace=False)
    partial = np.full_like(gold, -1)
    partial[given] = gold[given]
    scored = gold.copy()
    scored[given] = -1  # score only the tasks whose gold was hidden
    plain = accuracy(scored, Auto().fit(answers).labels_)
    semi = accuracy(scored, Auto().fit(answers, gold=partial).labels_)
    assert semi >= plain - 0.005


def test_numeric_weighted_beats_mean_and_survey_best() -> None:
    answers, gold = load_numeric("zheng_n_emotion")
    mean_mae = mean_absolute_error(gold, MeanAggregator().fit(answers).values_)
    assert mean_mae == pytest.approx(12.022, abs=1e-3)
    weighted = mean_absolute_error(gold, WeightedNumeric().fit(answers).values_)
    assert weighted < mean_mae - 0.05  # 11.96; the survey's best (LFC_N) is 12.20


def _log_loss(post: np.ndarray, gold: np.ndarray) -> float:
    known = gold >= 0
    return float(-np.mean(np.log(np.maximum(post[known, gold[known]], 1e-12))))


@pytest.mark.parametrize("name", ["zheng_s_adult", "zheng_s_face", "snow_rte"])
def test_auto_posteriors_better_calibrated_than_plain_ds(name: str) -> None:
    answers, gold = load_categorical(name)
    auto = _log_loss(Auto().fit(answers).posteriors_, gold)
    vb = _log_loss(
        DawidSkene(estimate="vb", smoothing=0.05, shrinkage=2, diagonal=1).fit(answers).posteriors_,
        gold,
    )
    assert auto < _log_loss(DawidSkene().fit(answers).posteriors_, gold)
    assert auto < vb  # the previous default, with hand-set prior constants


@pytest.mark.xfail(
    reason="issue-3 numeric goal MAE <= 11.4 not reached (weighted: 11.96; even inverse-variance "
    "weights computed from the gold reach only 11.49)",
    strict=True,
)
def test_numeric_reaches_issue_goal() -> None:
    answers, gold = load_numeric("zheng_n_emotion")
    assert mean_absolute_error(gold, WeightedNumeric().fit(answers).values_) <= 11.4
