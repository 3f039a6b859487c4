"""After-commit subscribers: fan-out, exactly-once writes, retries, parking, take-over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crowdloop.errors import Conflict, NotFound
from crowdloop.events import service as events
from crowdloop.events.bus import Published, Subscriber
from crowdloop.events.models import Event, EventHandling, HandlingStatus
from crowdloop.events.types import EventType
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform


def _publish(
    platform: Platform, n: int = 1, event_type: EventType = EventType.webhook_test
) -> None:
    with unit_of_work(platform.db) as session:
        for i in range(n):
            events.publish(session, event_type, project_id=1, n=i)


def _handlings(platform: Platform, subscriber: str) -> list[EventHandling]:
    with unit_of_work(platform.db, write=False) as session:
        query = select(EventHandling).where(EventHandling.subscriber == subscriber)
        return list(session.scalars(query.order_by(EventHandling.id)))


def _make_due(platform: Platform) -> None:
    with unit_of_work(platform.db) as session:
        session.execute(update(EventHandling).values(next_attempt_at=utcnow()))


class TestFanOut:
    def test_each_subscriber_gets_each_wanted_event_once(self, platform: Platform) -> None:
        got: list[int] = []
        platform.bus.subscribe(
            Subscriber(
                "tests.count",
                lambda _s, e: got.append(e.payload["n"]),
                types=frozenset({"webhook.test"}),
            )
        )
        _publish(platform, 3)
        _publish(platform, 1, EventType.tasks_created)  # not wanted by the subscriber
        report = events.relay(platform.db, platform.bus)
        assert report.dispatched == 4
        assert sorted(got) == [0, 1, 2]
        assert [h.status for h in _handlings(platform, "tests.count")] == [HandlingStatus.done] * 3
        again = events.relay(platform.db, platform.bus)
        assert (again.dispatched, again.handled) == (0, 0)
        assert sorted(got) == [0, 1, 2]
        with unit_of_work(platform.db, write=False) as session:
            pending = session.scalar(
                select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
            )
        assert pending == 0

    def test_what_a_subscriber_writes_commits_with_its_done_mark(self, platform: Platform) -> None:
        def write_then_fail(session: Session, event: Published) -> None:
            events.publish(session, EventType.tasks_created, project_id=event.project_id)
            raise RuntimeError("after writing")

        platform.bus.subscribe(
            Subscriber("tests.half", write_then_fail, types=frozenset({"webhook.test"}))
        )
        _publish(platform)
        events.relay(platform.db, platform.bus)
        with unit_of_work(platform.db, write=False) as session:
            created = session.scalar(
                select(func.count()).select_from(Event).where(Event.type == "tasks.created")
            )
        assert created == 0  # the failed handling's writes were rolled back
        (handling,) = _handlings(platform, "tests.half")
        assert handling.status == HandlingStatus.pending
        assert handling.attempts == 1


class TestFailures:
    def test_a_failing_subscriber_is_retried_with_backoff_then_parked(
        self, platform: Platform
    ) -> None:
        calls: list[int] = []

        def broken(_session: Session, event: Published) -> None:
            calls.append(event.id)
            raise ValueError("the receiver is down")

        platform.bus.subscribe(
            Subscriber("tests.broken", broken, types=frozenset({"webhook.test"}), max_attempts=3)
        )
        _publish(platform)
        before = utcnow()
        first = events.relay(platform.db, platform.bus)
        assert (first.retrying, first.failed) == (1, 0)
        (handling,) = _handlings(platform, "tests.broken")
        assert handling.status == HandlingStatus.pending
        assert handling.last_error == "ValueError: the receiver is down"
        assert handling.next_attempt_at >= before + timedelta(seconds=5)
        # Not due yet: nothing runs.
        assert events.relay(platform.db, platform.bus).retrying == 0
        _make_due(platform)
        events.relay(platform.db, platform.bus)
        (handling,) = _handlings(platform, "tests.broken")
        assert handling.attempts == 2
        assert handling.next_attempt_at >= utcnow() + timedelta(seconds=15)
        _make_due(platform)
        last = events.relay(platform.db, platform.bus)
        assert last.failed == 1
        (handling,) = _handlings(platform, "tests.broken")
        assert handling.status == HandlingStatus.failed
        assert handling.finished_at is not None
        assert len(calls) == 3
        # Parked: never run again by itself.
        _make_due(platform)
        assert events.relay(platform.db, platform.bus).failed == 0
        assert len(calls) == 3

    def test_a_parked_handling_can_be_retried(self, platform: Platform) -> None:
        state = {"broken": True}

        def flaky(_session: Session, _event: Published) -> None:
            if state["broken"]:
                raise ValueError("down")

        platform.bus.subscribe(
            Subscriber("tests.flaky", flaky, types=frozenset({"webhook.test"}), max_attempts=1)
        )
        _publish(platform)
        assert events.relay(platform.db, platform.bus).failed == 1
        (handling,) = _handlings(platform, "tests.flaky")
        state["broken"] = False
        with unit_of_work(platform.db) as session:
            rearmed = events.retry(session, handling.id)
        assert rearmed.status == HandlingStatus.pending
        assert events.relay(platform.db, platform.bus).handled == 1
        (handling,) = _handlings(platform, "tests.flaky")
        assert handling.status == HandlingStatus.done

    def test_retrying_what_is_not_parked_is_refused(self, platform: Platform) -> None:
        platform.bus.subscribe(Subscriber("tests.ok", lambda _s, _e: None))
        _publish(platform)
        events.relay(platform.db, platform.bus)
        (handling,) = _handlings(platform, "tests.ok")
        with (
            pytest.raises(Conflict, match="is done, not failed"),
            unit_of_work(platform.db) as session,
        ):
            events.retry(session, handling.id)
        with pytest.raises(NotFound), unit_of_work(platform.db) as session:
            events.retry(session, 999_999)

    def test_a_subscriber_failure_never_blocks_publishing(self, platform: Platform) -> None:
        def broken(_session: Session, _event: Published) -> None:
            raise ValueError("down")

        platform.bus.subscribe(Subscriber("tests.down", broken, max_attempts=1))
        _publish(platform)
        events.relay(platform.db, platform.bus)
        _publish(platform, 2)  # the loop goes on publishing while the subscriber is parked
        with unit_of_work(platform.db, write=False) as session:
            assert session.scalar(select(func.count()).select_from(Event)) == 3


class TestTakeOver:
    def test_a_handling_of_a_dead_worker_is_run_again_after_its_lease(
        self, platform: Platform
    ) -> None:
        got: list[int] = []
        platform.bus.subscribe(Subscriber("tests.take", lambda _s, e: got.append(e.id)))
        _publish(platform)
        events.dispatch(platform.db, platform.bus)
        # A worker took it and died: running, under a lease that lapsed.
        with unit_of_work(platform.db) as session:
            session.execute(
                update(EventHandling).values(
                    status=HandlingStatus.running, locked_until=utcnow() - timedelta(seconds=1)
                )
            )
        assert events.handle_due(platform.db, platform.bus).handled >= 1
        assert len(got) == 1
        assert [h.status for h in _handlings(platform, "tests.take")] == [HandlingStatus.done]

    def test_a_live_lease_is_left_alone(self, platform: Platform) -> None:
        got: list[int] = []
        platform.bus.subscribe(Subscriber("tests.live", lambda _s, e: got.append(e.id)))
        _publish(platform)
        events.dispatch(platform.db, platform.bus)
        with unit_of_work(platform.db) as session:
            session.execute(
                update(EventHandling).values(
                    status=HandlingStatus.running, locked_until=utcnow() + timedelta(minutes=5)
                )
            )
        assert events.handle_due(platform.db, platform.bus).handled == 0
        assert got == []


def test_a_serving_process_relays_its_commits_itself(platform: Platform) -> None:
    """With job workers in this process (``relay_here``), a commit's wake-up runs the relay
    in the waker's thread: no queue round trip, and no consumer needed for it."""
    seen: list[int] = []
    platform.bus.subscribe(Subscriber("tests.here", lambda _s, e: seen.append(e.payload["n"])))
    platform.relay_here = True
    try:
        _publish(platform, 3)
        platform.flush()
    finally:
        platform.relay_here = False
    assert sorted(seen) == [0, 1, 2]
    assert platform.jobs.huey.pending_count() == 0  # nothing went through the queue
