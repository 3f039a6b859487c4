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
import math
import sys
import warnings
from collections.abc import Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Annotated, Any, TextIO

import numpy as np
import typer

from crowdloop.algorithms.answers import Answers, Codebook, NumericAnswers, dedupe
from crowdloop.algorithms.truth import CATEGORICAL_METHODS, METHODS, NUMERIC_METHODS
from crowdloop.cli._common import warn
from crowdloop.errors import InvalidInput

DEFAULT_METHOD = "mv"
ANSWER_COLUMNS = ("task", "worker", "label")
GOLD_COLUMNS = ("task", "label")


@dataclass(frozen=True)
class Table:
    """Columns of a CSV: ``columns[name]`` is the list of values, ``lines`` their line numbers."""

    columns: dict[str, list[str]]
    lines: list[int]


def _open(path: Path, what: str) -> TextIO:
    if not path.is_file():
        raise InvalidInput(f"{what} {path} does not exist or is not a file")
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _header(reader: Iterator[list[str]], path: Path, wanted: Sequence[str]) -> list[int]:
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        raise InvalidInput(f"{path} is empty: expected a header with {', '.join(wanted)}")
    names = [h.strip().lower() for h in header]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise InvalidInput(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(header has: {', '.join(header)}; need {', '.join(wanted)})"
        )
    return [names.index(c) for c in wanted]


def read_table(path: Path, wanted: Sequence[str], what: str) -> Table:
    """Read the ``wanted`` columns; every one must be non-empty on every data row.

    The hot loop does one C-level itemgetter and one strip per cell; rows are transposed
    into columns at the end (a million answers read in a couple of seconds).
    """
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    with _open(path, what) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            positions = _header(reader, path, wanted)
            # Two or more columns are wanted, so itemgetter returns a tuple.
            pick, width = itemgetter(*positions), max(positions) + 1
            for row in reader:
                values = tuple(map(str.strip, pick(row))) if len(row) >= width else ()
                if not values or not all(values):
                    if not any(cell.strip() for cell in row):
                        continue  # a blank line
                    _reject(row, positions, wanted, f"{path}, line {reader.line_num}")
                rows.append(values)
                lines.append(reader.line_num)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
    columns = [list(col) for col in zip(*rows, strict=True)] or [[] for _ in wanted]
    return Table(dict(zip(wanted, columns, strict=True)), lines)


def _reject(row: list[str], positions: list[int], wanted: Sequence[str], where: str) -> None:
    """Raise for the first wanted cell that is missing or blank."""
    for name, pos in zip(wanted, positions, strict=True):
        if pos >= len(row) or not row[pos].strip():
            raise InvalidInput(f"{where}: empty {name}")


def _as_numbers(values: list[str], lines: list[int], path: Path) -> list[float]:
    out = []
    for value, line in zip(values, lines, strict=True):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise InvalidInput(f"{path}, line {line}: label {value!r} is not a finite number")
        out.append(number)
    return out


@dataclass(frozen=True)
class Gold:
    """Known labels by task, with the line each came from."""

    path: Path
    labels: dict[str, str]
    lines: dict[str, int]


def read_gold(path: Path) -> Gold:
    table = read_table(path, GOLD_COLUMNS, "gold file")
    if not table.lines:
        raise InvalidInput(f"gold file {path} has a header but no rows")
    labels: dict[str, str] = {}
    lines: dict[str, int] = {}
    for task, label, line in zip(*table.columns.values(), table.lines, strict=True):
        if labels.get(task, label) != label:
            raise InvalidInput(f"{path}, line {line}: task {task!r} has two gold labels")
        labels[task], lines[task] = label, line
    return Gold(path, labels, lines)


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


Rows = list[tuple[Hashable, Hashable, str]]


def categorical(table: Table, method: str, gold: Gold | None) -> Rows:
    """Fit a categorical method; returns (task, label, confidence) rows."""
    cols = table.columns
    tasks, workers = Codebook(cols["task"], keep_order=True), Codebook(cols["worker"])
    labels = Codebook([*cols["label"], *(gold.labels.values() if gold else ())])
    answers = Answers(
        tasks.encode(cols["task"]),
        workers.encode(cols["worker"]),
        labels.encode(cols["label"]),
        len(tasks),
        len(workers),
        len(labels),
    )
    answers, n_removed = dedupe(answers, keep="last")  # type: ignore[assignment]
    _report_duplicates(n_removed)
    gold_codes = None if gold is None else _gold_codes(gold, tasks, labels)
    est = CATEGORICAL_METHODS[method]().fit(answers, gold=gold_codes)
    decoded = labels.decode(est.labels_)
    return [
        (task, label, f"{conf:.6g}")
        for task, label, conf in zip(tasks.ids, decoded, est.confidence_, strict=True)
    ]


def numeric(table: Table, method: str, gold: Gold | None, path: Path) -> Rows:
    """Fit a numeric method; labels (and gold) must be numbers."""
    cols = table.columns
    values = _as_numbers(cols["label"], table.lines, path)
    tasks, workers = Codebook(cols["task"], keep_order=True), Codebook(cols["worker"])
    answers = NumericAnswers(
        tasks.encode(cols["task"]),
        workers.encode(cols["worker"]),
        np.asarray(values, dtype=np.float64),
        len(tasks),
        len(workers),
    )
    answers, n_removed = dedupe(answers, keep="last")  # type: ignore[assignment]
    _report_duplicates(n_removed)
    gold_values = None
    if gold is not None:
        known = _known(gold, tasks)
        lines = [gold.lines[t] for t in known]
        numbers = _as_numbers([gold.labels[t] for t in known], lines, gold.path)
        gold_values = dict(zip(tasks.encode(known).tolist(), numbers, strict=True))
    est = NUMERIC_METHODS[method]().fit(answers, gold=gold_values)
    return [
        (task, f"{v:.6g}", f"{se:.6g}")
        for task, v, se in zip(tasks.ids, est.values_, est.confidence_, strict=True)
    ]


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


def _check_method(method: str) -> str:
    name = method.lower()
    if name not in METHODS:
        raise InvalidInput(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return name


def aggregate(
    labels_csv: Annotated[
        Path, typer.Argument(metavar="LABELS.csv", help="CSV with columns task,worker,label.")
    ],
    gold: Annotated[
        Path | None,
        typer.Option(metavar="GOLD.csv", help="Known answers: CSV with columns task,label."),
    ] = None,
    method: Annotated[
        str, typer.Option(help=f"Inference method: {', '.join(METHODS)}.")
    ] = DEFAULT_METHOD,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="OUT.csv", help="Write here (default: stdout)."),
    ] = None,
) -> None:
    """Aggregate crowd answers into one label per task: task,label,confidence.

    Repeated answers of one worker to one task count once (the last one; a warning says
    how many were dropped). Numeric methods (mean, median, weighted) read labels as
    numbers and report the standard error as the confidence column.
    """
    name = _check_method(method)
    table = read_table(labels_csv, ANSWER_COLUMNS, "labels file")
    if not table.lines:
        raise InvalidInput(f"{labels_csv} has a header but no answers")
    known = None if gold is None else read_gold(gold)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if name in NUMERIC_METHODS:
            rows = numeric(table, name, known, labels_csv)
        else:
            rows = categorical(table, name, known)
    for w in caught:
        warn(str(w.message))
    with _output(output) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["task", "label", "confidence"])
        writer.writerows(rows)


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate)
