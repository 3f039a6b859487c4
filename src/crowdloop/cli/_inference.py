"""The fits behind ``crowdloop aggregate``: coded answers in, output rows out.

Imported by the command when it runs (numpy, the readers and the estimators), never when
the CLI starts.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np

from crowdloop.algorithms.answers import Codebook, NumericAnswers, dedupe
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, NUMERIC_METHODS
from crowdloop.cli._common import warn
from crowdloop.cli._tables import Gold, Table, as_numbers, encode_answers, number
from crowdloop.errors import InvalidInput


def _known(gold: Gold, tasks: Codebook) -> list[str]:
    """Gold tasks that have answers (the others are reported and ignored)."""
    unused = [t for t in gold.labels if t not in tasks]
    if unused:
        warn(f"{len(unused)} gold task(s) have no answers and are ignored, e.g. {unused[0]!r}")
    return [t for t in gold.labels if t in tasks]


def _gold_codes(gold: Gold, tasks: Codebook, labels: Codebook) -> np.ndarray[Any, Any]:
    codes = np.full(len(tasks), -1, dtype=np.int64)
    known = _known(gold, tasks)
    codes[tasks.encode(known)] = labels.encode([gold.labels[t] for t in known])
    return codes


def _report_duplicates(n_removed: int) -> None:
    if n_removed:
        warn(
            f"{n_removed} repeated answer(s) (same worker, same task) dropped; "
            "the last label of each worker counts"
        )


Rows = Iterable[tuple[Hashable, Any, str]]
WorkerRows = list[tuple[Any, ...]]


def _check_labels(table: Table, allowed: list[str] | None, gold: Gold | None) -> None:
    if allowed is None:
        return
    values = {*table.columns["label"].values, *(gold.labels.values() if gold else ())}
    outside = sorted(values - set(allowed))
    if outside:
        raise InvalidInput(f"labels outside --labels {','.join(allowed)}: {', '.join(outside)}")


def categorical(
    table: Table, method: str, gold: Gold | None, allowed: list[str] | None = None
) -> tuple[Rows, WorkerRows]:
    """Fit a categorical method; returns (task, label, confidence) rows and worker rows."""
    _check_labels(table, allowed, gold)
    seen = [*table.columns["label"].values, *(gold.labels.values() if gold else ())]
    labels = Codebook(allowed if allowed else seen, keep_order=allowed is not None)
    answers, tasks, workers = encode_answers(table, labels)
    table.columns.clear()  # the codes live in answers now: free the table's before the fit
    answers, n_removed = dedupe(answers, keep="last")  # type: ignore[assignment]
    _report_duplicates(n_removed)
    gold_codes = None if gold is None else _gold_codes(gold, tasks, labels)
    est = CATEGORICAL_METHODS[method]().fit(answers, gold=gold_codes)
    decoded = labels.decode(est.labels_)
    rows = (
        (task, label, f"{conf:.6g}")
        for task, label, conf in zip(tasks.ids, decoded, est.confidence_, strict=True)
    )
    quality = [
        (w, f"{acc:.6g}", f"{lo:.6g}", f"{hi:.6g}", int(n))
        for w, acc, (lo, hi), n in zip(
            workers.ids,
            est.worker_accuracy_,
            est.worker_accuracy_interval_,
            est.worker_n_answers_,
            strict=True,
        )
    ]
    return rows, quality


CATEGORICAL_WORKER_HEADER = ("worker", "accuracy", "accuracy_low", "accuracy_high", "n_answers")
NUMERIC_WORKER_HEADER = ("worker", "std", "bias", "n_answers")


def _gold_numbers(gold: Gold, known: list[str]) -> list[float]:
    numbers = []
    for task in known:
        value = number(gold.labels[task])
        if value is None:
            raise InvalidInput(
                f"{gold.path}, line {gold.line(task)}: "
                f"label {gold.labels[task]!r} is not a finite number"
            )
        numbers.append(value)
    return numbers


def numeric(table: Table, method: str, gold: Gold | None) -> tuple[Rows, WorkerRows]:
    """Fit a numeric method; labels (and gold) must be numbers."""
    cols = table.columns
    values = as_numbers(table, "label")
    tasks, workers = Codebook(cols["task"].values, keep_order=True), Codebook(cols["worker"].values)
    answers = NumericAnswers(
        tasks.encode_indexed(cols["task"].values, cols["task"].codes),
        workers.encode_indexed(cols["worker"].values, cols["worker"].codes),
        values,
        len(tasks),
        len(workers),
    )
    table.columns.clear()  # free the table's codes before the fit
    answers, n_removed = dedupe(answers, keep="last")  # type: ignore[assignment]
    _report_duplicates(n_removed)
    gold_values = None
    if gold is not None:
        known = _known(gold, tasks)
        numbers = _gold_numbers(gold, known)
        gold_values = dict(zip(tasks.encode(known).tolist(), numbers, strict=True))
    est = NUMERIC_METHODS[method]().fit(answers, gold=gold_values)
    rows = (
        (task, f"{v:.6g}", f"{se:.6g}")
        for task, v, se in zip(
            tasks.ids, est.values_.tolist(), est.confidence_.tolist(), strict=True
        )
    )
    counts = np.bincount(answers.worker_idx, minlength=answers.n_workers)
    quality = [
        (w, f"{sd:.6g}", f"{b:.6g}", int(n))
        for w, sd, b, n in zip(workers.ids, est.worker_std_, est.worker_bias_, counts, strict=True)
    ]
    return rows, quality
