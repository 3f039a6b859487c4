from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class WorkerQuality(Base):
    """A worker's standing in one project: counters, inferred accuracy and its interval."""

    __tablename__ = "worker_quality"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    worker_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    n_control: Mapped[int] = mapped_column(Integer, default=0)
    n_control_correct: Mapped[int] = mapped_column(Integer, default=0)
    n_fast: Mapped[int] = mapped_column(Integer, default=0)
    skip_streak: Mapped[int] = mapped_column(Integer, default=0)
    n_accepted: Mapped[int] = mapped_column(Integer, default=0)
    n_rejected: Mapped[int] = mapped_column(Integer, default=0)
    # From the last truth-inference fit (None before the first fit).
    accuracy: Mapped[float | None] = mapped_column(Float)
    accuracy_low: Mapped[float | None] = mapped_column(Float)
    accuracy_high: Mapped[float | None] = mapped_column(Float)
    agreement: Mapped[float | None] = mapped_column(Float)
    confusion: Mapped[list[Any] | None] = mapped_column(JSON)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    block_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventKind(enum.StrEnum):
    warn = "warn"
    block = "block"
    discard = "discard"
    unblock = "unblock"
    restore = "restore"


class QualityEvent(Base):
    """Every action a quality rule (or a requester) took, for the audit trail and undo."""

    __tablename__ = "quality_events"
    __table_args__ = (Index("ix_quality_events_project_worker", "project_id", "worker_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(Enum(EventKind, native_enum=False, length=16))
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reverted: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reverted_by: Mapped[int | None] = mapped_column(BigIntId)  # the user who undid it
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
