"""Fixtures for the numeric-core tests: synthetic crowds and the shared real datasets."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from crowdloop.algorithms.answers import Answers, NumericAnswers

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crowd"


def synthetic(
    n_tasks: int = 300,
    n_workers: int = 30,
    n_labels: int = 3,
    per_task: int = 5,
    seed: int = 0,
) -> tuple[Answers, NDArray[np.int64]]:
    """Planted truth; workers have accuracies in [0.35, 0.95] and a biased error pattern."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_labels, n_tasks)
    acc = rng.uniform(0.35, 0.95, n_workers)
    task = np.repeat(np.arange(n_tasks), per_task)
    worker = np.concatenate([rng.choice(n_workers, per_task, replace=False) for _ in truth])
    correct = rng.random(task.size) < acc[worker]
    wrong = (truth[task] + 1 + (worker % max(n_labels - 1, 1))) % n_labels
    label = np.where(correct, truth[task], wrong)
    return Answers(task, worker, label, n_tasks, n_workers, n_labels), truth


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))[1:]


def load_categorical(name: str) -> tuple[Answers, NDArray[np.int64]]:
    """Answers and gold codes (-1 unknown) of one real dataset."""
    if not (DATA / name).is_dir():
        pytest.skip(f"real dataset folder {DATA / name} is absent (../shared/data beside the repo)")
    rows = _read(DATA / name / "labels.csv")
    gold_rows = _read(DATA / name / "gold.csv")
    order = sorted({r[2] for r in rows} | {g[1] for g in gold_rows})
    answers, tasks, _, labels = Answers.from_records(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], labels_order=order
    )
    gold = np.full(answers.n_tasks, -1, dtype=np.int64)
    known = [(t, g) for t, g in gold_rows if t in tasks]
    gold[tasks.encode([t for t, _ in known])] = labels.encode([g for _, g in known])
    return answers, gold


def load_numeric(name: str) -> tuple[NumericAnswers, NDArray[np.float64]]:
    """Numeric answers and gold values (NaN unknown) of one real dataset."""
    folder = DATA / "numeric" / name
    if not folder.is_dir():
        pytest.skip(f"real dataset folder {folder} is absent (../shared/data beside the repo)")
    rows = _read(folder / "labels.csv")
    answers, tasks, _ = NumericAnswers.from_records(
        [r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows]
    )
    gold = np.full(answers.n_tasks, np.nan)
    known = [(t, float(v)) for t, v in _read(folder / "gold.csv") if t in tasks]
    gold[tasks.encode([t for t, _ in known])] = [v for _, v in known]
    return answers, gold
