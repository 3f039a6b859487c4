"""Text hygiene in one place: every string that enters crowdloop must be storable.

PostgreSQL refuses NUL characters in text and JSON; a lone UTF-16 surrogate (U+D800 to
U+DFFF, which JSON's ``\\ud800`` escapes can produce) is not Unicode at all: SQLite stores
it, and then every response that carries it fails to serialize and every export breaks.
Such input is refused before anything is written, with the path of the bad value.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, model_validator

from crowdloop.errors import InvalidInput

_BAD = re.compile("[\x00\ud800-\udfff]")
MAX_DEPTH = 64


def problem(value: Any, where: str = "") -> str | None:
    """Why ``value`` (a JSON-like tree) cannot be stored, or None if it can."""
    return _walk(value, where or "value", 0)


def _walk(value: Any, where: str, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return f"{where}: nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, str):
        return _bad_text(value, where)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _walk(key, f"{where} (a key)", depth + 1) or _walk(
                item, f"{where}.{key}", depth + 1
            )
            if found:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _walk(item, f"{where}[{i}]", depth + 1)
            if found:
                return found
    return None


def _bad_text(text: str, where: str) -> str | None:
    found = _BAD.search(text)
    if found is None:
        return None
    char = found.group()
    what = "a NUL character" if char == "\x00" else f"a lone surrogate U+{ord(char):04X}"
    return f"{where} contains {what} at position {found.start()}: not valid text"


def ensure_storable(value: Any, where: str) -> Any:
    """Return ``value`` unchanged, or raise :class:`InvalidInput` naming the bad part."""
    found = problem(value, where)
    if found:
        raise InvalidInput(found)
    return value


def storable_or_value_error(value: Any, where: str) -> Any:
    """The same check for pydantic validators (which report ``ValueError`` as a 422)."""
    found = problem(value, where)
    if found:
        raise ValueError(found)
    return value


class StorableInput(BaseModel):
    """Base of input schemas: every field, nested values included, is storable text."""

    @model_validator(mode="after")
    def _storable(self) -> StorableInput:
        for name, value in self:
            if isinstance(value, BaseModel):
                value = value.model_dump()
            storable_or_value_error(value, name)
        return self
