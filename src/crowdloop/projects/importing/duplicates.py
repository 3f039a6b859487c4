"""Task ids are unique within a project: an import refuses a row whose ``external_id`` is
already a task of the project, or repeats an earlier row of the same file.

A refused row is a bad row like any other: ``on_error="reject"`` imports nothing and lists
them, ``on_error="skip"`` imports the new rows only (so re-importing a file that grew adds
just its new tasks). The project's ids are read once, when the first row with an id comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from sqlalchemy.orm import Session

from crowdloop.projects.importing import repository
from crowdloop.projects.importing.readers import Parsed


def _where(record: Parsed) -> str:
    return f"line {record.line}" if record.line is not None else f"item {record.index}"


def refuse_duplicates(
    session: Session, project_id: int, records: Iterator[Parsed]
) -> Iterator[Parsed]:
    """``records``, with each row whose id is taken turned into a bad row saying by what."""
    known: dict[str, int] | None = None
    seen: dict[str, str] = {}
    for record in records:
        key = record.task.external_id if record.task is not None else None
        if key is None:
            yield record
            continue
        if known is None:
            known = repository.external_ids(session, project_id)
        if key in known:
            reason = f"external_id {key!r} is already task {known[key]} of this project"
        elif key in seen:
            reason = f"external_id {key!r} repeats the row at {seen[key]}"
        else:
            seen[key] = _where(record)
            yield record
            continue
        yield replace(record, task=None, error=reason)
