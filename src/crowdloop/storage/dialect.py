"""Where PostgreSQL and SQLite differ, in one place.

Domains ask these helpers instead of reading ``dialect.name`` themselves (checked by
tests/test_architecture.py). SQLite serialises writers and runs one server process, so
the PostgreSQL-only locks below are always "granted" there, and SKIP LOCKED is a no-op.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

SelectT = TypeVar("SelectT", bound=Select[Any])


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    """Whether the engine, connection or session talks to PostgreSQL."""
    target = bind.get_bind() if isinstance(bind, Session) else bind
    return target.dialect.name == "postgresql"


def uses_psycopg(connection: Connection) -> bool:
    """Whether the connection's driver is psycopg (3), which offers COPY FROM STDIN."""
    return connection.dialect.driver == "psycopg"


def try_advisory_xact_lock(session: Session, namespace: int, key: int) -> bool:
    """PostgreSQL: take the advisory lock ``(namespace, key)`` for this transaction, False
    when another transaction holds it. SQLite: True."""
    if not is_postgresql(session):
        return True
    got = session.execute(
        text("SELECT pg_try_advisory_xact_lock(:ns, :id)"), {"ns": namespace, "id": key}
    ).scalar()
    return bool(got)


def advisory_xact_lock(session: Session, namespace: int, key: int) -> None:
    """PostgreSQL: wait for the advisory lock ``(namespace, key)`` and hold it until this
    transaction ends (both are 32-bit: ``key`` is folded into that range, so two keys may
    share a lock, which only serialises them). SQLite: nothing (writers are serialised)."""
    if is_postgresql(session):
        args = {"ns": namespace, "id": key % 2**31}
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, :id)"), args)


@contextmanager
def session_advisory_lock(engine: Engine, namespace: int, key: int) -> Iterator[bool]:
    """PostgreSQL: hold the advisory lock ``(namespace, key)`` on a connection of its own
    for the whole ``with`` block (across several units of work); yields whether it is
    ours. SQLite: yields True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        args = {"ns": namespace, "id": key}
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :id)"), args).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :id)"), args)
                conn.commit()


def skip_locked(session: Session, query: SelectT, *, of: Any = None) -> SelectT:
    """PostgreSQL: ``FOR UPDATE SKIP LOCKED`` (of ``of``, if given), so concurrent
    transactions take disjoint rows without queueing. SQLite has one writer: unchanged."""
    if not is_postgresql(session):
        return query
    return query.with_for_update(skip_locked=True, of=of)


def notify(session: Session, channel: str, payload: str) -> None:
    """PostgreSQL: ``pg_notify`` in this transaction (delivered at commit). SQLite: no-op."""
    if is_postgresql(session):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


def insert_if_absent(session: Session, model: Any, values: dict[str, Any]) -> None:
    """``INSERT ... ON CONFLICT DO NOTHING``: a row that another transaction inserted
    first (same primary or unique key) is kept, and no error is raised."""
    make = postgresql.insert if is_postgresql(session) else sqlite.insert
    session.execute(make(model).values(**values).on_conflict_do_nothing())
