"""The live notifier: what wakes a process's pages, on SQLite and PostgreSQL.

Another process is another :class:`Platform` built from the same settings (its own engine,
bus and notifier, never started): its commits reach this process's notifier only through
the database (LISTEN), Redis or the poll, never in memory. Where a test proves one path,
the others are turned off (a poll of an hour) so that nothing else can be what woke it.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text

from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.events.live import LiveNotifier
from crowdloop.events.live.channels import APPLICATION_NAME
from crowdloop.events.types import EventType
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform, build

HOUR = 3600.0
WAIT = 30.0  # generous: these tests prove arrival, never speed
REDIS_URL = os.environ.get("CROWDLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def publish(db: Database, project_id: int) -> int:
    with unit_of_work(db) as session:
        return events.publish(session, EventType.webhook_test, project_id=project_id).id


def running(live: LiveNotifier, body: Callable[[], Awaitable[None]], *, poll: float) -> None:
    """Run ``body`` on a fresh event loop while the notifier runs on it."""
    live.poll_seconds = live.safety_poll_seconds = poll

    async def main() -> None:
        await live.start()
        try:
            await body()
        finally:
            await live.stop()

    asyncio.run(main())


async def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
def other(settings: Settings) -> Iterator[Platform]:
    """A second process's platform on the same database."""
    wired = build(settings)
    yield wired
    wired.live.close()
    wired.jobs.close()
    wired.db.dispose()


class TestThisProcess:
    def test_a_commit_here_wakes_the_project_at_once(self, platform: Platform) -> None:
        live = platform.live

        async def body() -> None:
            ticket = live.ticket(7)
            await asyncio.to_thread(publish, platform.db, 7)
            assert await live.wait(ticket, WAIT)

        running(live, body, poll=HOUR)

    def test_other_projects_are_not_woken(self, platform: Platform) -> None:
        live = platform.live

        async def body() -> None:
            mine, theirs = live.ticket(7), live.ticket(8)
            await asyncio.to_thread(publish, platform.db, 8)
            assert await live.wait(theirs, WAIT)
            assert not await live.wait(mine, 0.3)

        running(live, body, poll=HOUR)

    def test_without_a_running_notifier_pages_poll(self, platform: Platform) -> None:
        """An app on this platform whose lifespan did not start it: its pages still work."""
        live = platform.live
        live.poll_seconds = 0.01

        async def main() -> None:
            ticket = live.ticket(7)
            assert ticket is None
            assert await live.wait(ticket, WAIT)

        asyncio.run(main())

    def test_stopping_releases_the_waiting_pages(self, platform: Platform) -> None:
        live = platform.live

        async def main() -> None:
            await live.start()
            ticket = live.ticket(7)
            waiting = asyncio.create_task(live.wait(ticket, WAIT))
            await asyncio.sleep(0)
            await live.stop()
            assert await waiting
            assert live.ticket(7) is None
            assert not live.running

        asyncio.run(main())


class TestOtherProcesses:
    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_a_commit_elsewhere_arrives_through_listen(
        self, platform: Platform, other: Platform
    ) -> None:
        live = platform.live

        async def body() -> None:
            await eventually(lambda: live.connected, "LISTEN is up")
            ticket = live.ticket(7)
            await asyncio.to_thread(publish, other.db, 7)
            assert await live.wait(ticket, WAIT)

        running(live, body, poll=HOUR)

    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_a_lost_listen_connection_comes_back(self, platform: Platform, other: Platform) -> None:
        live = platform.live
        query = text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            "AND datname = current_database()"
        )

        def listeners() -> set[int]:
            with other.db.engine.connect() as conn:
                return set(conn.execute(query, {"name": APPLICATION_NAME}).scalars())

        async def body() -> None:
            await eventually(lambda: live.connected and bool(listeners()), "LISTEN is up")
            (first,) = listeners()
            with other.db.engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await eventually(lambda: listeners() - {first} != set(), "LISTEN again")
            await eventually(lambda: live.connected, "connected again")
            ticket = live.ticket(7)
            await asyncio.to_thread(publish, other.db, 7)
            assert await live.wait(ticket, WAIT)

        running(live, body, poll=HOUR)

    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_a_transaction_that_commits_late_below_the_cursor_still_wakes(
        self, platform: Platform, other: Platform
    ) -> None:
        """Ids are taken at INSERT: id n may commit after id n+1 was seen."""
        live = platform.live

        async def body() -> None:
            await eventually(lambda: live.connected, "LISTEN is up")
            slow = other.db.write_sessions()
            try:
                events.publish(slow, EventType.webhook_test, project_id=5)  # id n, open
                quick = live.ticket(6)
                await asyncio.to_thread(publish, other.db, 6)  # id n+1, committed
                assert await live.wait(quick, WAIT)
                late = live.ticket(5)
                await asyncio.to_thread(slow.commit)
                assert await live.wait(late, WAIT)
            finally:
                slow.close()

        running(live, body, poll=HOUR)

    @pytest.mark.parametrize("backend", ["sqlite"])
    def test_sqlite_polls_for_a_worker_process(self, platform: Platform, other: Platform) -> None:
        live = platform.live
        assert not live.connected

        async def body() -> None:
            ticket = live.ticket(7)
            await asyncio.to_thread(publish, other.db, 7)
            assert await live.wait(ticket, WAIT)

        running(live, body, poll=0.05)


@pytest.fixture
def redis_settings(settings: Settings) -> Settings:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    finally:
        client.close()
    queue = f"test-{uuid.uuid4().hex}"  # parallel test processes share this Redis
    return settings.model_copy(update={"redis_url": REDIS_URL, "jobs_queue": queue})


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_redis_carries_a_commit_of_another_process(
    redis_settings: Settings, platform: Platform
) -> None:
    """``platform`` only cleans the database up; the two processes use Redis."""
    here, there = build(redis_settings), build(redis_settings)
    there.bus.committed[:] = [there.live.committed]  # no relay job queued in Redis
    live = here.live

    async def body() -> None:
        await eventually(lambda: live.connected, "subscribed")
        ticket = live.ticket(7)
        await asyncio.to_thread(publish, there.db, 7)
        assert await live.wait(ticket, WAIT)

    try:
        running(live, body, poll=HOUR)
    finally:
        for wired in (here, there):
            wired.live.close()
            wired.jobs.close()
            wired.db.dispose()


def test_a_dead_redis_is_not_asked_again_at_every_commit() -> None:
    """With Redis down, one commit pays the connect timeout; the next ones skip it."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from crowdloop.events.live.channels import RedisAnnouncer

    announce = RedisAnnouncer("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(RedisConnectionError):
            announce()
        announce()  # quiet for a while: returns without trying (or raising)
    finally:
        announce.close()
