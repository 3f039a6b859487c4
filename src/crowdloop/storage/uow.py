"""Unit of work: the only place that commits. Used by the API, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from crowdloop.errors import Busy
from crowdloop.storage.engine import Database, WriterBusy

# PostgreSQL SQLSTATEs of a conflict between transactions that a retry resolves.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})  # deadlock, serialization, lock
BUSY_DETAIL = "the database was busy with a conflicting request; nothing was saved, try again"


def is_transient(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout (PostgreSQL), or SQLite's
    "database is locked": the transaction was rolled back and may simply be retried."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(orig)


@contextmanager
def unit_of_work(db: Database, *, write: bool = True) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error.

    On SQLite, write units of the same process queue on an in-process lock before
    ``BEGIN IMMEDIATE`` (see docs/decisions/0003-sqlite-writes.md): a waiter then holds no
    connection and does not poll SQLite's busy handler; other processes still queue on the
    busy timeout.
    """
    factory = db.write_sessions if write else db.read_sessions
    with ExitStack() as stack:
        if write and db.writer_lock is not None:
            try:
                stack.enter_context(db.writer_lock.turn())
            except WriterBusy as exc:
                raise Busy(BUSY_DETAIL) from exc
        session = stack.enter_context(factory())
        try:
            yield session
            if write:
                session.commit()
            # A read-only unit ends with close(): loaded objects stay readable, detached.
        except BaseException as exc:
            session.rollback()
            if is_transient(exc):
                raise Busy(BUSY_DETAIL) from exc
            raise
