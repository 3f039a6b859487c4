"""The importer's cheap hygiene screen refuses exactly what TaskCreate refuses, with its words.

Most records skip TaskCreate's walk of every value (see importing/screen.py); these tests
feed the readers records that hide a NUL, a lone surrogate or deep nesting in every way a
file can hold one, and records that only look suspicious, and compare each verdict with
``TaskCreate`` itself.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from pydantic import ValidationError

from crowdloop.projects.importing import readers, screen
from crowdloop.projects.schemas import TaskCreate
from crowdloop.text import MAX_DEPTH


def _expected(fields: dict[str, Any]) -> str | None:
    try:
        TaskCreate.model_validate(fields)
    except ValidationError as exc:
        return readers.validation_reason(exc)
    return None


def _deep(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


BAD_LINES = [
    rb'{"data": {"q": "a\u0000b"}}',  # NUL escape
    rb'{"data": {"q": "\ud800"}}',  # lone high surrogate escape
    rb'{"data": {"q": "\uDFFF"}}',  # lone low surrogate, upper-case hex
    rb'{"data": {"q": "\udc00"}}',
    b'{"data": {"q": "\xed\xa0\x80"}}',  # a surrogate encoded in UTF-8
    rb'{"data": {"a\u0000": 1}}',  # in a key
    rb'{"data": {"q": 1}, "external_id": "x\u0000"}',  # in another field
    rb'{"data": {"q": 1}, "gold_explanation": "\udc00"}',
    rb'{"data": {"q": 1}, "predictions": [{"v": "\u0000"}]}',
    rb'{"q": "\u0000"}',  # a flat record: all data
    json.dumps({"data": {"q": _deep(MAX_DEPTH + 1)}}).encode(),
]

FINE_LINES = [
    rb'{"data": {"q": "a\\u0000b"}}',  # an escaped backslash, then the text u0000
    rb'{"data": {"q": "\u00e9\u4e2d"}}',  # ordinary escapes
    '{"data": {"q": "\ud55c\uae00 \ud7a3"}}'.encode(),  # Hangul: UTF-8 lead byte 0xED
    rb'{"data": {"q": "\uD7FF\uE000"}}',  # next to the surrogate range
    json.dumps({"data": {"q": _deep(MAX_DEPTH - 2)}}).encode(),  # deep, not too deep
    json.dumps({"data": {"q": "{[" * 40}}).encode(),  # brackets in text: a false alarm
]


def _jsonl(line: bytes) -> readers.Parsed:
    (record,) = readers.read_jsonl(io.BytesIO(line + b"\n"))
    return record


@pytest.mark.parametrize("line", BAD_LINES)
def test_a_bad_jsonl_record_gets_the_error_taskcreate_gives(line: bytes) -> None:
    obj = json.loads(line)
    fields = obj if "data" in obj else {"data": obj}
    record = _jsonl(line)
    assert record.task is None
    assert record.error == _expected(fields)
    assert record.error is not None


@pytest.mark.parametrize("line", FINE_LINES)
def test_a_record_that_only_looks_suspicious_is_imported(line: bytes) -> None:
    record = _jsonl(line)
    assert record.error is None
    assert record.task is not None
    assert record.task.data == json.loads(line)["data"]


def test_a_clean_record_skips_the_walk_and_keeps_every_limit() -> None:
    record = _jsonl(b'{"data": {"q": 1}, "priority": 5000, "overlap": 0}')
    assert record.task is None
    assert record.error == _expected({"data": {"q": 1}, "priority": 5000, "overlap": 0})
    assert "priority" in (record.error or "")
    assert "overlap" in (record.error or "")


@pytest.mark.parametrize(
    "cell",
    [
        "a\x00b",
        json.dumps({"q": "\ud800"}),
        json.dumps({"q": "\u0000"}),
        json.dumps({"q": _deep(MAX_DEPTH + 1)}),
    ],
)
def test_csv_and_label_studio_records_are_screened_too(cell: str) -> None:
    is_json = cell.startswith("{")
    header, fields = ("data", json.loads(cell)) if is_json else ("text", {"text": cell})
    out = io.StringIO()
    csv.writer(out).writerows([[header], [cell]])
    text = out.getvalue().encode()
    (row,) = readers.read_csv(io.BytesIO(text), "text")
    assert row.error == _expected({"data": fields})
    items = json.dumps([{"data": fields}]).encode()
    (item,) = readers.read_labelstudio(io.BytesIO(items), "text")
    if r"\ud800" not in cell:  # ijson turns a lone surrogate escape into "?" itself
        assert item.error == _expected({"data": fields})
    assert row.error is not None


def test_the_screens_in_isolation() -> None:
    assert screen.clean_bytes(b'{"data": {"q": "fine"}}')
    assert not screen.clean_bytes(rb'{"data": {"q": "\u0000"}}')
    assert screen.clean_fields({"data": {"q": "fine"}})
    assert not screen.clean_fields({"data": {"q": "\x00"}})
    assert not screen.clean_fields({"data": {"q": "\udfff"}})
    assert not screen.clean_fields({"data": {"q": object()}})  # not JSON: the walk decides
