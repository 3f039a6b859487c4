from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ID_MAX = 2**63 - 1  # the database's 64-bit keys


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    action: str
    actor_id: int | None = Field(
        description="Who acted; null for the CLI operator, the system or an unknown username."
    )
    subject_type: str | None = Field(description="user, token, project, ...")
    subject_id: int | None
    ip: str | None = Field(description="The client address, for sign-ins and sign-outs.")
    detail: dict[str, Any]


class AuditFilter(BaseModel):
    """Newest first; ``before`` is the id cursor of the next page."""

    action: str | None = None
    user_id: int | None = Field(None, ge=1, le=ID_MAX, description="Entries by or about them.")
    before: int | None = Field(None, ge=1, le=ID_MAX, description="Entries older than this id.")
    limit: int = Field(100, ge=1, le=1000)
