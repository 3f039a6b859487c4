"""`crowdloop aggregate` and `crowdloop replay` as a user runs them, side by side with
crowd-kit's DawidSkene, whole processes, in one run.

    .venv/bin/python bench/speed/aggregate_speed.py --tasks 1000000 --runs 3
    .venv/bin/python bench/speed/aggregate_speed.py --real ../shared/data/crowd   # accuracy

A CSV of N tasks x 5 answers (4 classes, 2,000 workers of accuracy 0.45-0.95 with a
favourite wrong answer each; the generator of bench/truth/bench_speed.py, seed 12345: about
81 MB at 1M tasks) and its planted truth are written to a temporary directory. Each run then
times, in turn, three whole processes reading that same file:

- **aggregate**: ``crowdloop aggregate FILE --method ds --output OUT``;
- **replay**: ``crowdloop replay FILE --policy fixed --overlap 3`` (reads the same table,
  replays the answers and prints one JSON object);
- **crowd-kit**: ``python -c CROWDKIT FILE OUT``: ``pandas.read_csv`` and
  ``DawidSkene(n_iter=100).fit_predict``, written with ``to_csv`` (crowd-kit 1.4.2).

Wall seconds are a monotonic clock around each child; CPU seconds (user + system) and peak
RSS are the kernel's accounting of the finished child, as ``/usr/bin/time`` reports it (not
``os.wait4`` here: see ``timed``). Ratios are taken run by
run (crowd-kit / ours for time, ours / crowd-kit for memory), so that a noisy machine still
gives a fair figure; medians are printed. Accuracy is each output against the planted truth.
With ``--real DIR`` it also runs aggregate and crowd-kit on every ``DIR/*/labels.csv`` with a
``gold.csv`` and prints both accuracies.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

CROWDKIT = r"""
import sys
import pandas as pd
from crowdkit.aggregation import DawidSkene
answers = pd.read_csv(sys.argv[1], dtype=str)[["task", "worker", "label"]]
labels = DawidSkene(n_iter=100).fit_predict(answers)
labels.rename("label").to_csv(sys.argv[2], header=True)
"""


def crowdloop_command() -> list[str]:
    script = Path(sys.executable).parent / "crowdloop"
    return [str(script)] if script.exists() else [sys.executable, "-m", "crowdloop.cli.main"]


def write_project(folder: Path, tasks: int) -> tuple[Path, Path]:
    """labels.csv (task,worker,label) and truth.csv (task,label) of a planted project."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    k, workers, per_task = 4, 2000, 5
    rng = np.random.default_rng(12345)
    truth = rng.integers(0, k, tasks)
    accuracy = rng.uniform(0.45, 0.95, workers)
    bias = rng.integers(1, k, workers)  # each worker's favourite wrong shift
    task = np.repeat(np.arange(tasks), per_task)
    worker = (
        (rng.integers(0, workers, tasks)[:, None] + np.arange(per_task) * 7) % workers
    ).ravel()
    correct = rng.random(tasks * per_task) < accuracy[worker]
    noisy = rng.random(tasks * per_task) < 0.5
    shift = np.where(noisy, rng.integers(1, k, tasks * per_task), bias[worker])
    label = np.where(correct, truth[task], (truth[task] + shift) % k)

    def text(prefix: str, values: Any) -> Any:
        return pc.binary_join_element_wise(prefix, pa.array(values).cast(pa.string()), "")

    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    paths = folder / "labels.csv", folder / "truth.csv"
    tables = (
        pa.table({"task": text("t", task), "worker": text("w", worker), "label": text("c", label)}),
        pa.table({"task": text("t", np.arange(tasks)), "label": text("c", truth)}),
    )
    for path, table in zip(paths, tables, strict=True):
        with path.open("wb") as out:
            out.write((",".join(table.column_names) + "\n").encode())
            pacsv.write_csv(table, out, options)
    return paths


def timed(argv: list[str], stdout: Path | None = None) -> dict[str, float]:
    """Wall, CPU seconds and peak RSS (MiB) of one whole child process.

    The child is started by /usr/bin/time, which reports its rusage: a child started straight
    from this process (vfork, then exec) would report this process's own peak RSS as its own
    when that is larger (Linux keeps the old address space's high-water mark across exec), and
    this process holds the generated file's arrays and the accuracy checks' tables.
    """
    sink = stdout.open("wb") if stdout else subprocess.DEVNULL
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        command = ["/usr/bin/time", "-f", "%U %S %M", "-o", report.name, *argv]
        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE)
        assert child.stderr is not None
        errors = child.stderr.read()
        child.wait()
        wall = time.perf_counter() - start
        user, system, peak_kb = report.read().split()[-3:]
    if stdout:
        sink.close()  # type: ignore[union-attr]
    if child.returncode:
        raise SystemExit(f"{argv[:3]} failed ({child.returncode}): {errors.decode()[-2000:]}")
    cpu = float(user) + float(system)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": int(peak_kb) / 1024}


def accuracy(output: Path, truth: Path) -> float:
    """Share of the truth's tasks found in ``output`` (task,label,...) with the true label
    (a gold file may name tasks that have no answers)."""
    with truth.open(newline="") as fh:
        known = {row["task"]: row["label"] for row in csv.DictReader(fh)}
    with output.open(newline="") as fh:
        found = [
            known[row["task"]] == row["label"] for row in csv.DictReader(fh) if row["task"] in known
        ]
    return sum(found) / len(found)


def one_run(labels: Path, truth: Path, work: Path, with_replay: bool) -> dict[str, Any]:
    run: dict[str, Any] = {"load_1min": os.getloadavg()[0]}
    ours, theirs = work / "ours.csv", work / "crowdkit.csv"
    run["aggregate"] = timed(
        [*crowdloop_command(), "aggregate", str(labels), "--method", "ds", "-o", str(ours)]
    )
    run["aggregate"]["accuracy"] = accuracy(ours, truth)
    if with_replay:
        replayed = work / "replay.json"
        argv = [*crowdloop_command(), "replay", str(labels), "--policy", "fixed", "--overlap", "3"]
        run["replay"] = timed(argv, stdout=replayed)
        run["replay"]["labels_used"] = json.loads(replayed.read_text())["labels_used"]
    run["crowdkit"] = timed([sys.executable, "-c", CROWDKIT, str(labels), str(theirs)])
    run["crowdkit"]["accuracy"] = accuracy(theirs, truth)
    for side in ("aggregate", "replay"):
        if side in run:
            ours_, ck = run[side], run["crowdkit"]
            run[f"{side}_vs_crowdkit"] = {
                "wall_x": ck["wall_s"] / ours_["wall_s"],
                "cpu_x": ck["cpu_s"] / ours_["cpu_s"],
                "memory_share": ours_["peak_rss_mib"] / ck["peak_rss_mib"],
            }
    print(json.dumps(run), flush=True)
    return run


def summary(runs: list[dict[str, Any]], tasks: int) -> None:
    def med(side: str, key: str) -> float:
        return statistics.median(r[side][key] for r in runs)

    print(f"\n{tasks:,} tasks x 5 answers, {len(runs)} run(s), medians")
    print("| process | wall s | CPU s | peak RSS MiB | accuracy |")
    print("|---|---:|---:|---:|---:|")
    for side in ("aggregate", "replay", "crowdkit"):
        if side in runs[0]:
            acc = runs[0][side].get("accuracy")
            shown = f"{acc:.4f}" if acc is not None else "-"
            print(
                f"| {side} | {med(side, 'wall_s'):.2f} | {med(side, 'cpu_s'):.2f} | "
                f"{med(side, 'peak_rss_mib'):.0f} | {shown} |"
            )
    for side in ("aggregate", "replay"):
        key = f"{side}_vs_crowdkit"
        if key in runs[0]:
            print(
                f"{side} vs crowd-kit, pair by pair: {med(key, 'wall_x'):.1f}x faster (wall), "
                f"{med(key, 'cpu_x'):.1f}x less CPU, {med(key, 'memory_share'):.2f} of its peak"
            )


def real_accuracy(folder: Path, work: Path) -> None:
    print("\n| set | aggregate --method ds | crowd-kit DawidSkene |")
    print("|---|---:|---:|")
    for labels in sorted(folder.glob("*/labels.csv")):
        gold = labels.with_name("gold.csv")
        if not gold.exists():
            continue
        ours, theirs = work / "real_ours.csv", work / "real_ck.csv"
        timed([*crowdloop_command(), "aggregate", str(labels), "--method", "ds", "-o", str(ours)])
        timed([sys.executable, "-c", CROWDKIT, str(labels), str(theirs)])
        print(
            f"| {labels.parent.name} | {accuracy(ours, gold):.4f} | {accuracy(theirs, gold):.4f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-replay", action="store_true", help="time aggregate only")
    parser.add_argument("--real", type=Path, help="folder of real sets (labels.csv, gold.csv)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aggregate_speed_") as tmp:
        work = Path(tmp)
        if args.real:
            real_accuracy(args.real, work)
        if args.runs <= 0:
            return
        labels, truth = write_project(work, args.tasks)
        size = labels.stat().st_size / 1e6
        print(f"{labels.name}: {size:.1f} MB, python {sys.version.split()[0]}", flush=True)
        runs = [one_run(labels, truth, work, not args.no_replay) for _ in range(args.runs)]
    summary(runs, args.tasks)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"aggregate_{args.tasks}.json"
    target.write_text(json.dumps({"tasks": args.tasks, "runs": runs}, indent=1) + "\n")
    print(f"written to {target}")


if __name__ == "__main__":
    main()
