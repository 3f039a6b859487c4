"""Web sessions kept on the server: start at sign-in, resolve per request, end at sign-out.

The browser's cookie holds a random token (256 bits); the database holds its SHA-256,
the user, the CSRF token of the session's forms, and when it was made, last seen, ends
and was revoked. Signing out, a change of role, deactivation, a new password or
forgetting the user revoke the sessions at once, in every server process.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from crowdloop.accounts import repository
from crowdloop.accounts.models import User, WebSession
from crowdloop.accounts.security import hash_token
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import NotAuthenticated
from crowdloop.storage.types import utcnow

# last_seen_at is written at most this often per session (a page view is not a write).
TOUCH_EVERY = timedelta(minutes=5)
# Ended sessions are kept this long (who was signed in when), then deleted at sign-in.
KEEP_ENDED = timedelta(days=30)
USER_AGENT_LENGTH = 255


class SessionExpired(NotAuthenticated):
    """The session reached its end of life: sign in again."""


@dataclass(frozen=True)
class LiveSession:
    id: int
    user: User
    csrf: str
    last_seen_at: datetime

    def stale(self, now: datetime) -> bool:
        return now - self.last_seen_at >= TOUCH_EVERY


def start(
    session: Session,
    user: User,
    *,
    lifetime: timedelta,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> tuple[WebSession, str]:
    """A new session for ``user``; returns the row and the cookie token (never stored)."""
    moment = now or utcnow()
    repository.delete_dead_sessions(session, user.id, moment - KEEP_ENDED)
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf=secrets.token_urlsafe(24),
        created_at=moment,
        last_seen_at=moment,
        expires_at=moment + lifetime,
        revoked_at=None,
        user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
    )
    session.add(row)
    session.flush()
    return row, token


def resolve(session: Session, token: str, *, now: datetime | None = None) -> LiveSession:
    """The live session of a cookie token. NotAuthenticated when it is unknown, ended or
    its user is deactivated; SessionExpired when it ran out."""
    found = repository.session_with_user(session, hash_token(token))
    if found is None:
        raise NotAuthenticated("no such session")
    row, user = found
    if row.revoked_at is not None or not user.is_active:
        raise NotAuthenticated("the session was ended")
    if row.expires_at <= (now or utcnow()):
        raise SessionExpired("the session expired")
    return LiveSession(id=row.id, user=user, csrf=row.csrf, last_seen_at=row.last_seen_at)


def prune(session: Session, now: datetime) -> int:
    """Delete every session that ended more than ``KEEP_ENDED`` ago (housekeeping job)."""
    return repository.delete_ended_sessions(session, now - KEEP_ENDED)


def touch(session: Session, live: LiveSession, *, now: datetime | None = None) -> None:
    repository.touch_session(session, live.id, now or utcnow())


def end(
    session: Session, token: str, *, ip: str | None = None, now: datetime | None = None
) -> WebSession | None:
    """Sign-out: revoke the cookie's session (audited); None when there was none."""
    row = repository.get_web_session(session, hash_token(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.flush()
        subject = ("session", row.id)
        audit.record(session, AuditAction.logout, actor_id=row.user_id, subject=subject, ip=ip)
    return row


def revoke_all(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """End every live session of the user; returns how many there were."""
    return repository.revoke_sessions(session, user_id, now or utcnow())
