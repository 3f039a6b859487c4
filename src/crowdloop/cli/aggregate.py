"""``crowdloop aggregate``: truth inference on a CSV of answers collected anywhere.

Input: a CSV with a header holding ``task``, ``worker`` and ``label`` (other columns are
ignored). Output: ``task,label,confidence``, one row per task in order of first
appearance. A worker who labelled the same task twice counts once, with their last label
(a warning says how many rows were dropped). Categorical methods give the posterior
probability of the chosen label as confidence; numeric methods (mean, median, weighted)
read labels as numbers and give the standard error of the estimate instead.
"""

from __future__ import annotations

import csv
import sys
import warnings
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import numpy as np
import typer

from crowdloop.algorithms.answers import Codebook, NumericAnswers, dedupe
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, METHODS, NUMERIC_METHODS
from crowdloop.cli._common import warn
from crowdloop.cli._tables import (
    ANSWER_COLUMNS,
    Gold,
    Table,
    as_numbers,
    encode_answers,
    number,
    read_gold,
    read_table,
)
from crowdloop.errors import InvalidInput

DEFAULT_METHOD = {"categorical": "auto", "numeric": "weighted"}
KINDS = tuple(DEFAULT_METHOD)


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


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _check_method(method: str | None, kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    name = (method or DEFAULT_METHOD[kind]).lower()
    if name not in METHODS:
        raise InvalidInput(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    # A numeric method implies --kind numeric; the reverse mix is an error.
    if kind == "numeric" and name not in NUMERIC_METHODS:
        raise InvalidInput(f"method {name!r} is not numeric; use {', '.join(NUMERIC_METHODS)}")
    return name


def _write(path: Path | None, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    with _output(path) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def aggregate(
    labels_csv: Annotated[
        Path, typer.Argument(metavar="LABELS.csv", help="CSV with columns task,worker,label.")
    ],
    gold: Annotated[
        Path | None,
        typer.Option(metavar="GOLD.csv", help="Known answers: CSV with columns task,label."),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help=f"Inference method: {', '.join(METHODS)} "
            "(default: auto for categorical, weighted for numeric).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[str, typer.Option(help="Answer kind: categorical or numeric.")] = "categorical",
    labels: Annotated[
        str | None,
        typer.Option(help="Allowed labels, comma-separated; any other label is an error."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="OUT.csv", help="Write here (default: stdout)."),
    ] = None,
    workers_output: Annotated[
        Path | None,
        typer.Option(
            metavar="WORKERS.csv",
            help="Also write per-worker quality (accuracy and 95% interval, or std and bias).",
        ),
    ] = None,
) -> None:
    """Aggregate crowd answers into one label per task: task,label,confidence.

    Repeated answers of one worker to one task count once (the last one; a warning says
    how many were dropped). With --kind numeric (methods mean, median, weighted) labels are
    read as numbers and the confidence column is the standard error. --labels rejects
    any other label; --workers-output writes each worker's estimated quality.
    """
    name = _check_method(method, kind)
    allowed = None if labels is None else [x.strip() for x in labels.split(",") if x.strip()]
    table = read_table(labels_csv, ANSWER_COLUMNS, "labels file")
    if not table.n_rows:
        raise InvalidInput(f"{labels_csv} has a header but no answers")
    known = None if gold is None else read_gold(gold)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if name in NUMERIC_METHODS:
            rows, quality = numeric(table, name, known)
            worker_header: tuple[str, ...] = NUMERIC_WORKER_HEADER
        else:
            rows, quality = categorical(table, name, known, allowed)
            worker_header = CATEGORICAL_WORKER_HEADER
    for w in caught:
        warn(str(w.message))
    _write(output, ("task", "label", "confidence"), rows)
    if workers_output is not None:
        _write(workers_output, worker_header, quality)


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate)
