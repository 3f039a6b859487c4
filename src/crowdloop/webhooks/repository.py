"""Queries on endpoints, deliveries and their attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from crowdloop.events.models import Event
from crowdloop.storage.dialect import skip_locked
from crowdloop.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def endpoints_of(session: Session, project_id: int) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.project_id == project_id)
    return session.scalars(query.order_by(WebhookEndpoint.id)).all()


def projects_with_endpoints(session: Session, project_ids: set[int]) -> set[int]:
    """Which of these projects have an active endpoint (one query per relay batch)."""
    if not project_ids:
        return set()
    query = select(WebhookEndpoint.project_id).where(
        WebhookEndpoint.project_id.in_(project_ids), WebhookEndpoint.active.is_(True)
    )
    return {int(p) for p in session.scalars(query.distinct())}


def active_endpoints(session: Session, project_id: int) -> Sequence[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.project_id == project_id, WebhookEndpoint.active.is_(True)
    )
    return session.scalars(query.order_by(WebhookEndpoint.id)).all()


def endpoints_by_id(session: Session, ids: set[int]) -> dict[int, WebhookEndpoint]:
    rows = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
    return {row.id: row for row in rows}


def events_by_id(session: Session, ids: set[int]) -> dict[int, Event]:
    return {row.id: row for row in session.scalars(select(Event).where(Event.id.in_(ids)))}


def endpoints_with_delivery(session: Session, event_id: int) -> set[int]:
    query = select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event_id)
    return set(session.scalars(query))


def add_deliveries(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due, or taken by a sender whose lease lapsed (it died), and the
    endpoint is still active."""
    active = select(WebhookEndpoint.id).where(WebhookEndpoint.active.is_(True))
    return and_(
        or_(
            and_(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
            ),
            and_(
                WebhookDelivery.status == DeliveryStatus.sending,
                WebhookDelivery.locked_until < now,
            ),
        ),
        WebhookDelivery.endpoint_id.in_(active),
    )


def due_deliveries(session: Session, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(_due(now))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    # Several senders on PostgreSQL take disjoint rows.
    return session.scalars(skip_locked(session, query)).all()


def any_due(session: Session, now: datetime) -> bool:
    return session.scalar(select(WebhookDelivery.id).where(_due(now)).limit(1)) is not None


def deliveries_of(
    session: Session, endpoint_id: int, *, limit: int
) -> Sequence[tuple[WebhookDelivery, str]]:
    """The endpoint's newest deliveries first, with their event's type."""
    query = (
        select(WebhookDelivery, Event.type)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1]) for row in session.execute(query).all()]


def event_type_of(session: Session, event_id: int) -> str:
    return session.scalar(select(Event.type).where(Event.id == event_id)) or ""


def attempts_of(session: Session, delivery_ids: list[int]) -> Sequence[WebhookAttempt]:
    if not delivery_ids:
        return []
    query = select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(delivery_ids))
    return session.scalars(query.order_by(WebhookAttempt.id)).all()


def delete_finished(session: Session, before: datetime, limit: int) -> int:
    """Up to ``limit`` deliveries that succeeded or gave up, made before ``before``, with
    their attempts."""
    finished = WebhookDelivery.status.in_([DeliveryStatus.succeeded, DeliveryStatus.failed])
    query = (
        select(WebhookDelivery.id)
        .where(finished, WebhookDelivery.created_at < before)
        .order_by(WebhookDelivery.id)
        .limit(limit)
    )
    ids = list(session.scalars(query))
    if ids:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    return len(ids)
