"""Push assignment: every method respects capacities; flow and lap are optimal."""

from __future__ import annotations

import numpy as np
import pytest

from crowdloop.algorithms.allocation import assign, has_ortools

METHODS = ["lap", "greedy", pytest.param("flow", marks=pytest.mark.skipif(
    not has_ortools(), reason="OR-Tools is optional and not installed"))]  # fmt: skip


def brute_force(t: list[int], w: list[int], v: list[float], tcap: int, wcap: int) -> float:
    best = 0.0
    for mask in range(1 << len(t)):
        chosen = [i for i in range(len(t)) if mask >> i & 1]
        if any(v[i] <= 0 for i in chosen):
            continue
        if chosen and np.bincount([t[i] for i in chosen]).max() > tcap:
            continue
        if chosen and np.bincount([w[i] for i in chosen]).max() > wcap:
            continue
        best = max(best, sum(v[i] for i in chosen))
    return best


def random_graph(
    seed: int, n_tasks: int = 6, n_workers: int = 3
) -> tuple[list[int], list[int], list[float]]:
    rng = np.random.default_rng(seed)
    pairs = [(t, w) for t in range(n_tasks) for w in range(n_workers) if rng.random() < 0.6]
    values = rng.normal(0.3, 0.4, len(pairs)).round(3).tolist()
    return [p[0] for p in pairs], [p[1] for p in pairs], values


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(5))
def test_capacities_and_optimality(method: str, seed: int) -> None:
    t, w, v = random_graph(seed)
    chosen = assign(t, w, v, n_tasks=6, n_workers=3, worker_capacity=2, method=method)  # type: ignore[arg-type]
    ct, cw = np.asarray(t)[chosen], np.asarray(w)[chosen]
    assert np.bincount(ct, minlength=6).max(initial=0) <= 1
    assert np.bincount(cw, minlength=3).max(initial=0) <= 2
    assert all(np.asarray(v)[chosen] > 0)
    total = float(np.asarray(v)[chosen].sum())
    best = brute_force(t, w, v, 1, 2)
    if method == "greedy":
        assert total <= best + 1e-9
    else:
        assert total == pytest.approx(best)


def test_greedy_is_suboptimal_where_matching_is_not() -> None:
    # worker 0 is best for both tasks; greedy gives it task 0 and leaves task 1 poor
    t, w, v = [0, 0, 1], [0, 1, 0], [1.0, 0.9, 0.95]
    greedy = assign(t, w, v, n_tasks=2, n_workers=2, method="greedy")
    lap = assign(t, w, v, n_tasks=2, n_workers=2, method="lap")
    assert greedy.tolist() == [0]
    assert lap.tolist() == [1, 2]


def test_task_capacity_side_expanded() -> None:
    t, w, v = [0, 0, 1], [0, 1, 1], [0.5, 0.4, 0.3]
    chosen = assign(t, w, v, n_tasks=2, n_workers=2, task_capacity=2, method="lap")
    assert chosen.tolist() == [0, 1]


def test_negative_and_infinite_values_are_never_chosen() -> None:
    chosen = assign([0, 1], [0, 1], [-0.1, -np.inf], n_tasks=2, n_workers=2)
    assert chosen.tolist() == []


def test_empty_graph() -> None:
    assert assign([], [], [], n_tasks=0, n_workers=0, method="lap").tolist() == []
    assert assign([], [], [], n_tasks=0, n_workers=0, method="greedy").tolist() == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"task_idx": [5]}, "out of range"),
        ({"value": [1.0, 2.0]}, "equal lengths"),
        ({"method": "magic"}, "unknown method"),
        ({"task_capacity": 2, "worker_capacity": 2, "method": "lap"}, "needs task_capacity"),
        ({"worker_capacity": -1}, "worker_capacity"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {
        "task_idx": [0], "worker_idx": [0], "value": [1.0], "n_tasks": 1, "n_workers": 1,
    }  # fmt: skip
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        assign(**args)  # type: ignore[arg-type]


def test_duplicate_pairs_rejected() -> None:
    with pytest.raises(ValueError, match="twice"):
        assign([0, 0], [0, 0], [1.0, 1.0], n_tasks=1, n_workers=1)
