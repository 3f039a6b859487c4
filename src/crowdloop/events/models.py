"""The outbox (``events``) and each after-commit subscriber's progress on each event."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class Event(Base):
    """One fact, written in the transaction that caused it. ``id`` is monotonic per
    database and is the cursor of live pages (SSE ``Last-Event-ID``)."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_pending", "dispatched_at", "id"),
        Index("ix_events_project", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    # Plain ids, no foreign keys: an event outlives nothing it names, and the hot path
    # should not pay for checks.
    project_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class HandlingStatus(enum.StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"  # parked after its last attempt; `crowdloop jobs retry` re-arms it


class EventHandling(Base):
    """A subscriber's work on one event: retried with backoff, then parked as failed."""

    __tablename__ = "event_handlings"
    __table_args__ = (
        UniqueConstraint("event_id", "subscriber", name="uq_event_handlings_event_subscriber"),
        Index("ix_event_handlings_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    subscriber: Mapped[str] = mapped_column(String(64))
    status: Mapped[HandlingStatus] = mapped_column(
        Enum(HandlingStatus, native_enum=False, length=16), default=HandlingStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
