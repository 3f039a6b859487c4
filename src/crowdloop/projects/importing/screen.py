"""A cheap proof that a record's text is storable, so that most rows skip the hygiene walk.

:class:`~crowdloop.projects.schemas.TaskCreate` walks every value of a task for NUL
characters, lone surrogates and deep nesting (see ``crowdloop.text``); on an import that walk
costs more than reading the row. Here the record's raw text is searched once instead, by a
regular expression in C: a record that holds no ``\\u0000`` or ``\\ud800``-``\\udfff`` escape,
no raw surrogate and fewer brackets than ``MAX_DEPTH`` cannot hold an unstorable value, and is
validated with :class:`~crowdloop.projects.schemas.TaskFields` (the same fields and limits).
Any other record, a false alarm included, goes through ``TaskCreate`` as before, so a bad
record gets exactly the error it always got.
"""

from __future__ import annotations

import json
import re
from typing import Any

from crowdloop.text import MAX_DEPTH

# JSON escapes of NUL and of surrogates, and a surrogate encoded in UTF-8 (json.loads
# decodes bytes with "surrogatepass", so those bytes would become a lone surrogate).
_SUSPECT_BYTES = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
# The same in text, once json.dumps (ensure_ascii=False) has escaped every control character.
_SUSPECT_TEXT = re.compile("\\\\u0000|[\ud800-\udfff]")


def clean_bytes(raw: bytes) -> bool:
    """True when the JSON text ``raw`` (one record) cannot hold an unstorable value."""
    if raw.count(b"{") + raw.count(b"[") >= MAX_DEPTH:
        return False
    return _SUSPECT_BYTES.search(raw) is None


def clean_fields(fields: dict[str, Any]) -> bool:
    """True when the task fields (JSON-like values) cannot hold an unstorable value."""
    try:
        text = json.dumps(fields, ensure_ascii=False, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return False
    if text.count("{") + text.count("[") >= MAX_DEPTH:
        return False
    return _SUSPECT_TEXT.search(text) is None
