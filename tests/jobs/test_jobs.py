"""Jobs on huey: registration, the embedded consumer, visibility of failures, retry."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.config import Settings
from crowdloop.errors import Conflict, NotFound
from crowdloop.events import service as events
from crowdloop.events.bus import Published, Subscriber
from crowdloop.events.models import EventHandling, HandlingStatus
from crowdloop.events.types import EventType
from crowdloop.jobs import service as jobs
from crowdloop.jobs.consumer import start_embedded, stop_embedded
from crowdloop.jobs.models import JobRun, JobStatus
from crowdloop.jobs.queue import jobs_file
from crowdloop.jobs.service import JobSpec, interval_minutes
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform, build, job_specs


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.fixture
def consumer(platform: Platform) -> Iterator[None]:
    platform.jobs.record_signals()
    running = start_embedded(platform.jobs.huey, 2)
    yield
    stop_embedded(running)


class TestRegistry:
    def test_intervals_become_whole_minutes(self) -> None:
        assert interval_minutes(0) is None
        assert interval_minutes(30) == 1
        assert interval_minutes(60) == 1
        assert interval_minutes(300) == 5

    def test_periodic_work_is_registered_only_when_switched_on(self, platform: Platform) -> None:
        names = {spec.name for spec in job_specs(platform)}
        assert {"events.relay", "events.sweep", "work.expire_leases"} <= names
        assert "quality.refit" not in names  # the test settings switch it off
        on = build(
            platform.settings.model_copy(update={"refit_interval_seconds": 30}), db=platform.db
        )
        assert "quality.refit" in on.jobs.names

    def test_a_job_name_is_registered_once(self, platform: Platform) -> None:
        with pytest.raises(ValueError, match="registered twice"):
            platform.jobs.register(JobSpec("events.relay", lambda: None))

    def test_an_unknown_job_is_refused(self, platform: Platform) -> None:
        with pytest.raises(NotFound, match="no job named 'nope'"):
            platform.jobs.enqueue("nope")

    def test_the_sqlite_queue_lives_beside_the_database(self) -> None:
        path = jobs_file("sqlite:////data/crowdloop.db")
        assert path is not None
        assert str(path) == "/data/crowdloop.db-jobs.sqlite"
        assert jobs_file("sqlite://") is None


class TestEmbeddedConsumer:
    @pytest.mark.usefixtures("consumer")
    def test_a_commit_wakes_the_relay_and_the_subscriber_runs(self, platform: Platform) -> None:
        seen: list[int] = []
        platform.bus.subscribe(Subscriber("tests.seen", lambda _s, e: seen.append(e.id)))
        with unit_of_work(platform.db) as session:
            published = events.publish(session, EventType.webhook_test, project_id=1)
        assert _wait_for(lambda: seen == [published.id]), seen

    def test_a_failing_job_is_listed_with_its_error_and_can_be_retried(
        self, platform: Platform, settings: Settings
    ) -> None:
        calls: list[int] = []

        def broken(n: int) -> None:
            calls.append(n)
            raise RuntimeError(f"broken {n}")

        # A job registered before first use, on a platform with its own consumer (a
        # consumer must know every job of the queue it reads).
        other = build(settings, db=platform.db)
        other.jobs.register(JobSpec("tests.broken", broken, retries=0))
        other.jobs.record_signals()
        running = start_embedded(other.jobs.huey, 1)
        try:
            job_id = other.jobs.enqueue("tests.broken", 7)

            def failed() -> bool:
                with unit_of_work(platform.db, write=False) as session:
                    run = session.get(JobRun, job_id)
                    return run is not None and run.status == JobStatus.failed

            assert _wait_for(failed)
            with unit_of_work(platform.db, write=False) as session:
                listed = jobs.overview(session, other.jobs)
            (run,) = [r for r in listed.runs if r.id == job_id]
            assert (run.name, run.args, run.error) == (
                "tests.broken",
                [7],
                "RuntimeError: broken 7",
            )
            with unit_of_work(platform.db) as session:
                again = jobs.retry(session, other.jobs, job_id)
            assert again != job_id
            assert _wait_for(lambda: len(calls) == 2)
            assert calls == [7, 7]
        finally:
            stop_embedded(running)

    def test_only_a_failed_job_can_be_retried(self, platform: Platform) -> None:
        with unit_of_work(platform.db) as session:
            session.add(JobRun(id="j1", name="events.relay", args=[], status=JobStatus.running))
        with (
            pytest.raises(Conflict, match="is running, not failed"),
            unit_of_work(platform.db) as session,
        ):
            jobs.retry(session, platform.jobs, "j1")
        with pytest.raises(NotFound), unit_of_work(platform.db) as session:
            jobs.retry(session, platform.jobs, "missing")


class TestQueueListing:
    def test_queued_jobs_are_listed(self, platform: Platform) -> None:
        job_id = platform.jobs.enqueue("work.expire_leases")
        with unit_of_work(platform.db, write=False) as session:
            listed = jobs.overview(session, platform.jobs)
        assert job_id in {j.id for j in listed.queued}


def _handling_status(session: Session, subscriber: str) -> HandlingStatus | None:
    found = session.scalar(
        select(EventHandling.status).where(EventHandling.subscriber == subscriber)
    )
    return found


def test_subscriber_signature_is_what_the_relay_calls(platform: Platform) -> None:
    got: list[Published] = []
    platform.bus.subscribe(Subscriber("tests.sig", lambda _s, e: got.append(e)))
    with unit_of_work(platform.db) as session:
        events.publish(session, EventType.tasks_created, project_id=3, count=2)
    events.relay(platform.db, platform.bus)
    assert [(e.type, e.project_id, e.payload) for e in got] == [("tasks.created", 3, {"count": 2})]
    with unit_of_work(platform.db, write=False) as session:
        assert _handling_status(session, "tests.sig") == HandlingStatus.done


REDIS_URL = os.environ.get("CROWDLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


class TestRedisQueue:
    """CROWDLOOP_REDIS_URL: the queue in Redis, with the same jobs and guarantees."""

    def test_a_commit_wakes_the_relay_through_redis(self, settings: Settings) -> None:
        try:
            Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        except RedisError:
            pytest.skip(f"no Redis at {REDIS_URL}")
        # A queue of its own: parallel test processes share this Redis.
        queue = f"test-{uuid.uuid4().hex}"
        wired = build(settings.model_copy(update={"redis_url": REDIS_URL, "jobs_queue": queue}))
        assert type(wired.jobs.huey).__name__ == "PriorityRedisHuey"
        wired.jobs.flush()
        seen: list[int] = []
        wired.bus.subscribe(Subscriber("tests.redis", lambda _s, e: seen.append(e.id)))
        running = start_embedded(wired.jobs.huey, 1)
        try:
            with unit_of_work(wired.db) as session:
                published = events.publish(session, EventType.webhook_test, project_id=1)
            assert _wait_for(lambda: published.id in seen), seen
        finally:
            stop_embedded(running)
            wired.jobs.flush()
            wired.jobs.close()
            wired.live.close()
            wired.db.dispose()
