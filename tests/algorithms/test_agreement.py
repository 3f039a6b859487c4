from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.agreement import (
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_agreement,
    worker_agreement,
)
from crowdloop.algorithms.answers import Answers


def _answers(rows: list[tuple[int, int, int]], n_labels: int = 2) -> Answers:
    t, w, lab = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    return Answers(
        task_idx=t,
        worker_idx=w,
        label_idx=lab,
        n_tasks=int(t.max()) + 1,
        n_workers=int(w.max()) + 1,
        n_labels=n_labels,
    )


# Fleiss (1971)-style toy: 3 raters, 4 items.
TOY = [
    (0, 0, 0),
    (0, 1, 0),
    (0, 2, 0),
    (1, 0, 0),
    (1, 1, 1),
    (1, 2, 1),
    (2, 0, 1),
    (2, 1, 1),
    (2, 2, 1),
    (3, 0, 0),
    (3, 1, 0),
    (3, 2, 1),
]


def test_pairwise_hand_computed() -> None:
    # agreeing ordered pairs per item: 6, 2, 6, 2 of 6 each -> 16/24
    assert pairwise_agreement(_answers(TOY)) == pytest.approx(16 / 24)


def test_fleiss_hand_computed() -> None:
    # P_i = 1, 1/3, 1, 1/3 -> P = 2/3; shares 6/12, 6/12 -> Pe = 0.5; kappa = 1/3
    assert fleiss_kappa(_answers(TOY)) == pytest.approx(1 / 3)


def test_krippendorff_hand_computed() -> None:
    # o_01 = o_10 = 1 + 1 (items 1 and 3: 1*2/2 and 2*1/2), n_0 = n_1 = 6, n = 12
    # alpha = 1 - 11 * 4 / (12^2 - 72) = 1 - 44/72
    assert krippendorff_alpha(_answers(TOY)) == pytest.approx(1 - 44 / 72)


def test_perfect_and_degenerate_cases_are_finite() -> None:
    same = _answers([(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1)])
    assert fleiss_kappa(same) == 1.0
    assert krippendorff_alpha(same) == 1.0
    single = _answers([(0, 0, 0), (1, 1, 1)])  # no task has two answers
    for stat in (pairwise_agreement, fleiss_kappa, krippendorff_alpha):
        assert np.isfinite(stat(single))
    assert worker_agreement(single).tolist() == [1.0, 1.0]


def test_worker_agreement_flags_the_odd_one_out() -> None:
    rows = [(t, w, 1 if w == 2 else 0) for t in range(5) for w in range(3)]
    scores = worker_agreement(_answers(rows))
    assert scores[0] == pytest.approx(0.5)
    assert scores[2] == 0.0
