"""Reading CSV files of crowd answers and gold labels, with line-numbered errors.

Two readers give the same result. The fast one is pyarrow's CSV reader: it parses the file
in C++ and hands every wanted column over dictionary-encoded (its distinct values once, and
an integer code per row), so a million answers cost about a second and no Python object per
row. The careful one is Python's ``csv`` module, row by row, which knows line numbers: it
reads the file again whenever the fast reader meets anything unusual (a blank cell, a row
of the wrong width, a newline inside a value, bytes that are not UTF-8) and raises the
line-numbered error, or accepts what it accepts (blank lines, extra cells). It also gives
the line number of a row when a later check (a label that is not a number, a task with two
gold labels) needs one.

pyarrow is imported inside the functions that read, never when this module is imported.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np

from crowdloop.algorithms.answers import Answers, Codebook
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    import pyarrow as pa

ANSWER_COLUMNS = ("task", "worker", "label")
GOLD_COLUMNS = ("task", "label")
_CHUNK = 1 << 24
Codes = np.ndarray[Any, np.dtype[np.int32]]


@dataclass(frozen=True)
class Column:
    """One column, dictionary-encoded: row ``i`` holds ``values[codes[i]]``.

    ``values`` are distinct, stripped of surrounding whitespace, in order of first appearance;
    ``codes`` are int32 (half the memory of the int64 codes the numeric core keeps).
    """

    values: list[str]
    codes: Codes

    def rows(self) -> list[str]:
        """The value of every row (one Python step per row: for small tables)."""
        values = self.values
        return [values[c] for c in self.codes.tolist()]


@dataclass
class Table:
    """The wanted columns of a CSV file; ``line(i)`` is the line row ``i`` started on."""

    path: Path
    what: str
    wanted: tuple[str, ...]
    columns: dict[str, Column]
    n_rows: int
    _lines: list[int] | None = field(default=None, repr=False)

    def line(self, row: int) -> int:
        if self._lines is None:  # the fast reader knows no line numbers: read again
            _, self._lines = _read_rows(self.path, self.wanted, self.what)
        return self._lines[row]


def _open(path: Path, what: str) -> TextIO:
    if not path.is_file():
        raise InvalidInput(f"{what} {path} does not exist or is not a file")
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _header(
    reader: Iterator[list[str]], path: Path, wanted: Sequence[str]
) -> tuple[list[int], int]:
    """Positions of the wanted columns, and the number of cells in the header."""
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
    return [names.index(c) for c in wanted], len(names)


def read_table(path: Path, wanted: Sequence[str], what: str) -> Table:
    """Read the ``wanted`` columns; every one must be non-empty on every data row."""
    with _open(path, what) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            positions, width = _header(reader, path, wanted)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
        one_line = reader.line_num == 1  # then pyarrow's skip_rows=1 skips just the header
    columns = _read_fast(path, positions, wanted, width) if one_line else None
    if columns is not None:
        n_rows = len(next(iter(columns.values())).codes)
        return Table(path, what, tuple(wanted), columns, n_rows)
    values, lines = _read_rows(path, wanted, what)
    encoded = {name: _encode_list(col) for name, col in zip(wanted, values, strict=True)}
    return Table(path, what, tuple(wanted), encoded, len(lines), lines)


def _read_fast(
    path: Path, positions: list[int], wanted: Sequence[str], width: int
) -> dict[str, Column] | None:
    """The wanted columns by pyarrow, or None when the careful reader must decide."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    keep = [names[p] for p in positions]
    text = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            path,
            # one thread: on a small machine threads buy little and keep memory in their heaps
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(keep, text),
                include_columns=keep,
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if not _one_row_per_line(path, table.num_rows):
        return None
    arrays = {name: table.column(key) for name, key in zip(wanted, keep, strict=True)}
    del table
    columns = {}
    for name in wanted:
        column = _encode_chunks(arrays.pop(name))  # each column freed once encoded
        if column is None:
            return None
        columns[name] = column
    pa.default_memory_pool().release_unused()  # hand the parsing buffers back
    return columns


def _one_row_per_line(path: Path, n_rows: int) -> bool:
    """True when the file has exactly one line per row after the header: no blank line and
    no newline inside a value anywhere (an unclosed quote would swallow the lines after it)."""
    newlines, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
    return newlines == n_rows + (1 if last == b"\n" else 0)


def _encode_chunks(column: pa.ChunkedArray) -> Column | None:
    """One code per row over all chunks (each chunk has a dictionary of its own); None when
    a value is blank or holds a line break (the careful reader then names the line)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = [c for c in column.chunks if len(c)]
    if not chunks:
        return Column([], np.empty(0, dtype=np.int32))
    merged = pc.dictionary_encode(pa.concat_arrays([c.dictionary for c in chunks]))
    raw = merged.dictionary
    if pc.any(pc.match_substring_regex(raw, "[\r\n]")).as_py():
        return None
    # position in the chunks' dictionaries, one after another -> final code
    final = merged.indices.to_numpy()
    values = pc.utf8_trim_whitespace(raw)
    if not values.equals(raw):  # " a" and "a" are one value
        stripped = pc.dictionary_encode(values)
        values, final = stripped.dictionary, stripped.indices.to_numpy()[final]
    if pc.any(pc.equal(values, "")).as_py():
        return None
    codes = np.empty(len(column), dtype=np.int32)
    start = offset = 0
    for chunk in chunks:
        size = len(chunk.dictionary)
        codes[start : start + len(chunk)] = final[offset : offset + size][chunk.indices.to_numpy()]
        start, offset = start + len(chunk), offset + size
    codes.setflags(write=False)
    return Column(values.to_pylist(), codes)


def _encode_list(values: list[str]) -> Column:
    index = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter((index[v] for v in values), dtype=np.int32, count=len(values))
    codes.setflags(write=False)
    return Column(list(index), codes)


def _read_rows(path: Path, wanted: Sequence[str], what: str) -> tuple[list[list[str]], list[int]]:
    """The careful reader: the wanted columns as lists and each row's line number."""
    rows: list[tuple[str, ...]] = []
    lines: list[int] = []
    with _open(path, what) as handle:
        reader = csv.reader(handle, strict=True)
        try:
            positions, _ = _header(reader, path, wanted)
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
    return columns, lines


def _reject(row: list[str], positions: list[int], wanted: Sequence[str], where: str) -> None:
    """Raise for the first wanted cell that is missing or blank."""
    for name, pos in zip(wanted, positions, strict=True):
        if pos >= len(row) or not row[pos].strip():
            raise InvalidInput(f"{where}: empty {name}")


def number(value: str) -> float | None:
    """``value`` as a finite float, or None."""
    try:
        result = float(value)
    except ValueError:
        return None
    return result if math.isfinite(result) else None


def as_numbers(table: Table, name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Column ``name`` as finite floats (each distinct value converted once)."""
    column = table.columns[name]
    converted = [number(v) for v in column.values]
    if None in converted:
        bad = converted.index(None)
        row = int(np.flatnonzero(column.codes == bad)[0])
        raise InvalidInput(
            f"{table.path}, line {table.line(row)}: {name} {column.values[bad]!r} "
            "is not a finite number"
        )
    return np.asarray(converted, dtype=np.float64)[column.codes]


@dataclass(frozen=True)
class Gold:
    """Known labels by task, with the row each came from (``line`` gives its line)."""

    table: Table
    labels: dict[str, str]
    rows: dict[str, int]

    @property
    def path(self) -> Path:
        return self.table.path

    def line(self, task: str) -> int:
        return self.table.line(self.rows[task])


def read_gold(path: Path) -> Gold:
    table = read_table(path, GOLD_COLUMNS, "gold file")
    if not table.n_rows:
        raise InvalidInput(f"gold file {path} has a header but no rows")
    labels: dict[str, str] = {}
    rows: dict[str, int] = {}
    tasks, values = table.columns["task"].rows(), table.columns["label"].rows()
    for row, (task, label) in enumerate(zip(tasks, values, strict=True)):
        if labels.get(task, label) != label:
            raise InvalidInput(f"{path}, line {table.line(row)}: task {task!r} has two gold labels")
        labels[task], rows[task] = label, row
    return Gold(table, labels, rows)


def encode_answers(table: Table, labels: Codebook) -> tuple[Answers, Codebook, Codebook]:
    """Categorical answers of a task,worker,label table: tasks coded in order of first
    appearance, workers in sorted order, labels by ``labels`` (unknown ones raise)."""
    cols = table.columns
    tasks = Codebook(cols["task"].values, keep_order=True)
    workers = Codebook(cols["worker"].values)
    answers = Answers(
        tasks.encode_indexed(cols["task"].values, cols["task"].codes),
        workers.encode_indexed(cols["worker"].values, cols["worker"].codes),
        labels.encode_indexed(cols["label"].values, cols["label"].codes),
        len(tasks),
        len(workers),
        len(labels),
    )
    return answers, tasks, workers
