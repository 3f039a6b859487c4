"""The create-project form: browser fields -> ProjectCreate body, and pydantic errors -> fields.

The browser sends flat strings; the API schema is nested (``answer_schema``). Validation is
the API's own (ProjectCreate), so the page and the API accept and refuse the same projects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from crowdloop.projects.answer_schema import ALL_TYPES
from crowdloop.web import quality_form

CHOICE_TYPES = ("single_choice", "multiple_choice")
TEXT_FIELDS = (
    "name",
    "task_type",
    "labels",
    "min_selected",
    "max_selected",
    "rating_min",
    "rating_max",
    "rating_step",
    "text_max_length",
    "file_extensions",
    "file_max_mb",
    "instructions",
    "overlap",
    "reward_cents",
    "budget_cents",
    "deadline",
)
# answer_schema keys -> form field names
SCHEMA_FIELDS = {
    "labels": "labels",
    "min_selected": "min_selected",
    "max_selected": "max_selected",
    "min": "rating_min",
    "max": "rating_max",
    "step": "rating_step",
    "max_length": "text_max_length",
    "extensions": "file_extensions",
    "max_bytes": "file_max_mb",
}
# where a whole-schema error (a model validator) is shown, per task type
SCHEMA_DEFAULT = {
    "single_choice": "labels",
    "multiple_choice": "labels",
    "rating": "rating_max",
    "text": "text_max_length",
    "file": "file_extensions",
}
MB = 1024 * 1024


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The wizard's fields as trimmed strings (missing ones empty)."""
    values = {}
    for name in TEXT_FIELDS:
        raw = form.get(name)
        values[name] = raw.strip() if isinstance(raw, str) else ""
    values["task_type"] = values["task_type"] or "single_choice"
    values.update(quality_form.values_of(form))
    return values


def _put(target: dict[str, Any], key: str, value: str) -> None:
    """Set an optional field only when the user typed something (blank = default)."""
    if value != "":
        target[key] = value


def _schema(values: dict[str, str]) -> dict[str, Any]:
    kind = values["task_type"]
    schema: dict[str, Any] = {"type": kind}
    if kind in CHOICE_TYPES:
        schema["labels"] = [line.strip() for line in values["labels"].splitlines() if line.strip()]
    if kind == "multiple_choice":
        _put(schema, "min_selected", values["min_selected"])
        _put(schema, "max_selected", values["max_selected"])
    if kind == "rating":
        _put(schema, "min", values["rating_min"])
        _put(schema, "max", values["rating_max"])
        _put(schema, "step", values["rating_step"])
    if kind == "text":
        _put(schema, "max_length", values["text_max_length"])
    if kind == "file":
        schema.update(_file_schema(values))
    return schema


def _file_schema(values: dict[str, str]) -> dict[str, Any]:
    """Extensions as typed (".pdf, zip" -> [".pdf", ".zip"]); the size in MB -> bytes."""
    words = values["file_extensions"].replace(",", " ").split()
    found: dict[str, Any] = {"extensions": ["." + w.lower().lstrip(".") for w in words]}
    size = values["file_max_mb"]
    try:
        found["max_bytes"] = round(float(size) * MB) if size else None
    except ValueError:
        found["max_bytes"] = size  # the schema says what is wrong with it
    if found["max_bytes"] is None:
        del found["max_bytes"]
    return found


def project_body(values: dict[str, str]) -> dict[str, Any]:
    """The ProjectCreate body the fields describe (not yet validated)."""
    body: dict[str, Any] = {
        "name": values["name"],
        "instructions": values["instructions"],
        "answer_schema": _schema(values),
    }
    for key in ("overlap", "reward_cents", "budget_cents"):
        _put(body, key, values[key])
    deadline = values["deadline"]
    if deadline:
        # <input type="datetime-local"> has no zone; the form says the time is UTC.
        body["deadline"] = deadline if deadline.endswith("Z") else deadline + "Z"
    body["quality"] = quality_form.body(values)
    return body


def field_for(
    loc: Sequence[Any], task_type: str, message: str = "", values: dict[str, str] | None = None
) -> str:
    """The form field a pydantic error location (and, for whole-schema checks, its
    message) belongs to."""
    if not loc:
        return "form"
    if loc[0] == "quality":
        return quality_form.field_for(loc[1:], values or {})
    if loc[0] != "answer_schema":
        return str(loc[0])
    rest = [str(part) for part in loc[1:] if part not in ALL_TYPES]
    if rest:
        return SCHEMA_FIELDS.get(rest[0], "task_type")
    if len(loc) == 1:
        return "task_type"
    named = sorted(
        (message.index(key), field)
        for key, field in SCHEMA_FIELDS.items()
        if "_" in key and key in message
    )
    return named[0][1] if named else SCHEMA_DEFAULT.get(task_type, "task_type")


def field_errors(exc: ValidationError, values: dict[str, str]) -> dict[str, str]:
    """One message per field (the first one), worded for people."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        field = field_for(err.get("loc", ()), values["task_type"], message, values)
        errors.setdefault(field, message)
    return errors
