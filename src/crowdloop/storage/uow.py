"""Unit of work: the only place that commits. Used by the API, the CLI and jobs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from crowdloop.errors import Busy, Conflict, StorageFull, Unavailable
from crowdloop.storage.engine import Database, WriterBusy

# PostgreSQL SQLSTATEs of a conflict between transactions that a retry resolves.
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001", "55P03"})  # deadlock, serialization, lock
BUSY_DETAIL = "the database was busy with a conflicting request; nothing was saved, try again"
UNAVAILABLE_DETAIL = "the database is unavailable right now; nothing was saved, try again shortly"
FULL_DETAIL = "the database's disk is full; nothing was saved (free space, then try again)"
DUPLICATE_DETAIL = (
    "a concurrent request stored the same thing first (a unique key is taken); nothing of this"
    " request was saved"
)
UNIQUE_VIOLATION_SQLSTATE = "23505"
# SQLSTATE classes of a lost connection (08), an operator intervention such as a restart
# (57P01-57P03), and a full disk (53100).
LOST_CONNECTION_PREFIXES = ("08", "57P0")
DISK_FULL_SQLSTATE = "53100"


def is_transient(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout (PostgreSQL), or SQLite's
    "database is locked": the transaction was rolled back and may simply be retried."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(orig)


def is_unavailable(exc: BaseException) -> bool:
    """The connection was lost or refused: PostgreSQL restarted or is unreachable."""
    if not isinstance(exc, DBAPIError):
        return False
    state = str(getattr(exc.orig, "sqlstate", "") or "")
    return (
        exc.connection_invalidated
        or state.startswith(LOST_CONNECTION_PREFIXES)
        or (not state and "connection" in str(exc.orig).lower())
    )


def is_disk_full(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return state == DISK_FULL_SQLSTATE or "database or disk is full" in str(exc.orig)


def is_duplicate(exc: BaseException) -> bool:
    """A unique index refused the row: checked before writing, so only a concurrent
    request that wrote the same key first gets here."""
    if not isinstance(exc, IntegrityError):
        return False
    state = getattr(exc.orig, "sqlstate", None)
    return state == UNIQUE_VIOLATION_SQLSTATE or "UNIQUE constraint failed" in str(exc.orig)


def translate(exc: BaseException) -> BaseException | None:
    """The domain error a database failure means to the user, if it is one they can act on."""
    if is_transient(exc):
        return Busy(BUSY_DETAIL)
    if is_disk_full(exc):
        return StorageFull(FULL_DETAIL)
    if is_unavailable(exc):
        return Unavailable(UNAVAILABLE_DETAIL)
    if is_duplicate(exc):
        return Conflict(DUPLICATE_DETAIL)
    return None


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
        session = factory()
        stack.callback(_close_quietly, session)
        try:
            yield session
            if write:
                session.commit()
            # A read-only unit ends with close(): loaded objects stay readable, detached.
        except BaseException as exc:
            _rollback_quietly(session)
            mapped = translate(exc)
            if mapped is not None:
                raise mapped from exc
            raise


def _rollback_quietly(session: Session) -> None:
    """Roll back; on a connection that is already gone the rollback itself fails, and the
    original error is the one to report."""
    try:
        session.rollback()
    except DBAPIError:
        session.invalidate()


def _close_quietly(session: Session) -> None:
    """Give the connection back. A read unit ends with a rollback here: on a connection
    the database dropped after the reads (a PostgreSQL restart) it fails, and the
    connection is dropped from the pool instead; what was read stands."""
    try:
        session.close()
    except DBAPIError:
        session.invalidate()
