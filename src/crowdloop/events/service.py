"""Publish events in the caller's transaction; relay them to subscribers after commit."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.errors import Conflict, NotFound
from crowdloop.events import repository
from crowdloop.events.bus import Bus, Published, Subscriber, bus_of, mark_published
from crowdloop.events.models import Event, EventHandling, HandlingStatus
from crowdloop.events.schemas import EventRead, HandlingRead, RelayReport
from crowdloop.events.types import EventType
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work

log = logging.getLogger(__name__)
# A handling taken by a worker is its own for this long; after that (the worker died) it
# is due again. Subscribers must finish well within it (settings.job_lease_seconds).
HANDLING_LEASE = timedelta(minutes=5)
FIRST_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 3600.0
ERROR_CHARS = 2000


def publish(
    session: Session,
    event_type: EventType,
    *,
    project_id: int | None = None,
    actor_id: int | None = None,
    **payload: Any,
) -> Published:
    """Write the event in this transaction and run the in-transaction reactions."""
    bus = bus_of(session)
    now = utcnow()
    uid = uuid.uuid4().hex
    values = {
        "uid": uid,
        "type": str(event_type),
        "project_id": project_id,
        "actor_id": actor_id,
        "payload": payload,
        "occurred_at": now,
    }
    event_id = repository.insert_event(session, values)
    mark_published(session, project_id)
    published = Published(event_id, uid, str(event_type), project_id, actor_id, payload, now)
    for reaction in bus.reactions.get(str(event_type), ()):
        reaction(session, published)
    return published


def retry_delay(attempts: int) -> timedelta:
    """5 s, 20 s, 80 s, ... at most an hour."""
    seconds = FIRST_RETRY_SECONDS * 4 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, MAX_RETRY_SECONDS))


def _published(row: Event) -> Published:
    return Published(
        row.id, row.uid, row.type, row.project_id, row.actor_id, row.payload, row.occurred_at
    )


def dispatch(db: Database, bus: Bus, *, limit: int = 500) -> int:
    """Fan every undispatched event out to the subscribers that want it; how many."""
    total = 0
    while True:
        with unit_of_work(db) as session:
            rows = repository.undispatched(session, limit)
            now = utcnow()
            repository.add_handlings(session, _handlings(session, bus, rows, now))
            repository.mark_dispatched(session, [row.id for row in rows], now)
        total += len(rows)
        if len(rows) < limit:
            return total


def _handlings(
    session: Session, bus: Bus, rows: Sequence[Any], now: datetime
) -> list[dict[str, Any]]:
    projects = {row.project_id for row in rows if row.project_id is not None}
    interested = {
        sub.name: sub.projects(session, projects)
        for sub in bus.subscribers.values()
        if sub.projects is not None
    }
    return [
        {
            "event_id": row.id,
            "subscriber": sub.name,
            "next_attempt_at": now,
            "status": HandlingStatus.pending,
            "attempts": 0,
        }
        for row in rows
        for sub in bus.subscribers_for(row.type)
        if sub.name not in interested or row.project_id in interested[sub.name]
    ]


def _claim(db: Database, limit: int, lease: timedelta) -> list[int]:
    with unit_of_work(db) as session:
        now = utcnow()
        rows = repository.due_handlings(session, now, limit)
        for row in rows:
            row.status = HandlingStatus.running
            row.locked_until = now + lease
        return [row.id for row in rows]


def _run_one(db: Database, bus: Bus, handling_id: int) -> None:
    """The subscriber's work and the 'done' mark commit together: exactly once for
    anything the subscriber writes to this database."""
    with unit_of_work(db) as session:
        handling = session.get(EventHandling, handling_id)
        assert handling is not None
        subscriber = bus.subscribers.get(handling.subscriber)
        if subscriber is None:
            raise LookupError(f"no subscriber {handling.subscriber!r} in this process")
        row = session.get(Event, handling.event_id)
        assert row is not None
        subscriber.handle(session, _published(row))
        handling.status = HandlingStatus.done
        handling.finished_at = utcnow()
        handling.locked_until = None
        handling.attempts += 1


def _record_failure(db: Database, bus: Bus, handling_id: int, error: str) -> HandlingStatus:
    with unit_of_work(db) as session:
        handling = session.get(EventHandling, handling_id)
        assert handling is not None
        subscriber = bus.subscribers.get(handling.subscriber)
        limit = subscriber.max_attempts if subscriber is not None else 1
        handling.attempts += 1
        handling.last_error = error[:ERROR_CHARS]
        handling.locked_until = None
        if handling.attempts >= limit:
            handling.status = HandlingStatus.failed
            handling.finished_at = utcnow()
        else:
            handling.status = HandlingStatus.pending
            handling.next_attempt_at = utcnow() + retry_delay(handling.attempts)
        return handling.status


def handle_due(
    db: Database, bus: Bus, *, limit: int = 200, lease: timedelta = HANDLING_LEASE
) -> RelayReport:
    """Run every due handling once: done, rescheduled with backoff, or parked as failed."""
    report = RelayReport()
    for handling_id in _claim(db, limit, lease):
        try:
            _run_one(db, bus, handling_id)
        except Exception as exc:
            log.warning("event handling %s failed: %r", handling_id, exc)
            status = _record_failure(db, bus, handling_id, f"{type(exc).__name__}: {exc}")
            if status == HandlingStatus.failed:
                report.failed += 1
            else:
                report.retrying += 1
        else:
            report.handled += 1
    return report


def relay(db: Database, bus: Bus, *, lease: timedelta = HANDLING_LEASE) -> RelayReport:
    """Dispatch new events, then run what is due; the job the worker runs on each wake."""
    dispatched = dispatch(db, bus)
    report = handle_due(db, bus, lease=lease)
    report.dispatched = dispatched
    return report


def prune(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` settled events older than ``before`` (housekeeping job)."""
    return repository.delete_settled(session, before, limit)


def retry(session: Session, handling_id: int) -> HandlingRead:
    """Re-arm a failed (parked) handling: due now, attempts start again."""
    handling = session.get(EventHandling, handling_id)
    if handling is None:
        raise NotFound(f"event handling {handling_id} not found")
    if handling.status != HandlingStatus.failed:
        raise Conflict(f"event handling {handling_id} is {handling.status.value}, not failed")
    handling.status = HandlingStatus.pending
    handling.attempts = 0
    handling.next_attempt_at = utcnow()
    handling.finished_at = None
    session.flush()
    row = session.get(Event, handling.event_id)
    assert row is not None
    return _handling_read(handling, row)


def list_handlings(
    session: Session, *, status: HandlingStatus | None = None, limit: int = 100
) -> list[HandlingRead]:
    return [
        _handling_read(h, e)
        for h, e in repository.list_handlings(session, status=status, limit=limit)
    ]


def _handling_read(handling: EventHandling, row: Event) -> HandlingRead:
    return HandlingRead(
        id=handling.id,
        event_id=handling.event_id,
        event_type=row.type,
        subscriber=handling.subscriber,
        status=handling.status,
        attempts=handling.attempts,
        next_attempt_at=handling.next_attempt_at,
        last_error=handling.last_error,
        finished_at=handling.finished_at,
    )


def events_after(
    session: Session, after_id: int, *, project_id: int | None = None, limit: int = 500
) -> list[EventRead]:
    """Events newer than a cursor (live pages resume from ``Last-Event-ID``)."""
    rows: Sequence[Event] = repository.events_after(
        session, after_id, project_id=project_id, limit=limit
    )
    return [EventRead.model_validate(_published(r), from_attributes=True) for r in rows]


def last_event_id(session: Session) -> int:
    return repository.last_event_id(session)


__all__ = ["Subscriber", "dispatch", "handle_due", "publish", "relay", "retry"]
