"""Writes of the importer: batched INSERTs of tasks, and the batch row."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task, TaskBatch
from crowdloop.storage import bulk

_table = Task.__table__
assert isinstance(_table, Table)
_TASKS: Table = _table


def insert_tasks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys, as task_values builds), in the caller's transaction.

    Rows are stored exactly as the ORM would store them, at bulk speed (SQLite: one
    executemany; PostgreSQL: COPY), see ``crowdloop.storage.bulk``.
    """
    bulk.insert_rows(session, _TASKS, rows)


def create_batch(session: Session, project_id: int, *, source: str, fmt: str) -> TaskBatch:
    batch = TaskBatch(project_id=project_id, source=source[:255], format=fmt)
    session.add(batch)
    session.flush()
    return batch


def finish_batch(session: Session, batch_id: int, *, rows: int, imported: int, errors: int) -> None:
    stmt = (
        update(TaskBatch)
        .where(TaskBatch.id == batch_id)
        .values(n_rows=rows, n_imported=imported, n_errors=errors)
    )
    session.execute(stmt, execution_options={"synchronize_session": False})


def external_ids(session: Session, project_id: int) -> dict[str, int]:
    """The project's task ids (``external_id``) and the tasks that hold them, in one read."""
    stmt = select(Task.external_id, Task.id).where(
        Task.project_id == project_id, Task.external_id.is_not(None)
    )
    return {str(external): int(task_id) for external, task_id in session.execute(stmt)}
