"""What wakes a process's live pages when another process commits an event.

- PostgreSQL: every publishing transaction already sends ``NOTIFY crowdloop_events``
  (``events.bus``, delivered at commit); each process LISTENs on one dedicated connection.
- Redis (``redis_url`` set, any database): every process PUBLISHes on ``crowdloop_events``
  after such a commit (:class:`RedisAnnouncer`) and each subscribes.
- SQLite without Redis: nothing pushes; the notifier polls (``notifier.POLL_SECONDS``).

A channel only wakes the notifier, which reads the outbox itself: a message lost while a
channel reconnects costs nothing, because a reconnect wakes it too.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable

import psycopg
from psycopg import sql
from redis import Redis
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from crowdloop.config import Settings
from crowdloop.events.bus import NOTIFY_CHANNEL
from crowdloop.events.live.notifier import Channel, LiveNotifier
from crowdloop.storage.engine import Database

log = logging.getLogger(__name__)
CHANNEL = NOTIFY_CHANNEL
APPLICATION_NAME = "crowdloop-live"
HEALTH_SECONDS = 15.0  # a silent connection is checked this often
CONNECT_TIMEOUT_SECONDS = 5
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0
PUBLISH_TIMEOUT_SECONDS = 1.0


def channels_for(settings: Settings, db: Database) -> list[Channel]:
    """Redis when it is configured, else PostgreSQL's own, else none (SQLite polls)."""
    if settings.redis_url:
        return [redis_channel(settings.redis_url)]
    conninfo = postgres_conninfo(db)
    return [postgres_channel(conninfo)] if conninfo else []


def postgres_conninfo(db: Database) -> str | None:
    """The libpq URI of the database (None for SQLite)."""
    if db.is_sqlite:
        return None
    url = db.engine.url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def postgres_channel(conninfo: str) -> Channel:
    async def run(notifier: LiveNotifier) -> None:
        await _reconnecting("PostgreSQL LISTEN", lambda: _listen_postgres(conninfo, notifier))

    return run


def redis_channel(url: str) -> Channel:
    async def run(notifier: LiveNotifier) -> None:
        await _reconnecting("Redis subscription", lambda: _subscribe_redis(url, notifier))

    return run


async def _reconnecting(name: str, listen: Callable[[], Awaitable[None]]) -> None:
    """Run ``listen`` forever: after a failure, again after 0.5 s, 1 s, ... at most 30 s."""
    delay = FIRST_RETRY_SECONDS
    while True:
        began = time.monotonic()
        try:
            await listen()
        except (psycopg.Error, RedisError, OSError) as exc:
            if time.monotonic() - began > MAX_RETRY_SECONDS:
                delay = FIRST_RETRY_SECONDS  # it had been working: retry promptly
            log.warning("live updates: %s lost (%s); again in %.1f s", name, exc, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)


async def _listen_postgres(conninfo: str, notifier: LiveNotifier) -> None:
    async with await psycopg.AsyncConnection.connect(
        conninfo,
        autocommit=True,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        application_name=APPLICATION_NAME,
    ) as conn:
        await conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(CHANNEL)))
        with notifier.pushing():
            notifier.wake()  # whatever committed while we were not listening
            while True:
                async for _ in conn.notifies(timeout=HEALTH_SECONDS):
                    notifier.wake()
                await conn.execute("SELECT 1")  # a dead connection shows here


async def _subscribe_redis(url: str, notifier: LiveNotifier) -> None:
    # No silent reconnects inside redis-py: we must know, to catch up after one.
    client = aioredis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        health_check_interval=int(HEALTH_SECONDS),
        retry=Retry(NoBackoff(), 0),
    )
    try:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(CHANNEL)
            with notifier.pushing():
                notifier.wake()
                while True:
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=HEALTH_SECONDS
                    )
                    if message is not None:
                        notifier.wake()
    finally:
        await client.aclose()


QUIET_AFTER_FAILURE_SECONDS = 5.0


class RedisAnnouncer:
    """PUBLISH on the channel after a commit that published; every process that commits
    events (servers, ``crowdloop worker``, the CLI) sends it. A failure is logged by the
    bus; the listeners' safety poll finds the event anyway."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Redis | None = None
        self._lock = threading.Lock()
        self._quiet_until = 0.0

    def __call__(self) -> None:
        """Publish, unless Redis failed in the last few seconds: then the commit does not
        wait on it again (the pages' safety poll carries the change meanwhile)."""
        if time.monotonic() < self._quiet_until:
            return
        try:
            self._connection().publish(CHANNEL, b"")
        except Exception:
            self._quiet_until = time.monotonic() + QUIET_AFTER_FAILURE_SECONDS
            raise

    def _connection(self) -> Redis:
        with self._lock:
            if self._client is None:
                self._client = Redis.from_url(
                    self.url,
                    socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
                    socket_timeout=PUBLISH_TIMEOUT_SECONDS,
                )
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
