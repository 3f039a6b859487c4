"""Answer schemas: what a valid answer to a project's tasks looks like, and its checker."""

from __future__ import annotations

import functools
import json
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from crowdloop.errors import InvalidInput
from crowdloop.projects.task_types import TASK_TYPES  # set by CLI flags
from crowdloop.text import ensure_storable

MAX_LABELS = 1000


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SingleChoice(_Schema):
    """Pick exactly one label. Answer: the label string."""

    type: Literal["single_choice"] = "single_choice"
    labels: list[str] = Field(min_length=2, max_length=MAX_LABELS)

    @model_validator(mode="after")
    def _unique(self) -> SingleChoice:
        _check_labels(self.labels)
        return self

    def validate_answer(self, value: Any) -> str:
        if not isinstance(value, str) or value not in self.labels:
            raise InvalidInput(f"answer must be one of {self.labels}, got {value!r}")
        return value


class MultipleChoice(_Schema):
    """Pick a set of labels. Answer: a list of label strings (order ignored)."""

    type: Literal["multiple_choice"] = "multiple_choice"
    labels: list[str] = Field(min_length=1, max_length=MAX_LABELS)
    min_selected: int = Field(0, ge=0)
    max_selected: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _unique(self) -> MultipleChoice:
        _check_labels(self.labels)
        if self.max_selected is not None and self.max_selected < self.min_selected:
            raise ValueError("max_selected must be >= min_selected")
        return self

    def validate_answer(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInput(f"answer must be a list of labels, got {value!r}")
        chosen = set(value)
        unknown = sorted(chosen - set(self.labels))
        if unknown:
            raise InvalidInput(f"unknown labels {unknown}; allowed: {self.labels}")
        if len(chosen) < self.min_selected:
            raise InvalidInput(f"choose at least {self.min_selected} labels")
        if self.max_selected is not None and len(chosen) > self.max_selected:
            raise InvalidInput(f"choose at most {self.max_selected} labels")
        return [label for label in self.labels if label in chosen]


class Rating(_Schema):
    """A number in [min, max], optionally on a step grid. Answer: the number."""

    type: Literal["rating"] = "rating"
    min: float = 1
    max: float = 5
    step: float | None = Field(1, gt=0)

    @model_validator(mode="after")
    def _range(self) -> Rating:
        if not self.min < self.max:
            raise ValueError("rating needs min < max")
        return self

    def validate_answer(self, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise InvalidInput(f"answer must be a number, got {value!r}")
        if not self.min <= value <= self.max:
            raise InvalidInput(f"answer must be between {self.min} and {self.max}, got {value}")
        if self.step is not None:
            k = (value - self.min) / self.step
            if abs(k - round(k)) > 1e-9:
                raise InvalidInput(f"answer must be {self.min} plus a multiple of {self.step}")
        return float(value)


class Text(_Schema):
    """Short free text. Answer: a string."""

    type: Literal["text"] = "text"
    max_length: int = Field(1000, ge=1, le=100_000)

    def validate_answer(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput("answer must be a non-empty string")
        if len(value) > self.max_length:
            raise InvalidInput(f"answer is longer than {self.max_length} characters")
        return value.strip()


MAX_FILE_BYTES = 50 * 1024 * 1024
EXTENSION = r"^\.[a-z0-9]{1,10}$"


class File(_Schema):
    """Upload one file (a larger deliverable). The file goes to
    ``POST /assignments/{id}/files`` first; the answer then names the upload:
    ``{"upload_id": ..., "filename": ..., "size": ...}`` (checked to be the worker's own
    upload on that assignment when the answer is submitted)."""

    type: Literal["file"] = "file"
    extensions: list[Annotated[str, Field(pattern=EXTENSION)]] = Field(
        min_length=1, max_length=50, description='Allowed, lower case with the dot: [".pdf"].'
    )
    max_bytes: int = Field(10 * 1024 * 1024, ge=1, le=MAX_FILE_BYTES)

    def check_file(self, filename: str, size: int) -> None:
        """Refuse a file of a type or size the project does not take."""
        suffix = "." + filename.rsplit(".", 1)[1].lower() if "." in filename else ""
        if suffix not in self.extensions:
            allowed = ", ".join(self.extensions)
            raise InvalidInput(f"{filename!r}: this project takes {allowed} files")
        if size == 0:
            raise InvalidInput(f"{filename!r} is empty")
        if size > self.max_bytes:
            raise InvalidInput(f"{filename!r} is larger than the limit of {self.max_bytes} bytes")

    def validate_answer(self, value: Any) -> dict[str, Any]:
        upload_id = value.get("upload_id") if isinstance(value, dict) else None
        if isinstance(upload_id, bool) or not isinstance(upload_id, int):
            raise InvalidInput(
                'answer must name an upload: {"upload_id": <id from POST .../files>}'
            )
        return {"upload_id": upload_id}


Schema = SingleChoice | MultipleChoice | Rating | Text | File
AnswerSchema = Annotated[Schema, Field(discriminator="type")]
_adapter: TypeAdapter[Schema] = TypeAdapter(AnswerSchema)
ALL_TYPES = (*TASK_TYPES, "file")


def check_answer(schema: Schema, value: Any) -> Any:
    """An answer as stored: valid text everywhere, then valid for the project's schema."""
    return schema.validate_answer(ensure_storable(value, "answer"))


def parse_schema(raw: dict[str, Any]) -> Schema:
    """Build a schema object from its stored JSON form (cached: it runs on every answer)."""
    return _parse_cached(json.dumps(raw, sort_keys=True))


@functools.lru_cache(maxsize=1024)
def _parse_cached(raw: str) -> Schema:
    return _adapter.validate_json(raw)


def _check_labels(labels: list[str]) -> None:
    if len(set(labels)) != len(labels):
        raise ValueError("labels must be unique")
    if any(not label.strip() for label in labels):
        raise ValueError("labels must be non-empty")
