"""Streaming row readers: CSV, JSONL and Label Studio JSON, one record at a time.

Each reader yields ``Parsed`` records (the task's fields or the reason they could not be built)
and raises InvalidInput only for faults of the whole file (empty, undecodable, bad header,
a quote that is never closed). One record (a CSV row, a JSONL line, a Label Studio item) may
hold at most ``MAX_RECORD_BYTES``, whatever the format; a larger one is a bad row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import ijson  # type: ignore[import-untyped]
from pydantic import ValidationError

from crowdloop.errors import InvalidInput
from crowdloop.projects.importing import labelstudio, screen
from crowdloop.projects.schemas import TaskCreate, TaskFields

BOM = b"\xef\xbb\xbf"
PEEK_BYTES = 64 * 1024
MAX_RECORD_BYTES = 1024 * 1024
TOO_LARGE = (
    f"the record is larger than {MAX_RECORD_BYTES // 1024 // 1024} MiB, the limit for one task"
)
RESERVED = frozenset(
    {
        "external_id",
        "difficulty",
        "priority",
        "deadline",
        "reward_cents",
        "required_skills",
        "gold",
        "gold_explanation",
        "overlap",
    }
)

# Keys crowdloop's own exports add; ignored on import so an export can be imported again.
EXPORT_ONLY = frozenset({"task_id", "result", "confidence", "n_answers", "answers", "is_control"})


@dataclass(slots=True)
class Parsed:
    index: int
    line: int | None
    task: TaskFields | None = None
    error: str | None = None
    ignored_annotations: int = 0


def validation_reason(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(part) for part in err["loc"])
        parts.append(f"{where}: {err['msg']}" if where else err["msg"])
    return "; ".join(parts)


def _parsed(
    index: int, line: int | None, fields: dict[str, Any], ignored: int = 0, raw: bytes = b""
) -> Parsed:
    """Validate ``fields``; ``raw``, the record's JSON text when known, makes screening cheaper."""
    clean = screen.clean_bytes(raw) if raw else screen.clean_fields(fields)
    try:
        task = (TaskFields if clean else TaskCreate).model_validate(fields)
    except ValidationError as exc:
        return Parsed(index, line, error=validation_reason(exc))
    return Parsed(index, line, task=task, ignored_annotations=ignored)


# --- CSV -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CsvLayout:
    width: int
    data_column: int | None
    reserved: tuple[tuple[str, int], ...]
    extra: tuple[tuple[str, int], ...]


def _csv_layout(header: list[str]) -> _CsvLayout:
    names = [name.strip() for name in header]
    if any(not name for name in names):
        raise InvalidInput("CSV header has an empty column name; the first row must be a header")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidInput(f"CSV header repeats columns {duplicates}")
    reserved_names = set(RESERVED) | ({"id"} if "external_id" not in names else set())
    reserved = tuple(
        ("external_id" if name == "id" else name, i)
        for i, name in enumerate(names)
        if name in reserved_names
    )
    data_column = names.index("data") if "data" in names else None
    ignored = {"data"} | (EXPORT_ONLY if data_column is not None else set())
    extra = tuple((name, i) for i, name in enumerate(names) if name not in reserved_names | ignored)
    if data_column is None and not extra:
        raise InvalidInput("CSV has no data columns: add a 'data' column or columns of task data")
    return _CsvLayout(len(names), data_column, reserved, extra)


def _split_list(raw: str) -> Any:
    if raw.lstrip().startswith("["):
        return json.loads(raw)
    return [part.strip() for part in raw.split(";") if part.strip()]


def _csv_gold(raw: str, task_type: str) -> Any:
    if task_type == "multiple_choice":
        return _split_list(raw)
    if task_type == "rating":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"gold must be a number, got {raw!r}") from None
    return raw


def _csv_fields(layout: _CsvLayout, values: list[str], task_type: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if layout.data_column is not None:
        loaded = json.loads(values[layout.data_column])
        if not isinstance(loaded, dict):
            raise ValueError("the 'data' column must hold a JSON object")
        data = loaded
    for name, i in layout.extra:
        data.setdefault(name, values[i])
    fields: dict[str, Any] = {"data": data}
    for name, i in layout.reserved:
        raw = values[i]
        if not raw.strip():
            continue
        if name == "required_skills":
            fields[name] = _split_list(raw)
        elif name == "gold":
            fields[name] = _csv_gold(raw, task_type)
        else:
            fields[name] = raw
    return fields


def _csv_row(layout: _CsvLayout, values: list[str], task_type: str) -> dict[str, Any] | str:
    """The row's task fields, or why the row is bad."""
    if len(values) != layout.width:
        return f"row has {len(values)} fields, the header has {layout.width}"
    if sum(map(len, values)) > MAX_RECORD_BYTES:
        return TOO_LARGE
    try:
        return _csv_fields(layout, values, task_type)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        return str(exc)


def _csv_fault(exc: csv.Error, start: int, end: int) -> str:
    """A malformed row's reason; InvalidInput when a quote swallowed the lines after it."""
    if str(exc).startswith("field larger than field limit"):
        return TOO_LARGE
    if end > start or "unexpected end of data" in str(exc):
        raise InvalidInput(
            f"the CSV is malformed: the quoted field that opens on line {start} is not closed "
            f"where it should be (it runs to line {end}: {exc}); close it, and write a quote "
            'inside a quoted field as ""'
        ) from None
    return f"malformed CSV row: {exc}"


def _csv_rows(reader: Any) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(start line, values or the csv.Error) for each record after the header."""
    start = reader.line_num + 1
    while True:
        try:
            values: list[str] | csv.Error = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            values = exc
        yield start, values
        start = reader.line_num + 1


def _csv_records(text: io.TextIOWrapper, task_type: str) -> Iterator[Parsed]:
    # strict: a quote in the wrong place is an error, not silently part of a field
    reader = csv.reader(text, strict=True)
    header = next(reader, None)
    if header is None:
        raise InvalidInput("the file is empty")
    layout = _csv_layout(header)
    index = 0
    for line, values in _csv_rows(reader):
        if isinstance(values, csv.Error):
            yield Parsed(index, line, error=_csv_fault(values, line, reader.line_num))
        elif not values:
            continue
        else:
            fields = _csv_row(layout, values, task_type)
            if isinstance(fields, str):
                yield Parsed(index, line, error=fields)
            else:
                yield _parsed(index, line, fields)
        index += 1


def read_csv(stream: BinaryIO, task_type: str) -> Iterator[Parsed]:
    # The csv module's field limit is process-wide; every import uses this same one.
    csv.field_size_limit(MAX_RECORD_BYTES)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        yield from _csv_records(text, task_type)
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text") from None
    except csv.Error as exc:
        raise InvalidInput(f"the CSV is malformed: {exc}") from None
    finally:
        text.detach()


# --- JSONL ---------------------------------------------------------------------------------


def _jsonl_record(index: int, line: int, raw: bytes) -> Parsed:
    try:
        obj = json.loads(raw)
    except UnicodeDecodeError:
        return Parsed(index, line, error="not UTF-8 text")
    except ValueError as exc:
        return Parsed(index, line, error=f"not JSON: {exc}")
    if not isinstance(obj, dict):
        return Parsed(index, line, error="not a JSON object")
    if "data" not in obj:
        return _parsed(index, line, {"data": obj}, raw=raw)
    return _parsed(index, line, {k: v for k, v in obj.items() if k not in EXPORT_ONLY}, raw=raw)


def _lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """Each line, or None for a line longer than MAX_RECORD_BYTES (read past, never held)."""
    while raw := stream.readline(MAX_RECORD_BYTES + 1):
        if len(raw) <= MAX_RECORD_BYTES or raw.endswith(b"\n"):
            yield raw
            continue
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(MAX_RECORD_BYTES)
        yield None


def read_jsonl(stream: BinaryIO) -> Iterator[Parsed]:
    index = 0
    for line, raw in enumerate(_lines(stream), start=1):
        if raw is None:
            yield Parsed(index, line, error=TOO_LARGE)
            index += 1
            continue
        record = raw.removeprefix(BOM) if line == 1 else raw
        if not record.strip():
            continue
        yield _jsonl_record(index, line, record)
        index += 1


# --- Label Studio JSON ---------------------------------------------------------------------


class _Peeked:
    """A binary stream with its leading byte-order mark dropped and its first byte known."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        head = stream.read(PEEK_BYTES).removeprefix(BOM)
        while head.isspace():  # skip leading whitespace to find the first JSON character
            more = stream.read(PEEK_BYTES)
            if not more:
                break
            head = more
        self._head = head.lstrip()
        self.first = self._head[:1]

    def read(self, size: int = -1) -> bytes:
        if self._head and size != 0:
            head, self._head = self._head, b""
            return head
        return self._stream.read(size)


def _json_error(exc: Exception) -> str:
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", errors="replace")
    return str(message).strip().splitlines()[0]


def _ls_record(index: int, item: Any, task_type: str) -> Parsed:
    if not isinstance(item, dict):
        return Parsed(index, None, error="item is not a JSON object")
    if len(json.dumps(item, ensure_ascii=False, default=str)) > MAX_RECORD_BYTES:
        return Parsed(index, None, error=TOO_LARGE)
    try:
        fields, ignored = labelstudio.task_fields(item, task_type)
    except ValueError as exc:
        return Parsed(index, None, error=str(exc))
    return _parsed(index, None, fields, ignored)


def read_labelstudio(stream: BinaryIO, task_type: str) -> Iterator[Parsed]:
    source = _Peeked(stream)
    if not source.first:
        raise InvalidInput("the file is empty")
    prefix = {b"[": "item", b"{": ""}.get(source.first)
    if prefix is None:
        raise InvalidInput("Label Studio JSON must be a list of task objects (or one object)")
    index = 0
    try:
        for index, item in enumerate(ijson.items(source, prefix, use_float=True)):
            yield _ls_record(index, item, task_type)
    except (ijson.JSONError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"invalid JSON at or after item {index}: {_json_error(exc)}") from None
