"""A project's webhook endpoints, their delivery log, redelivery and test events.

The adapters check who may manage the project (``projects.access.for_manager``) and pass
the project in; ``outbound`` is ``settings.outbound``, passed down.
"""

from __future__ import annotations

import base64
import secrets
from collections import defaultdict
from datetime import datetime

from sqlalchemy.orm import Session

from crowdloop.errors import Conflict, InvalidInput, NotFound
from crowdloop.events import service as events
from crowdloop.events.types import EventType
from crowdloop.outbound import OutboundPolicy
from crowdloop.projects.models import Project
from crowdloop.storage.types import utcnow
from crowdloop.webhooks import repository
from crowdloop.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from crowdloop.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    PingSent,
)

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 24
MSG_PREFIX = "msg_"


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def msg_id_of(event_uid: str) -> str:
    """The webhook-id of an event's deliveries: the same on every attempt."""
    return MSG_PREFIX + event_uid


def event_types_of(names: list[str]) -> list[str]:
    """Known event type names, sorted and deduplicated; empty means every type."""
    known = {str(t) for t in EventType}
    unknown = sorted({n.strip() for n in names} - known)
    if unknown:
        raise InvalidInput(
            f"event_types: unknown event type {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(sorted(known))}"
        )
    return sorted({n.strip() for n in names})


def create_endpoint(
    session: Session,
    project: Project,
    data: EndpointCreate,
    *,
    created_by: int | None,
    outbound: OutboundPolicy,
) -> EndpointWithSecret:
    endpoint = WebhookEndpoint(
        project_id=project.id,
        url=outbound.check(data.url),
        secret=new_secret(),
        event_types=event_types_of(data.event_types),
        description=data.description.strip(),
        active=True,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(endpoint)
    session.flush()
    return EndpointWithSecret.model_validate(endpoint)


def list_endpoints(session: Session, project: Project) -> list[EndpointRead]:
    return [EndpointRead.model_validate(e) for e in repository.endpoints_of(session, project.id)]


def endpoint_of(session: Session, project: Project, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.project_id != project.id:
        raise NotFound(f"webhook {endpoint_id} not found in project {project.id}")
    return endpoint


def get_endpoint(session: Session, project: Project, endpoint_id: int) -> EndpointRead:
    return EndpointRead.model_validate(endpoint_of(session, project, endpoint_id))


def update_endpoint(
    session: Session,
    project: Project,
    endpoint_id: int,
    data: EndpointUpdate,
    *,
    outbound: OutboundPolicy,
) -> EndpointRead:
    """Change the given fields; a bad value changes nothing."""
    endpoint = endpoint_of(session, project, endpoint_id)
    url = None if data.url is None else outbound.check(data.url)
    types = None if data.event_types is None else event_types_of(data.event_types)
    if url is not None:
        endpoint.url = url
    if types is not None:
        endpoint.event_types = types
    if data.description is not None:
        endpoint.description = data.description.strip()
    if data.active is not None:
        endpoint.active = data.active
    session.flush()
    return EndpointRead.model_validate(endpoint)


def delete_endpoint(session: Session, project: Project, endpoint_id: int) -> None:
    """The endpoint goes, and its deliveries and their log with it."""
    session.delete(endpoint_of(session, project, endpoint_id))
    session.flush()


def rotate_secret(session: Session, project: Project, endpoint_id: int) -> EndpointWithSecret:
    """A new signing secret; the old one stops verifying from the next attempt on."""
    endpoint = endpoint_of(session, project, endpoint_id)
    endpoint.secret = new_secret()
    session.flush()
    return EndpointWithSecret.model_validate(endpoint)


def deliveries(
    session: Session, project: Project, endpoint_id: int, *, limit: int = 50
) -> list[DeliveryRead]:
    """The endpoint's newest deliveries, each with its attempts (the delivery log)."""
    endpoint = endpoint_of(session, project, endpoint_id)
    rows = repository.deliveries_of(session, endpoint.id, limit=limit)
    log: dict[int, list[AttemptRead]] = defaultdict(list)
    for attempt in repository.attempts_of(session, [d.id for d, _ in rows]):
        log[attempt.delivery_id].append(AttemptRead.model_validate(attempt))
    return [_read(d, event_type, log[d.id]) for d, event_type in rows]


def _read(delivery: WebhookDelivery, event_type: str, log: list[AttemptRead]) -> DeliveryRead:
    read = DeliveryRead.model_validate(delivery)
    return read.model_copy(update={"event_type": event_type, "log": log})


def redeliver(session: Session, project: Project, delivery_id: int) -> DeliveryRead:
    """Send a delivery again, whatever its status, with the same webhook-id (receivers
    deduplicate on it); its retry schedule starts again. Wake the sender after commit."""
    delivery = session.get(WebhookDelivery, delivery_id)
    endpoint = None if delivery is None else session.get(WebhookEndpoint, delivery.endpoint_id)
    if delivery is None or endpoint is None or endpoint.project_id != project.id:
        raise NotFound(f"webhook delivery {delivery_id} not found in project {project.id}")
    if not endpoint.active:
        raise Conflict(f"webhook {endpoint.id} is disabled: enable it before redelivering")
    delivery.status = DeliveryStatus.pending
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.locked_until = None
    delivery.delivered_at = None
    session.flush()
    return _read(delivery, repository.event_type_of(session, delivery.event_id), [])


def send_test(
    session: Session, project: Project, endpoint_id: int, *, actor_id: int | None
) -> PingSent:
    """Publish a ``webhook.test`` event for this one endpoint (whatever its event types)."""
    endpoint = endpoint_of(session, project, endpoint_id)
    if not endpoint.active:
        raise Conflict(f"webhook {endpoint.id} is disabled: enable it to send a test event")
    published = events.publish(
        session,
        EventType.webhook_test,
        project_id=project.id,
        actor_id=actor_id,
        endpoint_id=endpoint.id,
    )
    return PingSent(event_id=published.id, msg_id=msg_id_of(published.uid))


def prune(session: Session, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` finished deliveries made before ``before`` (housekeeping)."""
    return repository.delete_finished(session, before, limit)
