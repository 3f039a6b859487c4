from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobRead(BaseModel):
    id: str
    name: str
    args: list[Any]
    status: str
    retries_left: int
    error: str | None
    worker: str | None
    started_at: datetime | None
    updated_at: datetime | None


class JobsOverview(BaseModel):
    queued: list[JobRead]
    scheduled: list[JobRead]
    runs: list[JobRead]
