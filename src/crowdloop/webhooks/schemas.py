from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crowdloop.webhooks.models import DeliveryStatus


class EndpointCreate(BaseModel):
    url: str = Field(max_length=2048, description="http(s) URL of the receiver.")
    event_types: list[str] = Field(
        default_factory=list, description="Event types to send; empty = every type."
    )
    description: str = Field("", max_length=255)


class EndpointUpdate(BaseModel):
    """Only the given fields change."""

    url: str | None = Field(None, max_length=2048)
    event_types: list[str] | None = None
    description: str | None = Field(None, max_length=255)
    active: bool | None = None


class EndpointRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_at: datetime


class EndpointWithSecret(EndpointRead):
    """Returned on creation and on rotation only: the signing secret ("whsec_...")."""

    secret: str


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int
    response_excerpt: str | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    endpoint_id: int
    event_id: int
    event_type: str = ""
    msg_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    log: list[AttemptRead] = Field(default_factory=list)


class PingSent(BaseModel):
    """The ``webhook.test`` event published; its delivery's webhook-id is ``msg_id``."""

    event_id: int
    msg_id: str


class SendReport(BaseModel):
    sent: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0
    # Seconds until the soonest retry this run scheduled (None: none scheduled).
    next_retry_seconds: float | None = None
