from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class UploadRead(BaseModel):
    """An upload's metadata (never its content)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    assignment_id: int
    task_id: int
    worker_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime
