"""One row per security-relevant action."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crowdloop.storage.base import Base, BigIntId
from crowdloop.storage.types import UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    login_succeeded = "login.succeeded"
    login_failed = "login.failed"
    login_locked = "login.locked"
    logout = "logout"
    user_created = "user.created"
    user_updated = "user.updated"
    user_forgotten = "user.forgotten"
    token_issued = "token.issued"
    token_revoked = "token.revoked"
    export_downloaded = "export.downloaded"
    quality_blocked = "quality.blocked"
    quality_reverted = "quality.reverted"


class AuditEntry(Base):
    """``actor_id`` is who acted (None: the CLI operator, the system, or an unknown
    username); ``subject_type``/``subject_id`` what it was done to."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
