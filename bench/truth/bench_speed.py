"""Speed and peak memory: crowdloop vs crowd-kit on a large synthetic project.

Each measurement runs in its own child process (fresh interpreter) which generates the
same synthetic data (fixed seed), fits once, and reports fit seconds, peak RSS of the
whole child (``resource.getrusage``, includes the data itself) and accuracy against the
planted truth. Usage::

    PYTHONPATH=src .venv/bin/python bench/truth/bench_speed.py \
        --crowdkit-python /work/ckvenv/bin/python [--tasks 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
T, R, K, W, method = int(sys.argv[1]), 5, 4, 2000, sys.argv[2]
rng = np.random.default_rng(12345)
truth = rng.integers(0, K, T)
acc = rng.uniform(0.45, 0.95, W)
bias = rng.integers(1, K, W)  # each worker's favourite wrong shift
task = np.repeat(np.arange(T), R)
worker = ((rng.integers(0, W, T)[:, None] + np.arange(R) * 7) % W).ravel()
correct = rng.random(T * R) < acc[worker]
noisy = rng.random(T * R) < 0.5
shift = np.where(noisy, rng.integers(1, K, T * R), bias[worker])
label = np.where(correct, truth[task], (truth[task] + shift) % K)
del correct, noisy, shift
rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"method": method, "rss_after_data_mb": rss_data}
if method.startswith("crowdkit"):
    import pandas as pd
    from crowdkit.aggregation import DawidSkene
    df = pd.DataFrame({"task": task, "worker": worker, "label": label})
    del task, worker, label
    t0 = time.perf_counter()
    pred = DawidSkene(n_iter=100).fit_predict(df)
    out["seconds"] = time.perf_counter() - t0
    out["accuracy"] = float(np.mean(pred.sort_index().to_numpy() == truth))
else:
    from crowdloop.algorithms.answers import Answers
    from crowdloop.algorithms.truth import METHODS
    a = Answers(task, worker, label, T, W, K)
    name = method.split(":")[1]
    t0 = time.perf_counter()
    est = METHODS[name]().fit(a)
    out["seconds"] = time.perf_counter() - t0
    out["n_iter"] = est.n_iter_
    out["accuracy"] = float(np.mean(est.labels_ == truth))
    if name == "ds":
        cut = a.n_answers - 100  # a few new answers arrive in a large project
        old = Answers(task[:cut], worker[:cut], label[:cut], T, W, K)
        prev = METHODS[name]().fit(old)
        t0 = time.perf_counter()
        warm = METHODS[name]().fit(a, init=prev)
        out["warm_update_seconds"] = time.perf_counter() - t0
        out["warm_n_iter"] = warm.n_iter_
        out["warm_vs_cold_label_agreement"] = float(np.mean(warm.labels_ == est.labels_))
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run(python: str, tasks: int, method: str) -> dict[str, object]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    proc = subprocess.run(
        [python, "-c", CHILD, str(tasks), method],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--crowdkit-python", default=None, help="interpreter with crowd-kit")
    parser.add_argument("--methods", default="ours:ds,ours:auto,ours:mv")
    args = parser.parse_args()
    results = [run(sys.executable, args.tasks, m) for m in args.methods.split(",")]
    if args.crowdkit_python:
        results.append(run(args.crowdkit_python, args.tasks, "crowdkit:ds"))
    print(f"{args.tasks} tasks x 5 answers, 4 classes, 2000 workers")
    print("| method | fit s | peak RSS MB (RSS after data) | accuracy | n_iter |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['method']} | {r['seconds']:.2f} | {r['peak_rss_mb']:.0f} "
            f"({r['rss_after_data_mb']:.0f}) | {r['accuracy']:.4f} | {r.get('n_iter', '')} |"
        )
    for r in results:
        if "warm_update_seconds" in r:
            print(
                f"\n{r['method']} warm-start update after 100 new answers: "
                f"{r['warm_update_seconds']:.2f} s, {r['warm_n_iter']} iterations, "
                f"label agreement with cold refit {r['warm_vs_cold_label_agreement']:.5f}"
            )
    ck = [r for r in results if str(r["method"]).startswith("crowdkit")]
    if ck:
        for r in results:
            if r is not ck[0]:
                ratio = float(ck[0]["seconds"]) / float(r["seconds"])  # type: ignore[arg-type]
                print(f"speed-up of {r['method']} over crowd-kit DS: {ratio:.1f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
