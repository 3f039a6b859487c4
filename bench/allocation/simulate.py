"""Synthetic crowd: value-based matching vs random assignment, same dynamic overlap.

Usage: .venv/bin/python bench/allocation/simulate.py [--seeds 3]
Sweeps the target confidence for both arms (CrowdConfig defaults, min 1, max 7) and
reports, per arm, accuracy / paid answers per task / deadline hit rate / cost, then
the paid answers each arm needs to reach the random arm's best accuracy (linear
interpolation along its confidence curve).
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from crowdloop.algorithms.allocation import OverlapPolicy
from crowdloop.algorithms.simulate_crowd import CrowdConfig, simulate

CONFIDENCES = (0.8, 0.85, 0.9, 0.95, 0.97)


def needed(curve: list[tuple[float, float]], target: float) -> float:
    """Answers per task at which the (accuracy, answers) curve first reaches target."""
    pts = sorted(curve, key=lambda p: p[1])
    for (a0, n0), (a1, n1) in itertools.pairwise(pts):
        if a0 >= target:
            return n0
        if a1 >= target:
            return n0 + (n1 - n0) * (target - a0) / (a1 - a0)
    return pts[-1][1] if pts[-1][0] >= target else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--robust", action="store_true", help="stop on the pairwise bound (OnlineOneCoin)"
    )
    args = parser.parse_args()
    cfg = CrowdConfig(robust_confidence=args.robust)
    curves: dict[str, list[tuple[float, float]]] = {"value": [], "random": []}
    print("| arm | C | accuracy | paid answers/task | deadline hit rate | cost |")
    print("|---|---|---|---|---|---|")
    for c in CONFIDENCES:
        for arm in ("value", "random"):
            res = [
                simulate(cfg, OverlapPolicy(1, 7, c), allocator=arm, seed=s)
                for s in range(args.seeds)
            ]
            acc = float(np.mean([r.accuracy for r in res]))
            apt = float(np.mean([r.answers_per_task for r in res]))
            hit = float(np.mean([r.deadline_hit_rate for r in res]))
            cost = float(np.mean([r.cost for r in res]))
            curves[arm].append((acc, apt))
            print(f"| {arm} | {c} | {acc:.4f} | {apt:.2f} | {hit:.3f} | {cost:.0f} |", flush=True)
    target = max(a for a, _ in curves["random"])
    nv, nr = needed(curves["value"], target), needed(curves["random"], target)
    print(
        f"\ntarget accuracy {target:.4f}: value {nv:.2f} vs random {nr:.2f} paid answers/task "
        f"({1 - nv / nr:.1%} fewer)"
    )


if __name__ == "__main__":
    main()
