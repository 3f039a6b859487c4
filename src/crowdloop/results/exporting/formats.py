"""Encoders: one page of exported tasks in, bytes out. CSV, JSONL and Label Studio JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from crowdloop.projects.importing.labelstudio import result_item

MODEL_VERSION = "crowdloop-majority"
CSV_COLUMNS = ("task_id", "external_id", "result", "confidence", "n_answers", "gold", "data")


@dataclass(frozen=True, slots=True)
class Answer:
    worker_id: int
    answer: Any
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class ExportedTask:
    id: int
    external_id: str | None
    data: dict[str, Any]
    result: Any
    confidence: float | None
    n_answers: int
    gold: Any
    is_control: bool
    predictions: list[Any] | None
    answers: list[Answer] = field(default_factory=list)


class Encoder(Protocol):
    media_type: str
    extension: str

    def head(self) -> bytes: ...
    def page(self, tasks: Sequence[ExportedTask]) -> bytes: ...
    def tail(self) -> bytes: ...


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _cell(value: Any) -> str:
    """A CSV cell: strings as they are, nothing as empty, anything else as JSON."""
    if value is None:
        return ""
    return value if isinstance(value, str) else _json(value)


class CsvEncoder:
    media_type = "text/csv; charset=utf-8"
    extension = "csv"

    def _rows(self, rows: list[Sequence[Any]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()

    def head(self) -> bytes:
        return self._rows([CSV_COLUMNS])

    def page(self, tasks: Sequence[ExportedTask]) -> bytes:
        return self._rows(
            [
                (
                    t.id,
                    t.external_id or "",
                    _cell(t.result),
                    "" if t.confidence is None else repr(t.confidence),
                    t.n_answers,
                    _cell(t.gold),
                    _json(t.data),
                )
                for t in tasks
            ]
        )

    def tail(self) -> bytes:
        return b""


class JsonlEncoder:
    media_type = "application/x-ndjson"
    extension = "jsonl"

    def head(self) -> bytes:
        return b""

    def page(self, tasks: Sequence[ExportedTask]) -> bytes:
        return "".join(_json(self.item(t)) + "\n" for t in tasks).encode()

    @staticmethod
    def item(t: ExportedTask) -> dict[str, Any]:
        return {
            "task_id": t.id,
            "external_id": t.external_id,
            "data": t.data,
            "result": t.result,
            "confidence": t.confidence,
            "n_answers": t.n_answers,
            "answers": [
                {"worker_id": a.worker_id, "answer": a.answer, "submitted_at": a.submitted_at}
                for a in t.answers
            ],
            "gold": t.gold,
            "is_control": t.is_control,
        }

    def tail(self) -> bytes:
        return b""


class LabelStudioEncoder:
    """A JSON list of Label Studio tasks; see docs/import-export.md for the mapping."""

    media_type = "application/json"
    extension = "json"

    def __init__(self, task_type: str) -> None:
        self.task_type = task_type
        self._first = True

    def head(self) -> bytes:
        return b"["

    def page(self, tasks: Sequence[ExportedTask]) -> bytes:
        parts = []
        for t in tasks:
            parts.append(("\n" if self._first else ",\n") + _json(self.item(t)))
            self._first = False
        return "".join(parts).encode()

    def tail(self) -> bytes:
        return b"]\n" if self._first else b"\n]\n"

    def item(self, t: ExportedTask) -> dict[str, Any]:
        annotations = [
            {
                "result": [result_item(self.task_type, a.answer)],
                "completed_by": a.worker_id,
                "created_at": a.submitted_at,
                "ground_truth": False,
                "was_cancelled": False,
            }
            for a in t.answers
        ]
        if t.is_control and t.gold is not None:
            gold = [result_item(self.task_type, t.gold)]
            annotations.append({"result": gold, "completed_by": None, "ground_truth": True})
        predictions = list(t.predictions or [])
        if t.result is not None:
            predictions.append(
                {
                    "model_version": MODEL_VERSION,
                    "score": t.confidence,
                    "result": [result_item(self.task_type, t.result)],
                }
            )
        meta = {"external_id": t.external_id, "n_answers": t.n_answers, "is_control": t.is_control}
        return {
            "id": t.id,
            "data": t.data,
            "annotations": annotations,
            "predictions": predictions,
            "meta": meta,
        }


def encoder_for(fmt: str, task_type: str) -> Encoder:
    if fmt == "csv":
        return CsvEncoder()
    if fmt == "jsonl":
        return JsonlEncoder()
    return LabelStudioEncoder(task_type)
