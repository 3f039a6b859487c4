"""Reading CSV files of crowd answers and gold labels, with line-numbered errors."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import TextIO

from crowdloop.errors import InvalidInput

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


def as_numbers(values: list[str], lines: list[int], path: Path) -> list[float]:
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
