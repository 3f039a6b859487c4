"""Shared helpers for the truth-inference benchmarks: locate and load the real datasets."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "crowd"
CATEGORICAL = [
    "zheng_d_product",
    "zheng_d_possent",
    "zheng_s_rel",
    "zheng_s_adult",
    "zheng_d_duck",
    "zheng_s_dog",
    "zheng_s_face",
    "snow_rte",
    "act_sp",
]
CROWDKIT_DS = {
    "zheng_d_product": 0.9397, "zheng_d_possent": 0.9600, "zheng_s_rel": 0.6173,
    "zheng_s_adult": 0.7658, "zheng_d_duck": 0.8889, "zheng_s_dog": 0.8426,
    "zheng_s_face": 0.6404, "snow_rte": 0.9275, "act_sp": 0.9152,
}  # fmt: skip


@dataclass
class Dataset:
    name: str
    rows: list[tuple[str, str, str]]
    answers: Answers
    tasks: Codebook
    labels: Codebook
    gold: NDArray[np.int64]  # task code -> label code, -1 unknown


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))[1:]


def load(name: str) -> Dataset:
    rows = [(r[0], r[1], r[2]) for r in _read(DATA / name / "labels.csv")]
    gold_rows = _read(DATA / name / "gold.csv")
    label_ids = sorted({r[2] for r in rows} | {g[1] for g in gold_rows})
    answers, tasks, _, labels = Answers.from_records(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], labels_order=label_ids
    )
    gold = np.full(answers.n_tasks, -1, dtype=np.int64)
    for task, label in gold_rows:
        if task in tasks:
            gold[tasks.encode([task])[0]] = labels.encode([label])[0]
    return Dataset(name, rows, answers, tasks, labels, gold)


def load_numeric(name: str = "zheng_n_emotion") -> tuple[NumericAnswers, NDArray[np.float64]]:
    rows = _read(DATA / "numeric" / name / "labels.csv")
    answers, tasks, _ = NumericAnswers.from_records(
        [r[0] for r in rows], [r[1] for r in rows], [float(r[2]) for r in rows]
    )
    gold = np.full(answers.n_tasks, np.nan)
    for task, value in _read(DATA / "numeric" / name / "gold.csv"):
        if task in tasks:
            gold[tasks.encode([task])[0]] = float(value)
    return answers, gold
