"""Speed and peak memory: crowdloop vs crowd-kit on a large synthetic project.

The synthetic project (fixed seed; answers ordered by task) is generated once into
``.npy`` files under ``--data-dir``; each measurement is a fresh child process that
loads them (int64 arrays, 120 MB for 5M answers), fits once and reports fit seconds,
peak RSS of the whole child (``resource.getrusage``: interpreter, libraries, the loaded
answers and the fit; the planted truth is loaded only after the fit), the RSS before the
fit, and accuracy against the planted truth.
Sides alternate (ours, crowd-kit, ours, crowd-kit, ...) so both see the same load;
the 1-minute load average is recorded before every run. Usage::

    PYTHONPATH=src .venv/bin/python bench/truth/bench_speed.py \
        --crowdkit-python /work/ckvenv/bin/python [--tasks 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

GENERATE = r"""
import sys
from pathlib import Path
import numpy as np
T, R, K, W, out = int(sys.argv[1]), 5, 4, 2000, Path(sys.argv[2])
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
out.mkdir(parents=True, exist_ok=True)
for name, arr in (("task", task), ("worker", worker), ("label", label), ("truth", truth)):
    np.save(out / f"{name}.npy", arr.astype(np.int64))
"""

CHILD = r"""
import json, os, resource, sys, time, warnings
from pathlib import Path
import numpy as np
warnings.simplefilter("ignore")
folder, method = Path(sys.argv[1]), sys.argv[2]
K, W = 4, 2000
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out = {"method": method, "load_1min": os.getloadavg()[0]}
if method.startswith("crowdkit"):
    import pandas as pd
    from crowdkit.aggregation import DawidSkene
else:
    from crowdloop.algorithms.answers import Answers
    from crowdloop.algorithms.truth import METHODS
task, worker, label = (np.load(folder / f"{n}.npy") for n in ("task", "worker", "label"))
T = int(task[-1]) + 1  # answers are ordered by task; the truth is loaded after the fit
if method.startswith("crowdkit"):
    df = pd.DataFrame({"task": task, "worker": worker, "label": label})
    del task, worker, label
    out["rss_before_fit_mb"] = rss()
    t0 = time.perf_counter()
    pred = DawidSkene(n_iter=100).fit_predict(df)
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = rss()
    truth = np.load(folder / "truth.npy")
    out["accuracy"] = float(np.mean(pred.sort_index().to_numpy() == truth))
else:
    a = Answers(task, worker, label, T, W, K)
    name = method.split(":")[1]
    out["rss_before_fit_mb"] = rss()
    t0 = time.perf_counter()
    est = METHODS[name]().fit(a)
    out["seconds"] = time.perf_counter() - t0
    out["peak_rss_mb"] = rss()
    out["n_iter"] = est.n_iter_
    truth = np.load(folder / "truth.npy")
    out["accuracy"] = float(np.mean(est.labels_ == truth))
    if name == "ds" and "--warm" in sys.argv:
        cut = a.n_answers - 100  # a few new answers arrive in a large project
        old = Answers(task[:cut], worker[:cut], label[:cut], T, W, K)
        prev = METHODS[name]().fit(old)
        t0 = time.perf_counter()
        warm = METHODS[name]().fit(a, init=prev)
        out["warm_update_seconds"] = time.perf_counter() - t0
        out["warm_n_iter"] = warm.n_iter_
        out["warm_vs_cold_label_agreement"] = float(np.mean(warm.labels_ == est.labels_))
print(json.dumps(out))
"""


def ensure_data(folder: Path, tasks: int) -> Path:
    target = folder / str(tasks)
    if not (target / "truth.npy").exists():
        subprocess.run([sys.executable, "-c", GENERATE, str(tasks), str(target)], check=True)
    return target


def run(python: str, folder: Path, method: str, warm: bool) -> dict[str, object]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src}
    argv = [python, "-c", CHILD, str(folder), method] + (["--warm"] if warm else [])
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/crowdloop_truth_bench"))
    parser.add_argument("--crowdkit-python", default=None, help="interpreter with crowd-kit")
    parser.add_argument("--methods", default="ours:ds,ours:auto")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--warm", action="store_true", help="also time a warm-start update")
    args = parser.parse_args()
    folder = ensure_data(args.data_dir, args.tasks)
    results = []
    for rep in range(args.repeat):
        for m in args.methods.split(","):
            results.append(run(sys.executable, folder, m, args.warm and rep == 0))
        if args.crowdkit_python:
            results.append(run(args.crowdkit_python, folder, "crowdkit:ds", False))
    report(results, args.tasks)


def report(results: list[dict[str, object]], tasks: int) -> None:
    print(f"\n{tasks} tasks x 5 answers, 4 classes, 2000 workers")
    print("| method | load (1 min) | fit s | peak RSS MB | RSS before fit MB | accuracy | n_iter |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['method']} | {r['load_1min']:.1f} | {r['seconds']:.2f} | "
            f"{r['peak_rss_mb']:.0f} | {r['rss_before_fit_mb']:.0f} | "
            f"{r['accuracy']:.4f} | {r.get('n_iter', '')} |"
        )
    for r in results:
        if "warm_update_seconds" in r:
            print(
                f"\n{r['method']} warm-start update after 100 new answers: "
                f"{r['warm_update_seconds']:.2f} s, {r['warm_n_iter']} iterations, "
                f"label agreement with cold refit {r['warm_vs_cold_label_agreement']:.5f}"
            )
    best: dict[str, float] = {}
    for r in results:
        key = str(r["method"])
        best[key] = min(best.get(key, float("inf")), float(r["seconds"]))  # type: ignore[arg-type]
    if "crowdkit:ds" in best:
        for key, secs in best.items():
            if key != "crowdkit:ds":
                print(f"speed-up of {key} over crowd-kit DS (best of runs): "
                      f"{best['crowdkit:ds'] / secs:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
