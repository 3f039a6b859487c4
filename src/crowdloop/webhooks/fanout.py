"""Fan-out: the "webhooks" subscriber turns each event into one delivery per endpoint.

It runs after commit, from the outbox relay, in the handling's own transaction: the
deliveries and the handling's 'done' mark commit together. Running it twice for one event
adds nothing (one delivery per endpoint and event; the unique constraint backs it up).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from crowdloop.events.bus import Published, Subscriber
from crowdloop.events.types import EventType
from crowdloop.storage.types import utcnow
from crowdloop.webhooks import repository
from crowdloop.webhooks.models import DeliveryStatus, WebhookEndpoint
from crowdloop.webhooks.service import msg_id_of

SUBSCRIBER_NAME = "webhooks"


def wants(endpoint: WebhookEndpoint, event: Published) -> bool:
    """A test event goes to the endpoint it names only; others by the endpoint's types.
    An endpoint receives what happened after it was registered, never the backlog the
    relay had not reached yet when it was added."""
    if event.type == EventType.webhook_test and "endpoint_id" in event.payload:
        return bool(event.payload["endpoint_id"] == endpoint.id)
    if event.occurred_at < endpoint.created_at:
        return False
    return not endpoint.event_types or event.type in endpoint.event_types


def fan_out(session: Session, event: Published) -> int:
    """One pending delivery per active endpoint of the event's project that wants it."""
    if event.project_id is None:
        return 0
    endpoints = repository.active_endpoints(session, event.project_id)
    targets = [e for e in endpoints if wants(e, event)]
    if not targets:
        return 0
    done = repository.endpoints_with_delivery(session, event.id)
    now = utcnow()
    rows = [
        {
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "msg_id": msg_id_of(event.uid),
            "status": DeliveryStatus.pending,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint in targets
        if endpoint.id not in done
    ]
    repository.add_deliveries(session, rows)
    return len(rows)


def _handle(session: Session, event: Published) -> None:
    fan_out(session, event)


def subscriber() -> Subscriber:
    """Every event type, but only of projects with an active endpoint (the relay writes no
    handling for the rest); the wiring registers it on the bus."""
    return Subscriber(SUBSCRIBER_NAME, _handle, projects=repository.projects_with_endpoints)
