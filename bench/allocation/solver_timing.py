"""Push-solver timing: 10,000 workers x 100,000 tasks x 20 candidates per task.

Usage: .venv/bin/python bench/allocation/solver_timing.py [--workers N] [--tasks N]
Prints one line per (problem, method): wall and CPU seconds of the solve only (CPU time
is the honest figure on a shared, loaded machine: every solver here is single-threaded),
objective, assigned. ``lap`` runs only at worker capacity 1 (at capacity 10 the slot
expansion makes 20 M edges).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from crowdloop.algorithms.allocation import assign, has_ortools
from crowdloop.algorithms.allocation.solve import Method


def instance(n_workers: int, n_tasks: int, k: int, seed: int = 42) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    task = np.repeat(np.arange(n_tasks), k)
    worker = rng.integers(0, n_workers, task.size)
    key = np.unique(task * n_workers + worker, return_index=True)[1]  # drop repeated pairs
    task, worker = task[key], worker[key]
    theta = rng.normal(0, 1, n_workers)
    b = rng.normal(0, 1, n_tasks)
    price = rng.uniform(0.5, 1.5, n_workers)
    value = 1 / (1 + np.exp(-(theta[worker] - b[task] + rng.normal(0, 0.3, task.size))))
    return task, worker, value - 0.1 * price[worker]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--capacity", type=int, default=10)
    args = parser.parse_args()
    t, w, v = instance(args.workers, args.tasks, args.candidates)
    print(f"edges={t.size} ortools={has_ortools()}")
    methods: list[Method] = ["flow", "greedy", "lap"] if has_ortools() else ["greedy", "lap"]
    for cap in (1, args.capacity):
        for method in methods:
            if method == "lap" and cap > 1:
                continue
            start, cpu = time.perf_counter(), time.process_time()
            chosen = assign(
                t,
                w,
                v,
                n_tasks=args.tasks,
                n_workers=args.workers,
                worker_capacity=cap,
                method=method,
            )
            secs, cpu = time.perf_counter() - start, time.process_time() - cpu
            print(
                f"worker_capacity={cap} method={method} wall={secs:.2f}s cpu={cpu:.2f}s "
                f"objective={v[chosen].sum():.2f} assigned={chosen.size}",
                flush=True,
            )


if __name__ == "__main__":
    main()
