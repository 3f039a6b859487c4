"""Record and read audit entries; recording only flushes (the caller's unit commits)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.audit import repository
from crowdloop.audit.models import AuditAction, AuditEntry
from crowdloop.audit.schemas import AuditFilter
from crowdloop.storage.types import utcnow


def record(
    session: Session,
    action: AuditAction,
    *,
    actor_id: int | None,
    subject: tuple[str, int] | None = None,
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction. ``actor_id`` 0 (the CLI operator, who is
    not a stored user) is recorded as None; ``detail`` carries ids and small facts only."""
    entry = AuditEntry(
        created_at=utcnow(),
        action=action.value,
        actor_id=actor_id or None,
        subject_type=subject[0] if subject else None,
        subject_id=subject[1] if subject else None,
        ip=(ip or None) and ip[:45],
        detail=detail or {},
    )
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, query: AuditFilter | None = None) -> Sequence[AuditEntry]:
    return repository.entries(session, query or AuditFilter())


def forget_addresses(session: Session, user_id: int) -> int:
    """A forgotten user's client addresses go; the entries (ids and actions) stay."""
    return repository.clear_addresses(session, user_id)
