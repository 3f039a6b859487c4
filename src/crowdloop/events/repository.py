"""Queries on the outbox and the subscribers' handlings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from crowdloop.events.models import Event, EventHandling, HandlingStatus
from crowdloop.storage.dialect import skip_locked

EVENTS = cast(Table, Event.__table__)
HANDLINGS = cast(Table, EventHandling.__table__)


_INSERT_EVENT = insert(EVENTS).returning(EVENTS.c.id)  # built once: runs per answer


def insert_event(session: Session, values: dict[str, Any]) -> int:
    """One Core INSERT ... RETURNING id (no ORM object: the hot path publishes often)."""
    return int(session.execute(_INSERT_EVENT, values).scalar_one())


def undispatched(session: Session, limit: int) -> Sequence[Any]:
    """(id, type, project_id) of the oldest events not yet fanned out: what the fan-out
    decides by (the payload is read by each subscriber's handling, not here)."""
    query = (
        select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.project_id)
        .where(EVENTS.c.dispatched_at.is_(None))
        .order_by(EVENTS.c.id)
        .limit(limit)
    )
    return session.execute(skip_locked(session, query)).all()


def mark_dispatched(session: Session, ids: list[int], now: datetime) -> None:
    session.execute(update(EVENTS).where(EVENTS.c.id.in_(ids)).values(dispatched_at=now))


def add_handlings(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(HANDLINGS), rows)


def due_handlings(session: Session, now: datetime, limit: int) -> Sequence[EventHandling]:
    """Pending and due, or running under a lease that lapsed (its worker died)."""
    query = (
        select(EventHandling)
        .where(
            or_(
                and_(
                    EventHandling.status == HandlingStatus.pending,
                    EventHandling.next_attempt_at <= now,
                ),
                and_(
                    EventHandling.status == HandlingStatus.running,
                    EventHandling.locked_until < now,
                ),
            )
        )
        .order_by(EventHandling.next_attempt_at, EventHandling.id)
        .limit(limit)
    )
    return session.scalars(skip_locked(session, query)).all()


def list_handlings(
    session: Session, *, status: HandlingStatus | None, limit: int
) -> Sequence[tuple[EventHandling, Event]]:
    query = select(EventHandling, Event).join(Event, Event.id == EventHandling.event_id)
    if status is not None:
        query = query.where(EventHandling.status == status)
    rows = session.execute(query.order_by(EventHandling.id.desc()).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]


def events_after(
    session: Session, after_id: int, *, project_id: int | None, limit: int
) -> Sequence[Event]:
    query = select(Event).where(Event.id > after_id)
    if project_id is not None:
        query = query.where(Event.project_id == project_id)
    return session.scalars(query.order_by(Event.id).limit(limit)).all()


def last_event_id(session: Session) -> int:
    found = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    return int(found or 0)


def delete_settled(session: Session, before: datetime, limit: int) -> int:
    """Up to ``limit`` events older than ``before`` that every subscriber has handled (their
    handlings go with them). The newest event always stays: ids must never be reused
    (SQLite would hand out max(id) + 1 again), they are the live pages' cursor."""
    unsettled = exists().where(
        HANDLINGS.c.event_id == EVENTS.c.id, HANDLINGS.c.status != HandlingStatus.done.value
    )
    newest = select(func.max(EVENTS.c.id)).scalar_subquery()
    query = (
        select(EVENTS.c.id)
        .where(
            EVENTS.c.occurred_at < before,
            EVENTS.c.dispatched_at.is_not(None),
            EVENTS.c.id < newest,
            ~unsettled,
        )
        .order_by(EVENTS.c.id)
        .limit(limit)
    )
    ids = list(session.scalars(query))
    if ids:
        session.execute(delete(EVENTS).where(EVENTS.c.id.in_(ids)))
    return len(ids)
