from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from crowdloop.audit.models import AuditEntry
from crowdloop.audit.schemas import AuditFilter

USER = "user"


def entries(session: Session, query: AuditFilter) -> Sequence[AuditEntry]:
    found = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(query.limit)
    if query.action is not None:
        found = found.where(AuditEntry.action == query.action)
    if query.user_id is not None:
        about = and_(AuditEntry.subject_type == USER, AuditEntry.subject_id == query.user_id)
        found = found.where(or_(AuditEntry.actor_id == query.user_id, about))
    if query.before is not None:
        found = found.where(AuditEntry.id < query.before)
    return session.scalars(found).all()


def clear_addresses(session: Session, user_id: int) -> int:
    """Remove the client addresses of the user's own entries and of entries about them."""
    about = and_(AuditEntry.subject_type == USER, AuditEntry.subject_id == user_id)
    mine = or_(AuditEntry.actor_id == user_id, about)
    query = update(AuditEntry).where(mine, AuditEntry.ip.is_not(None)).values(ip=None)
    done = session.execute(query)
    return int(getattr(done, "rowcount", 0) or 0)
