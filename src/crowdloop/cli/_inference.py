"""The fits behind ``crowdloop aggregate``: coded answers in, output rows out.

Imported by the command when it runs (numpy, the readers and the estimators), never when
the CLI starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crowdloop.algorithms.answers import Codebook, NumericAnswers, dedupe
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, NUMERIC_METHODS
from crowdloop.cli._common import warn
from crowdloop.cli._tables import Gold, Table, as_numbers, encode_answers, number
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    import pyarrow as pa


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


WorkerRows = list[tuple[Any, ...]]
OUTPUT_HEADER = ("task", "label", "confidence")


def g6(values: np.ndarray[Any, Any]) -> pa.Array:
    """``f"{v:.6g}"`` of every value as arrow strings, each distinct value formatted once
    (distinct by bit pattern, so that -0.0 keeps its "-0")."""
    import pyarrow as pa

    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    distinct, index = np.unique(bits, return_inverse=True)
    texts = pa.array([f"{v:.6g}" for v in distinct.view(np.float64).tolist()], pa.string())
    return texts.take(pa.array(index.ravel()))


def _output(tasks: Codebook, labels: pa.Array, confidence: pa.Array) -> pa.Table:
    import pyarrow as pa

    columns = [pa.array(tasks.ids, pa.string()), labels, confidence]
    return pa.Table.from_arrays(columns, names=list(OUTPUT_HEADER))


def _check_labels(table: Table, allowed: list[str] | None, gold: Gold | None) -> None:
    if allowed is None:
        return
    values = {*table.columns["label"].values, *(gold.labels.values() if gold else ())}
    outside = sorted(values - set(allowed))
    if outside:
        raise InvalidInput(f"labels outside --labels {','.join(allowed)}: {', '.join(outside)}")


def categorical(
    table: Table, method: str, gold: Gold | None, allowed: list[str] | None = None
) -> tuple[pa.Table, WorkerRows]:
    """Fit a categorical method; returns the task,label,confidence table and worker rows."""
    import pyarrow as pa

    _check_labels(table, allowed, gold)
    seen = [*table.columns["label"].values, *(gold.labels.values() if gold else ())]
    labels = Codebook(allowed if allowed else seen, keep_order=allowed is not None)
    answers, tasks, workers = encode_answers(table, labels)
    table.columns.clear()  # the codes live in answers now: free the table's before the fit
    answers, n_removed = dedupe(answers, keep="last")  # type: ignore[assignment]
    _report_duplicates(n_removed)
    gold_codes = None if gold is None else _gold_codes(gold, tasks, labels)
    est = CATEGORICAL_METHODS[method]().fit(answers, gold=gold_codes)
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
    codes, confidence = est.labels_, est.confidence_
    del est, answers  # the fit's arrays and the answers' codes go before the output is built
    chosen = pa.array(labels.ids, pa.string()).take(pa.array(codes))
    rows = _output(tasks, chosen, g6(confidence))
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


def numeric(table: Table, method: str, gold: Gold | None) -> tuple[pa.Table, WorkerRows]:
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
    counts = np.bincount(answers.worker_idx, minlength=answers.n_workers)
    quality = [
        (w, f"{sd:.6g}", f"{b:.6g}", int(n))
        for w, sd, b, n in zip(workers.ids, est.worker_std_, est.worker_bias_, counts, strict=True)
    ]
    values, errors = est.values_, est.confidence_
    del est, answers  # as in categorical: free the fit before the output is built
    rows = _output(tasks, g6(values), g6(errors))
    return rows, quality
