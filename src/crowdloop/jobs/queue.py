"""Which huey storage holds the queue: one decision, from the settings.

- ``CROWDLOOP_REDIS_URL`` set: Redis (``PriorityRedisHuey``), for many workers;
- PostgreSQL database: the same database (``PostgresHuey``: ``huey_*`` tables,
  ``FOR UPDATE SKIP LOCKED`` and LISTEN/NOTIFY wake-ups);
- SQLite file: a second SQLite file beside it (``SqliteHuey``), so the queue never
  contends with the labelling loop for the database's write lock;
- in-memory SQLite: in memory (tests, throw-away runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huey import MemoryHuey, PostgresHuey, PriorityRedisHuey, SqliteHuey
from redis import ConnectionPool
from sqlalchemy.engine import make_url

from crowdloop.config import Settings

REDIS_CONNECT_TIMEOUT = 2.0
REDIS_SOCKET_TIMEOUT = 10.0


def jobs_file(database_url: str) -> Path | None:
    """The SQLite file of the queue, beside the database file; None for in-memory."""
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + "-jobs.sqlite")


def make_huey(settings: Settings) -> Any:
    """A huey instance for these settings (results are not kept: jobs write to the DB)."""
    options: dict[str, Any] = {"results": False, "utc": True}
    if settings.redis_url:
        # Bounded waits: an enqueue runs after every commit that published, and must not
        # hang a request on an unreachable Redis (blocking reads wait READ_TIMEOUT).
        pool = ConnectionPool.from_url(
            settings.redis_url,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT,
            socket_timeout=REDIS_SOCKET_TIMEOUT,
        )
        return PriorityRedisHuey(settings.jobs_queue, connection_pool=pool, **options)
    if not settings.is_sqlite:
        url = make_url(settings.database_url).set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        return PostgresHuey(settings.jobs_queue, dsn=dsn, **options)
    path = jobs_file(settings.database_url)
    if path is None:
        return MemoryHuey(settings.jobs_queue, **options)
    # fsync off: the queue holds wake-ups and retries whose truth is in the database (a
    # queue entry lost to a power cut is re-found by the per-minute sweeps).
    return SqliteHuey(settings.jobs_queue, filename=str(path), fsync=False, **options)
