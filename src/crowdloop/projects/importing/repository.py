"""Writes of the importer: batched INSERTs of tasks, and the batch row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Connection, Dialect, Table, insert, update
from sqlalchemy.orm import Session

from crowdloop.projects.models import Task, TaskBatch

_table = Task.__table__
assert isinstance(_table, Table)
_TASKS: Table = _table


@dataclass(frozen=True)
class _InsertPlan:
    """``insert(Task.__table__)`` compiled once per dialect, with the columns' bind processors."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool


@lru_cache(maxsize=32)
def _plan(dialect: Dialect, columns: tuple[str, ...]) -> _InsertPlan:
    compiled = insert(_TASKS).compile(dialect=dialect, column_keys=list(columns))
    keys = tuple(compiled.positiontup or columns)
    processors = tuple(_processor(_TASKS.c[key].type, dialect) for key in keys)
    return _InsertPlan(str(compiled), keys, processors, compiled.positional)


def _processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    process: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(dialect)
    if process is None or not isinstance(column_type, JSON):
        return process
    # Most rows hold no gold, no predictions and no skills: encode those constants once.
    null, empty = process(None), process([])

    def json_value(value: Any) -> Any:
        if value is None:
            return null
        if value == []:
            return empty
        return process(value)

    return json_value


def _values(plan: _InsertPlan, row: dict[str, Any]) -> list[Any]:
    return [
        value if proc is None else proc(value)
        for proc, value in zip(plan.processors, (row[key] for key in plan.keys), strict=True)
    ]


def _params(plan: _InsertPlan, row: dict[str, Any]) -> Any:
    values = _values(plan, row)
    return tuple(values) if plan.positional else dict(zip(plan.keys, values, strict=True))


def _copy(connection: Connection, plan: _InsertPlan, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: stream the rows through COPY, several times faster than INSERTs."""
    driver = connection.connection.driver_connection
    assert driver is not None, "COPY needs a live psycopg connection"
    columns = ", ".join(plan.keys)
    with driver.cursor() as cursor, cursor.copy(f"COPY tasks ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(_values(plan, row))


def insert_tasks(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert rows (dicts with the same keys, as task_values builds), in the caller's transaction.

    Each value goes through its column type's own bind processor (JSON, UTC datetimes), so rows
    are stored exactly as the ORM would store them. SQLite: one DBAPI executemany of SQLAlchemy
    Core's ``insert(Task.__table__)``, compiled once; skipping SQLAlchemy's per-row parameter
    construction doubles throughput. PostgreSQL (psycopg): COPY FROM STDIN, which halves the
    server's work against executemany. No ORM objects are made, so the session stays small.
    """
    if not rows:
        return
    connection = session.connection()
    plan = _plan(connection.dialect, tuple(rows[0]))
    if connection.dialect.driver == "psycopg":
        _copy(connection, plan, rows)
    else:
        connection.exec_driver_sql(plan.sql, [_params(plan, row) for row in rows])


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
