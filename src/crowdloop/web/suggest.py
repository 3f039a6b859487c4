"""The model's suggestion for a task, as the worker's page shows it: a quiet hint and a
highlighted option, never a preselected answer.

``work.service.to_read`` fills ``AssignmentRead.suggestion`` only when the project shows
suggestions; ``getattr`` keeps this working on a read model without the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SuggestionView:
    label: str  # compared with the option values the page renders
    percent: int | None
    model_version: str


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def suggestion_of(read: Any) -> SuggestionView | None:
    """The hint for an ``AssignmentRead`` (None when the project shows no suggestion)."""
    found = getattr(read, "suggestion", None)
    if found is None or getattr(found, "label", None) is None:
        return None
    confidence = getattr(found, "confidence", None)
    percent = None if confidence is None else round(float(confidence) * 100)
    return SuggestionView(_text(found.label), percent, str(getattr(found, "model_version", "")))
