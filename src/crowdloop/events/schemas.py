from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from crowdloop.events.models import HandlingStatus


class EventRead(BaseModel):
    id: int
    uid: str
    type: str
    project_id: int | None
    actor_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime


class HandlingRead(BaseModel):
    id: int
    event_id: int
    event_type: str
    subscriber: str
    status: HandlingStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    finished_at: datetime | None


class RelayReport(BaseModel):
    dispatched: int = 0
    handled: int = 0
    failed: int = 0
    retrying: int = 0
