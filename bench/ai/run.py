"""Run `crowdloop simulate` over datasets x seeds x models; one JSON line per run.

Usage: python bench/ai/run.py --model tfidf --seeds 0 1 --datasets banking trec
Writes bench/ai/results/<model>.jsonl (appends) and prints a summary line per run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from crowdloop.ai.crowd_sim import read_labelled_tsv
from crowdloop.ai.simulate import SimulationSettings, run_simulation

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "text"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tfidf")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--datasets", nargs="+", default=["banking", "stackoverflow", "trec"])
    parser.add_argument("--split", default="train")
    args = parser.parse_args()
    out = HERE / "results" / f"{args.model}.jsonl"
    out.parent.mkdir(exist_ok=True)
    for name in args.datasets:
        data = read_labelled_tsv(DATA / name / f"{args.split}.tsv")
        for seed in args.seeds:
            cache = HERE / ".cache" / f"{name}.npz"
            settings = SimulationSettings(seed=seed, model=args.model, embedding_cache=str(cache))
            t0 = time.perf_counter()
            report = run_simulation(data, settings)
            report.update(dataset=name, split=args.split, seconds=round(time.perf_counter() - t0))
            with out.open("a") as fh:
                fh.write(json.dumps(report) + "\n")
            keys = (
                "human_answers_per_item",
                "auto_accepted_fraction",
                "auto_accepted_accuracy",
                "final_accuracy",
                "seconds",
            )
            print(name, seed, {k: report[k] for k in keys}, flush=True)


if __name__ == "__main__":
    main()
