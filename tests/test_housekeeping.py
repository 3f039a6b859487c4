"""Housekeeping deletes what is past its keeping, and nothing that is still pending,
failed and waiting for an operator, recent, or the newest event (ids are cursors)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select, update

from crowdloop import housekeeping
from crowdloop.accounts.models import LoginThrottle, Role, WebSession
from crowdloop.events import service as events
from crowdloop.events.bus import Subscriber
from crowdloop.events.models import Event, EventHandling, HandlingStatus
from crowdloop.events.types import EventType
from crowdloop.jobs.models import JobRun, JobStatus
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import service as webhooks
from crowdloop.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from crowdloop.webhooks.schemas import EndpointCreate
from crowdloop.wiring import Platform, job_specs
from tests.factories.accounts import make_user, make_web_session
from tests.factories.projects import make_project
from tests.webhooks.conftest import OPEN

KEEP = timedelta(days=30)


def _events(platform: Platform) -> list[int]:
    """Five handled events; returns their ids, oldest first."""
    platform.bus.subscribe(Subscriber("tests.ok", lambda _s, _e: None))
    with unit_of_work(platform.db) as session:
        for i in range(5):
            events.publish(session, EventType.webhook_test, project_id=1, n=i)
    events.relay(platform.db, platform.bus)
    with unit_of_work(platform.db, write=False) as session:
        return list(session.scalars(select(Event.id).order_by(Event.id)))


def _backdate_events(platform: Platform, ids: list[int]) -> None:
    old = utcnow() - KEEP - timedelta(days=1)
    with unit_of_work(platform.db) as session:
        session.execute(update(Event).where(Event.id.in_(ids)).values(occurred_at=old))


def _count(platform: Platform, model: type) -> int:
    with unit_of_work(platform.db, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_events_that_are_settled_and_old_go_with_their_handlings(platform: Platform) -> None:
    ids = _events(platform)
    with unit_of_work(platform.db) as session:
        failed = EventHandling.event_id == ids[1]
        session.execute(update(EventHandling).where(failed).values(status=HandlingStatus.failed))
    _backdate_events(platform, [ids[0], ids[1], ids[3], ids[4]])  # ids[2] is recent
    counts = housekeeping.prune(platform.db, retention=KEEP)
    assert counts["events"] == 2
    with unit_of_work(platform.db, write=False) as session:
        left = list(session.scalars(select(Event.id).order_by(Event.id)))
        handled = set(session.scalars(select(EventHandling.event_id)))
    # Kept: a failed handling waits for an operator, a recent event, the newest event.
    assert left == [ids[1], ids[2], ids[4]]
    assert handled == set(left)
    assert housekeeping.prune(platform.db, retention=KEEP)["events"] == 0


def test_finished_deliveries_and_forgotten_jobs_go(platform: Platform) -> None:
    ids = _events(platform)
    old = utcnow() - KEEP - timedelta(days=1)
    with unit_of_work(platform.db) as session:
        project = make_project(session, make_user(session, role=Role.requester))
        hook = EndpointCreate(url="http://127.0.0.1:9/hook")
        endpoint = webhooks.create_endpoint(session, project, hook, created_by=None, outbound=OPEN)
        rows = [
            (ids[0], DeliveryStatus.succeeded, old),
            (ids[1], DeliveryStatus.failed, old),
            (ids[2], DeliveryStatus.pending, old),  # still retrying: kept
            (ids[3], DeliveryStatus.failed, utcnow()),  # recent: kept
        ]
        for event_id, status, made in rows:
            session.add(
                WebhookDelivery(
                    endpoint_id=endpoint.id,
                    event_id=event_id,
                    msg_id=f"msg_{event_id}",
                    status=status,
                    created_at=made,
                )
            )
        session.flush()
        first = session.scalar(select(WebhookDelivery.id).order_by(WebhookDelivery.id))
        session.execute(insert(WebhookAttempt).values(delivery_id=first, status_code=200))
        for name, when in (("old", old), ("new", utcnow())):
            session.add(
                JobRun(id=name, name="x", status=JobStatus.failed, started_at=when, updated_at=when)
            )
    counts = housekeeping.prune(platform.db, retention=KEEP)
    assert (counts["webhook_deliveries"], counts["job_runs"]) == (2, 1)
    with unit_of_work(platform.db, write=False) as session:
        left = list(session.scalars(select(WebhookDelivery.event_id).order_by(WebhookDelivery.id)))
        assert left == [ids[2], ids[3]]
        assert list(session.scalars(select(JobRun.id))) == ["new"]
    assert _count(platform, WebhookAttempt) == 0


def test_ended_sessions_and_stale_sign_in_counts_go(platform: Platform) -> None:
    now = utcnow()
    with unit_of_work(platform.db) as session:
        user = make_user(session)
        make_web_session(session, user)  # live
        # Ended 40 days ago (made after the live one: signing in also clears dead sessions).
        make_web_session(session, user, now=now - timedelta(days=40))
        for key, last in (("user:old", now - timedelta(days=2)), ("user:new", now)):
            session.add(LoginThrottle(key=key, failures=2, last_failure_at=last))
    counts = housekeeping.prune(platform.db, retention=KEEP)
    assert (counts["web_sessions"], counts["login_throttles"]) == (1, 1)
    assert _count(platform, WebSession) == 1
    with unit_of_work(platform.db, write=False) as session:
        assert list(session.scalars(select(LoginThrottle.key))) == ["user:new"]


def test_it_runs_hourly_with_the_configured_retention(platform: Platform) -> None:
    spec = next(s for s in job_specs(platform) if s.name == "housekeeping")
    assert spec.every_minutes == 60
    ids = _events(platform)
    _backdate_events(platform, ids[:2])
    platform.settings = platform.settings.model_copy(update={"retention_days": 60})
    assert spec.run()["events"] == 0  # 31 days old, kept for 60
    platform.settings = platform.settings.model_copy(update={"retention_days": 30})
    assert spec.run()["events"] == 2
