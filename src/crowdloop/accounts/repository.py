from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from crowdloop.accounts.models import ApiToken, LoginThrottle, User, WebSession
from crowdloop.storage.dialect import insert_if_absent


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session, *, role: str | None = None) -> Sequence[User]:
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    return session.scalars(query).all()


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


_USER_BY_TOKEN = (  # built once: every API request runs it
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked.is_(False))
    .where(User.is_active.is_(True))
)


def user_by_token_hash(session: Session, token_hash: str) -> User | None:
    """The active user behind a live token, in one query."""
    return session.scalar(_USER_BY_TOKEN, {"token_hash": token_hash})


def list_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(User.id, User.username).where(User.id.in_(ids)))
    return {int(row[0]): str(row[1]) for row in rows}


def delete_tokens(session: Session, user_id: int) -> None:
    session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))


# web sessions


def session_with_user(session: Session, token_hash: str) -> tuple[WebSession, User] | None:
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == token_hash)
    ).first()
    return None if row is None else (row[0], row[1])


def get_web_session(session: Session, token_hash: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


def revoke_sessions(session: Session, user_id: int, now: datetime) -> int:
    done = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(done, "rowcount", 0) or 0)


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    session.execute(update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now))


def delete_dead_sessions(session: Session, user_id: int, before: datetime) -> None:
    """The user's sessions that expired or were ended before ``before``."""
    dead = or_(WebSession.expires_at < before, WebSession.revoked_at < before)
    session.execute(delete(WebSession).where(WebSession.user_id == user_id, dead))


def delete_ended_sessions(session: Session, before: datetime) -> int:
    """Every user's sessions that expired or were ended before ``before``."""
    dead = or_(WebSession.expires_at < before, WebSession.revoked_at < before)
    return _rowcount(session.execute(delete(WebSession).where(dead)))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def delete_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


# sign-in throttling


def throttles(session: Session, keys: list[str]) -> Sequence[LoginThrottle]:
    return session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()


def throttle_for_update(session: Session, key: str, fresh: dict[str, Any]) -> LoginThrottle:
    """The key's row, created if absent, locked for this transaction (PostgreSQL)."""
    insert_if_absent(session, LoginThrottle, {"key": key, **fresh})
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def delete_throttles(session: Session, keys: list[str]) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def delete_stale_throttles(session: Session, before: datetime) -> int:
    stale = LoginThrottle.last_failure_at < before
    unlocked = or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < before)
    return _rowcount(session.execute(delete(LoginThrottle).where(stale, unlocked)))
