from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crowdloop.accounts.models import User
from crowdloop.projects.models import Task
from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class AssignmentStatus(enum.StrEnum):
    active = "active"
    submitted = "submitted"
    skipped = "skipped"
    released = "released"
    expired = "expired"
    discarded = "discarded"  # removed by a quality rule or the requester; can be restored
    rework = "rework"  # sent back by a reviewer; the worker answers again
    rejected = "rejected"  # refused by a reviewer; the task went back to the pool


# Assignments a worker may still answer: fresh leases and work sent back for rework.
LIVE = (AssignmentStatus.active, AssignmentStatus.rework)
# How far back next-task looks for a live lease (a push gives each worker at most this).
LIVE_LOOKBACK = 64


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        # The database itself guarantees a task never goes to the same worker twice.
        UniqueConstraint("task_id", "worker_id", name="uq_assignments_task_worker"),
        Index("ix_assignments_worker_project", "worker_id", "project_id", "id"),
        Index(
            "ix_assignments_live_lease",
            "project_id",
            "lease_expires_at",
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_assignments_project_task", "project_id", "task_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[AssignmentStatus] = mapped_column(
        Enum(AssignmentStatus, native_enum=False, length=16), default=AssignmentStatus.active
    )
    reward_cents: Mapped[int] = mapped_column(Integer, default=0)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[Any | None] = mapped_column(JSON)
    review: Mapped[str | None] = mapped_column(String(16))  # accepted / rejected / rework
    review_reason: Mapped[str | None] = mapped_column(Text)
    # Plain id, no foreign key: adding one would make SQLite rebuild this large table.
    reviewer_id: Mapped[int | None] = mapped_column(BigIntId)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[Task] = relationship(lazy="raise")
    worker: Mapped[User] = relationship(lazy="raise", foreign_keys=[worker_id])
