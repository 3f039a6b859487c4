"""Adaptive vs fixed overlap on the real datasets (../shared/data/crowd), several seeds.

Usage: .venv/bin/python bench/allocation/replay_real.py [--seeds 5] [DATASET ...]
Fixed K uses majority vote (the issue's baseline) and the online one-coin model;
adaptive uses the online one-coin model, min 1, max 5, at several confidences.
Prints a Markdown table per dataset (means over seeds).
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from crowdloop.algorithms.answers import Answers, Codebook, dedupe
from crowdloop.algorithms.replay import ReplayPolicy, replay
from crowdloop.cli._tables import ANSWER_COLUMNS, read_gold, read_table

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crowd"
DEFAULT = ["act_sp", "snow_rte", "zheng_d_duck", "zheng_d_possent", "zheng_s_dog", "zheng_s_face"]
CONFIDENCES = (0.8, 0.85, 0.9, 0.95, 0.98)


def load(name: str) -> tuple[Answers, np.ndarray]:
    table = read_table(DATA / name / "labels.csv", ANSWER_COLUMNS, "labels")
    gold = read_gold(DATA / name / "gold.csv")
    c = table.columns
    tasks, workers = Codebook(c["task"]), Codebook(c["worker"])
    labels = Codebook([*c["label"], *gold.labels.values()])
    ans = Answers(
        tasks.encode(c["task"]),
        workers.encode(c["worker"]),
        labels.encode(c["label"]),
        len(tasks),
        len(workers),
        len(labels),
    )
    deduped, _ = dedupe(ans)
    assert isinstance(deduped, Answers)
    codes = np.full(len(tasks), -1, dtype=np.int64)
    known = [t for t in gold.labels if t in tasks]
    codes[tasks.encode(known)] = labels.encode([gold.labels[t] for t in known])
    return deduped, codes


def run(ans: Answers, gold: np.ndarray, policy: ReplayPolicy, seeds: int) -> tuple[float, float]:
    out = [replay(ans, policy, gold=gold, seed=s) for s in range(seeds)]
    return float(np.mean([r.accuracy for r in out])), float(
        np.mean([r.labels_per_task for r in out])
    )


def main() -> None:
    warnings.simplefilter("ignore")
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--plain", action="store_true", help="stop on the plain one-coin posterior, no bound"
    )
    parser.add_argument("datasets", nargs="*", default=DEFAULT)
    args = parser.parse_args()
    for name in args.datasets:
        ans, gold = load(name)
        fixed = {
            k: run(ans, gold, ReplayPolicy.fixed(k, model="mv"), args.seeds) for k in range(1, 6)
        }
        online5 = run(ans, gold, ReplayPolicy.fixed(5), args.seeds)
        acc5, lpt5 = fixed[5]
        print(f"\n### {name}\n")
        print(
            f"fixed 5 + MV: accuracy {acc5:.4f} at {lpt5:.2f} labels/task; "
            f"fixed 5 + online model: {online5[0]:.4f}\n"
        )
        print(
            "| policy | accuracy | labels/task | saved vs fixed 5 | vs fixed-5 MV | "
            "fixed-K MV at same budget |"
        )
        print("|---|---|---|---|---|---|")
        for c in CONFIDENCES:
            acc, lpt = run(
                ans, gold, ReplayPolicy.adaptive(c, 5, robust=not args.plain), args.seeds
            )
            ks = np.array(sorted(fixed))
            same = np.interp(lpt, [fixed[k][1] for k in ks], [fixed[k][0] for k in ks])
            print(
                f"| adaptive C={c} | {acc:.4f} | {lpt:.2f} | {1 - lpt / lpt5:.1%} | "
                f"{acc - acc5:+.4f} | {same:.4f} ({acc - same:+.4f}) |",
                flush=True,
            )


if __name__ == "__main__":
    main()
