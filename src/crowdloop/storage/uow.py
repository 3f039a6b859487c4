"""Unit of work: the only place that commits. Used by the API, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.orm import Session

from crowdloop.storage.engine import Database


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
            stack.enter_context(db.writer_lock)
        session = stack.enter_context(factory())
        try:
            yield session
            if write:
                session.commit()
            # A read-only unit ends with close(): loaded objects stay readable, detached.
        except BaseException:
            session.rollback()
            raise
