"""Engine factory. SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE for writes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

import anyio.from_thread
import anyio.to_thread
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from crowdloop.config import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITER_WAIT_SECONDS = 15.0


class WriterBusy(Exception):
    """The SQLite writer's turn did not come within the wait (a long or stuck writer)."""


@dataclass
class WriterTurn:
    """This process's SQLite writers take turns here before ``BEGIN IMMEDIATE``.

    A plain ``Lock``, not an ``RLock``: FastAPI may enter a sync dependency on one thread
    of its pool and leave it on another, and only a plain lock may be released by a thread
    that did not acquire it. The wait is bounded: a writer that cannot get its turn fails
    with :class:`WriterBusy` (a 503 at the edge) instead of hanging, and so does a nested
    write unit in the same thread.
    """

    wait_seconds: float = WRITER_WAIT_SECONDS
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def turn(self) -> Iterator[None]:
        if not self._lock.acquire(blocking=False):
            with off_the_thread_pool():
                got = self._lock.acquire(timeout=self.wait_seconds)
            if not got:
                raise WriterBusy(f"no write turn within {self.wait_seconds:g} s")
        try:
            yield
        finally:
            self._lock.release()


def _widen_thread_pool(by: int) -> None:
    anyio.to_thread.current_default_thread_limiter().total_tokens += by


@contextmanager
def off_the_thread_pool() -> Iterator[None]:
    """While a thread of the server's pool blocks here, its slot is lent to the pool.

    The holder of the writer turn may need a pool thread for its next step (FastAPI runs a
    sync ``yield`` dependency, the sync endpoint and the answer's validation on separate
    pool threads). If waiters kept their slots, more writers than pool threads (40) would
    hold every thread while the holder waited for one: a deadlock that ended only when the
    waits ran out. Outside a server's pool (CLI, jobs, tests) this does nothing.
    """
    try:
        anyio.from_thread.run_sync(_widen_thread_pool, 1)
    except RuntimeError:  # not an AnyIO worker thread, or the event loop is gone
        yield
        return
    try:
        yield
    finally:
        with suppress(RuntimeError):
            anyio.from_thread.run_sync(_widen_thread_pool, -1)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when a transaction begins.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the lock up front: a deferred transaction that later upgrades to a
    # write lock fails with SQLITE_BUSY at once instead of waiting on busy_timeout.
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def make_engine(url: str, *, pool_size: int = 10, lock_timeout: float = 0) -> Engine:
    """An engine for ``url``. ``lock_timeout`` (seconds, PostgreSQL): a statement that
    waits longer for a lock fails (SQLSTATE 55P03, a 503 "busy" at the edge) instead of
    hanging the request; 0 waits for ever (migrations, which an operator runs)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # Readers run in parallel under WAL: give the thread pool enough connections.
            pool_size=max(pool_size, 20),
            max_overflow=40,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = (
        {"options": f"-c lock_timeout={int(lock_timeout * 1000)}"} if lock_timeout else {}
    )
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size * 2,
        pool_pre_ping=True,
        connect_args=connect_args,
    )


@dataclass(frozen=True)
class Database:
    """The engine and two session factories: read (deferred) and write (immediate on SQLite)."""

    engine: Engine
    read_sessions: sessionmaker[Session]
    write_sessions: sessionmaker[Session]
    # SQLite only: write units of this process take turns here (see WriterTurn).
    writer_lock: WriterTurn | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


HELD = "crowdloop.held"


def _hold(session: Session, instance: object) -> None:
    """Keep a strong reference to what a write unit loaded, until the unit ends.

    SQLAlchemy's identity map holds objects weakly: a row a request loaded, used and
    dropped (the project, the task, the worker's quality row) was loaded again by the next
    function that asked for it, some two or three times per request (issue 12: 30 -> 23
    statements per answer). Write units are short and load few objects; read units, which
    may walk many rows, keep the weak map."""
    session.info.setdefault(HELD, []).append(instance)


def make_database(settings: Settings) -> Database:
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        lock_timeout=settings.db_lock_timeout_seconds,
    )
    writer = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    write_sessions = sessionmaker(writer, expire_on_commit=False)
    event.listen(write_sessions, "loaded_as_persistent", _hold)
    return Database(
        engine=engine,
        read_sessions=sessionmaker(engine, expire_on_commit=False),
        write_sessions=write_sessions,
        writer_lock=WriterTurn() if engine.dialect.name == "sqlite" else None,
    )
