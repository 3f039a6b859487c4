"""What the job workers are doing and what failed, for `crowdloop jobs` and the admin page.

huey keeps the queue and the schedule; it forgets a job once it ran. This table, written
from huey's signals, remembers the running and the failed ones (a finished job's row is
deleted), so any process can list them and a failed one can be enqueued again.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crowdloop.storage.base import Base
from crowdloop.storage.types import UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    running = "running"
    retrying = "retrying"
    failed = "failed"


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # huey's task id
    name: Mapped[str] = mapped_column(String(128))
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[JobStatus] = mapped_column(Enum(JobStatus, native_enum=False, length=16))
    retries_left: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
