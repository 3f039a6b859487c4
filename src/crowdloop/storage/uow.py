"""Unit of work: the only place that commits. Used by the API dependency, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from crowdloop.storage.engine import Database


@contextmanager
def unit_of_work(db: Database, *, write: bool = True) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error."""
    factory = db.write_sessions if write else db.read_sessions
    with factory() as session:
        try:
            yield session
            if write:
                session.commit()
            # A read-only unit ends with close(): loaded objects stay readable, detached.
        except BaseException:
            session.rollback()
            raise
