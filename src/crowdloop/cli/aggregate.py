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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TextIO

import typer

from crowdloop.algorithms import methods
from crowdloop.cli._common import warn
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    import pyarrow as pa

DEFAULT_METHOD = {"categorical": "auto", "numeric": "weighted"}
KINDS = tuple(DEFAULT_METHOD)


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


@contextmanager
def _binary_output(path: Path | None) -> Iterator[BinaryIO]:
    if path is None:
        sys.stdout.flush()
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        handle = path.open("wb")
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _check_method(method: str | None, kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    name = (method or DEFAULT_METHOD[kind]).lower()
    if name not in methods.ALL:
        raise InvalidInput(f"unknown method {method!r}; choose one of {', '.join(methods.ALL)}")
    # A numeric method implies --kind numeric; the reverse mix is an error.
    if kind == "numeric" and name not in methods.NUMERIC:
        raise InvalidInput(f"method {name!r} is not numeric; use {', '.join(methods.NUMERIC)}")
    return name


def _write(path: Path | None, header: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    with _output(path) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_table(path: Path | None, table: pa.Table) -> None:
    """The table as ``_write`` writes it (``,``, quotes only where needed, ``\n``), by
    pyarrow's CSV writer: one call instead of a Python step per row. pyarrow quotes either
    every string or none, so a table with a value that needs quotes (a comma, a quote or a
    line break) is written by the csv module instead, byte for byte as before."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = tuple(table.column_names)
    if any(pc.any(pc.match_substring_regex(c, '[,"\r\n]')).as_py() for c in table.columns):
        columns = [c.to_pylist() for c in table.columns]
        _write(path, header, zip(*columns, strict=True))
        return
    with _binary_output(path) as out:
        out.write((",".join(header) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, out, options)


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
            help=f"Inference method: {', '.join(methods.ALL)} "
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
    from crowdloop.cli import _inference
    from crowdloop.cli._tables import ANSWER_COLUMNS, read_gold, read_table

    name = _check_method(method, kind)
    allowed = None if labels is None else [x.strip() for x in labels.split(",") if x.strip()]
    table = read_table(labels_csv, ANSWER_COLUMNS, "labels file")
    if not table.n_rows:
        raise InvalidInput(f"{labels_csv} has a header but no answers")
    known = None if gold is None else read_gold(gold)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if name in methods.NUMERIC:
            rows, quality = _inference.numeric(table, name, known)
            worker_header: tuple[str, ...] = _inference.NUMERIC_WORKER_HEADER
        else:
            rows, quality = _inference.categorical(table, name, known, allowed)
            worker_header = _inference.CATEGORICAL_WORKER_HEADER
    for w in caught:
        warn(str(w.message))
    _write_table(output, rows)
    if workers_output is not None:
        _write(workers_output, worker_header, quality)


def register(app: typer.Typer) -> None:
    app.command("aggregate")(aggregate)
