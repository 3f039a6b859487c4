"""Accuracy and seconds, dataset x method, ours and (optionally) crowd-kit's.

No gold is given to any method in the main table (gold only scores). The
semi-supervised table gives 10% of the gold tasks (seeded) and scores the other 90%.
Usage (crowd-kit columns need an interpreter with crowd-kit 1.4.2 installed)::

    PYTHONPATH=src /work/ckvenv/bin/python bench/truth/bench_accuracy.py --crowdkit
    PYTHONPATH=src .venv/bin/python bench/truth/bench_accuracy.py
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable

import numpy as np
from common import CATEGORICAL, Dataset, load, load_numeric
from numpy.typing import NDArray

from crowdloop.algorithms.metrics import accuracy, mean_absolute_error
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, NUMERIC_METHODS

OURS = ["auto", "mv", "wmv", "ds", "one_coin", "glad", "mace"]
CK = ["MajorityVote", "Wawa", "DawidSkene", "OneCoinDawidSkene", "MACE", "GLAD"]
Labels = NDArray[np.int64]


def ours(name: str) -> Callable[[Dataset], Labels]:
    return lambda d: CATEGORICAL_METHODS[name]().fit(d.answers).labels_


def crowdkit(name: str) -> Callable[[Dataset], Labels]:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    from crowdkit import aggregation  # type: ignore[import-not-found,unused-ignore]

    def run(d: Dataset) -> Labels:
        a = d.answers
        df = pd.DataFrame({"task": a.task_idx, "worker": a.worker_idx, "label": a.label_idx})
        pred = getattr(aggregation, name)().fit_predict(df)
        out = np.full(a.n_tasks, -2, dtype=np.int64)
        out[pred.index.to_numpy()] = pred.to_numpy().astype(np.int64)
        return out

    return run


def table(data: dict[str, Dataset], methods: dict[str, Callable[[Dataset], Labels]]) -> None:
    print("| method | " + " | ".join(CATEGORICAL) + " | mean | total s |")
    print("|---|" + "---:|" * (len(CATEGORICAL) + 2))
    for label, fn in methods.items():
        accs, secs = [], 0.0
        for name in CATEGORICAL:
            t0 = time.perf_counter()
            pred = fn(data[name])
            secs += time.perf_counter() - t0
            accs.append(accuracy(data[name].gold, pred))
        cells = " | ".join(f"{a:.4f}" for a in accs)
        print(f"| {label} | {cells} | **{np.mean(accs):.4f}** | {secs:.1f} |", flush=True)


def semi_supervised(data: dict[str, Dataset], names: list[str]) -> None:
    print("\nSemi-supervised: 10% of gold tasks given (seed 0), scored on the other 90%")
    print("| method | " + " | ".join(CATEGORICAL) + " | mean |")
    print("|---|" + "---:|" * (len(CATEGORICAL) + 1))
    for method in names:
        accs = []
        for name in CATEGORICAL:
            d = data[name]
            known = np.flatnonzero(d.gold >= 0)
            given = np.random.default_rng(0).choice(known, known.size // 10, replace=False)
            gold, scored = np.full_like(d.gold, -1), d.gold.copy()
            gold[given], scored[given] = d.gold[given], -1
            pred = CATEGORICAL_METHODS[method]().fit(d.answers, gold=gold).labels_
            accs.append(accuracy(scored, pred))
        cells = " | ".join(f"{a:.4f}" for a in accs)
        print(f"| {method} + 10% gold | {cells} | **{np.mean(accs):.4f}** |", flush=True)


def numeric() -> None:
    answers, gold = load_numeric()
    print("\nNumeric, zheng_n_emotion (MAE, lower is better)")
    print("| method | MAE | s |\n|---|---:|---:|")
    for name, cls in NUMERIC_METHODS.items():
        t0 = time.perf_counter()
        values = cls().fit(answers).values_
        print(f"| {name} | {mean_absolute_error(gold, values):.3f} | "
              f"{time.perf_counter() - t0:.3f} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--crowdkit", action="store_true", help="add crowd-kit 1.4.2 rows")
    parser.add_argument("--crowdkit-glad", action="store_true", help="include slow GLAD")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = {name: load(name) for name in CATEGORICAL}
    methods = {f"crowdloop {m}": ours(m) for m in OURS}
    if args.crowdkit:
        ck = CK if args.crowdkit_glad else CK[:-1]
        methods |= {f"crowd-kit {m}": crowdkit(m) for m in ck}
    table(data, methods)
    semi_supervised(data, ["auto", "ds", "mv"])
    numeric()


if __name__ == "__main__":
    main()
