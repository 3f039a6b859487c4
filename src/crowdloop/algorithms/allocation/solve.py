"""Push assignment: choose worker-task pairs that maximise the total score.

Input is a sparse candidate graph: edge ``i`` joins ``task_idx[i]`` and
``worker_idx[i]`` with value ``value[i]`` (a :func:`match_scores` result). Each worker
takes at most ``worker_capacity`` tasks and each task at most ``task_capacity``
workers; each edge is used at most once; edges with a value <= 0 (or ``-inf``) are
never chosen, so slots may stay empty (optional assignment). Methods:

* ``"flow"``: min-cost flow (OR-Tools ``SimpleMinCostFlow``, an optional dependency:
  ``pip install ortools``) on source -> worker -> task -> sink with a zero-cost bypass;
  optimal, the fastest at platform scale.
* ``"lap"``: scipy ``min_weight_full_bipartite_matching`` (LAPJVsp) after expanding the
  side whose capacity exceeds 1 into unit slots, with one private zero-value "idle"
  partner per slot so empty slots are allowed; optimal, needs no extra package, but the
  expansion multiplies edges by the capacity. Needs one side with capacity 1.
* ``"greedy"``: take edges in decreasing value while both ends have room; not optimal
  (a few percent below, more with large capacities) but simple and O(E log E).
* ``"auto"``: ``flow`` when OR-Tools is importable, else ``lap`` when possible, else greedy.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from crowdloop.algorithms._validation import FloatArray, IntArray

__all__ = ["Method", "assign", "has_ortools"]

Method = Literal["auto", "flow", "lap", "greedy"]
_SCALE = 1e6  # value -> integer cost for the flow solver (1e-6 resolution)


def has_ortools() -> bool:
    """Whether the optional OR-Tools package is importable."""
    return importlib.util.find_spec("ortools") is not None


def _capacity(cap: int | ArrayLike, n: int, name: str) -> IntArray:
    arr = np.broadcast_to(np.asarray(cap, dtype=np.int64), (n,)).copy()
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must be >= 0")
    return arr


def assign(  # noqa: PLR0913
    task_idx: ArrayLike,
    worker_idx: ArrayLike,
    value: ArrayLike,
    *,
    n_tasks: int,
    n_workers: int,
    task_capacity: int | ArrayLike = 1,
    worker_capacity: int | ArrayLike = 1,
    method: Method = "auto",
) -> IntArray:
    """Indices of the chosen edges (sorted int64), maximising the sum of their values.

    >>> assign([0, 0, 1], [0, 1, 0], [0.9, 0.8, 0.7], n_tasks=2, n_workers=2).tolist()
    [1, 2]
    """
    t = np.asarray(task_idx, dtype=np.int64)
    w = np.asarray(worker_idx, dtype=np.int64)
    v = np.asarray(value, dtype=np.float64)
    if not t.shape == w.shape == v.shape or t.ndim != 1:
        raise ValueError("task_idx, worker_idx and value must be 1-D with equal lengths")
    if t.size and (t.min() < 0 or t.max() >= n_tasks or w.min() < 0 or w.max() >= n_workers):
        raise ValueError("task_idx or worker_idx out of range")
    tcap = _capacity(task_capacity, n_tasks, "task_capacity")
    wcap = _capacity(worker_capacity, n_workers, "worker_capacity")
    keep = np.flatnonzero(np.isfinite(v) & (v > 0))
    key = np.sort(t[keep] * n_workers + w[keep])
    if key.size > 1 and bool((key[1:] == key[:-1]).any()):
        raise ValueError("a (task, worker) pair appears twice among the candidates")
    if method == "auto":
        method = "flow" if has_ortools() else "lap" if _lap_ok(tcap, wcap) else "greedy"
    if method == "flow":
        chosen = _flow(t[keep], w[keep], v[keep], tcap, wcap)
    elif method == "lap":
        if not _lap_ok(tcap, wcap):
            raise ValueError("method 'lap' needs task_capacity or worker_capacity all <= 1")
        chosen = _lap(t[keep], w[keep], v[keep], tcap, wcap)
    elif method == "greedy":
        chosen = _greedy(t[keep], w[keep], v[keep], tcap, wcap)
    else:
        raise ValueError(f"unknown method {method!r}; choose auto, flow, lap or greedy")
    return np.sort(keep[chosen])


def _lap_ok(tcap: IntArray, wcap: IntArray) -> bool:
    return bool((tcap.size == 0 or tcap.max() <= 1) or (wcap.size == 0 or wcap.max() <= 1))


def _greedy(t: IntArray, w: IntArray, v: FloatArray, tcap: IntArray, wcap: IntArray) -> IntArray:
    order = np.argsort(-v, kind="stable")
    left_t, left_w = tcap.tolist(), wcap.tolist()
    chosen = []
    for i, ti, wi in zip(order.tolist(), t[order].tolist(), w[order].tolist(), strict=True):
        if left_t[ti] > 0 and left_w[wi] > 0:
            left_t[ti] -= 1
            left_w[wi] -= 1
            chosen.append(i)
    return np.asarray(chosen, dtype=np.int64)


def _lap(t: IntArray, w: IntArray, v: FloatArray, tcap: IntArray, wcap: IntArray) -> IntArray:
    """Rows = unit slots of the expanded side, columns = the other side + idle partners."""
    if t.size == 0:
        return np.zeros(0, dtype=np.int64)
    expand_workers = tcap.max() <= 1
    row_node, row_cap, col_node, col_cap = (
        (w, wcap, t, tcap) if expand_workers else (t, tcap, w, wcap)
    )
    col_ok = col_cap[col_node] > 0
    idx = np.flatnonzero(col_ok & (row_cap[row_node] > 0))
    starts = np.concatenate([[0], np.cumsum(row_cap)])
    reps = row_cap[row_node[idx]]
    edge = np.repeat(idx, reps)  # one copy of each edge per slot of its row node
    slot = starts[row_node[edge]] + (np.arange(edge.size) - np.repeat(np.cumsum(reps) - reps, reps))
    n_rows, n_cols = int(starts[-1]), int(col_cap.size)
    top = float(v.max()) + 1.0
    rows = np.concatenate([slot, np.arange(n_rows)])
    cols = np.concatenate([col_node[edge], n_cols + np.arange(n_rows)])
    cost = np.concatenate([top - v[edge], np.full(n_rows, top)])
    from scipy import sparse  # lazy: scipy only when used
    from scipy.sparse.csgraph import min_weight_full_bipartite_matching

    graph = sparse.csr_array((cost, (rows, cols)), shape=(n_rows, n_cols + n_rows))
    row_ind, col_ind = min_weight_full_bipartite_matching(graph)
    real = col_ind < n_cols
    slot_of = row_ind[real]
    key_col = col_ind[real]
    # map (slot, column) back to edges
    key = slot * (n_cols + n_rows) + col_node[edge]
    want = slot_of * (n_cols + n_rows) + key_col
    pos = np.searchsorted(key, want, sorter=np.argsort(key))
    return np.asarray(edge[np.argsort(key)[pos]], dtype=np.int64)


def _flow(t: IntArray, w: IntArray, v: FloatArray, tcap: IntArray, wcap: IntArray) -> IntArray:
    try:
        min_cost_flow = importlib.import_module("ortools.graph.python.min_cost_flow")
    except ImportError:  # pragma: no cover - depends on the environment
        raise ValueError("method 'flow' needs OR-Tools: pip install ortools") from None
    n_t, n_w, e = tcap.size, wcap.size, t.size
    src, sink = n_w + n_t, n_w + n_t + 1
    supply = int(min(wcap.sum(), tcap.sum()))
    tails = np.concatenate([np.full(n_w, src), w, n_w + np.arange(n_t), [src]])
    heads = np.concatenate([np.arange(n_w), n_w + t, np.full(n_t, sink), [sink]])
    caps = np.concatenate([wcap, np.ones(e, dtype=np.int64), tcap, [supply]])
    costs = np.concatenate([np.zeros(n_w), -np.round(_SCALE * v), np.zeros(n_t), [0]])
    mcf: Any = min_cost_flow.SimpleMinCostFlow()
    mcf.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int64),
        heads.astype(np.int64),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    mcf.set_nodes_supplies(np.array([src, sink]), np.array([supply, -supply]))
    status = mcf.solve()
    if status != mcf.OPTIMAL:  # pragma: no cover - the bypass arc keeps it feasible
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = mcf.flows(np.arange(n_w, n_w + e))
    return np.asarray(np.flatnonzero(flows > 0), dtype=np.int64)
