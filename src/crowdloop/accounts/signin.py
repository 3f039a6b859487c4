"""Signing in, in two units of work, for the web form and the API token endpoint alike.

1. :func:`check` (a read unit): is the username or address locked? If not, verify the
   password: always exactly one argon2 run, against a dummy hash when the username is
   unknown, so the answer and its time tell nothing about which usernames exist.
2. :func:`settle` (a write unit, committed even when the sign-in failed): count the
   failure or clear the count, write the audit entry, and refuse a right password when
   concurrent failures locked the key in between.

argon2 runs outside the write transaction: a slow hash never holds SQLite's one writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from crowdloop.accounts import repository, security, throttle
from crowdloop.accounts.models import User
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import CrowdloopError, NotAuthenticated, PermissionDenied
from crowdloop.storage.types import utcnow

WRONG = "wrong username or password"


@dataclass(frozen=True)
class Attempt:
    """What the read phase found: never the password, only whether it matched."""

    username: str
    ip: str | None
    via: str
    user_id: int | None
    password_ok: bool
    locked_until: datetime | None


@dataclass(frozen=True)
class Outcome:
    user: User | None
    error: CrowdloopError | None


def password_matches(user: User | None, password: str) -> bool:
    """One argon2 verification whoever asks: the user's hash, or the dummy one."""
    usable = user is not None and security.is_usable(user.password_hash)
    stored = user.password_hash if user is not None and usable else security.dummy_hash()
    return security.verify_password(stored, password) and usable


def authenticate(session: Session, username: str, password: str) -> User:
    """The user behind a username and password (no throttling: see :func:`check`)."""
    user = repository.get_user_by_username(session, username)
    if not password_matches(user, password) or user is None:
        raise NotAuthenticated(WRONG)
    if not user.is_active:
        raise PermissionDenied(f"user {username!r} is deactivated")
    return user


def check(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str | None,
    via: str,
    policy: throttle.Policy,
    now: datetime | None = None,
) -> Attempt:
    moment = now or utcnow()
    user = repository.get_user_by_username(session, username)
    user_id = user.id if user is not None else None
    locked = throttle.locked_until(session, username, ip, policy=policy, now=moment)
    if locked is not None:  # no hash run: the lock, not the password, decides
        return Attempt(username, ip, via, user_id, False, locked)
    return Attempt(username, ip, via, user_id, password_matches(user, password), None)


def settle(
    session: Session, attempt: Attempt, *, policy: throttle.Policy, now: datetime | None = None
) -> Outcome:
    moment = now or utcnow()
    if attempt.locked_until is not None:
        _audit(session, AuditAction.login_locked, attempt)
        return Outcome(None, throttle.refusal(attempt.locked_until, moment))
    if not attempt.password_ok or attempt.user_id is None:
        return _failed(session, attempt, policy, moment)
    locked = throttle.locked_until(session, attempt.username, attempt.ip, policy=policy, now=moment)
    user = repository.get_user(session, attempt.user_id)
    if user is None:  # deleted in between
        return Outcome(None, NotAuthenticated(WRONG))
    if locked is not None:  # locked meanwhile by concurrent failures
        _audit(session, AuditAction.login_locked, attempt)
        return Outcome(None, throttle.refusal(locked, moment))
    if not user.is_active:
        _audit(session, AuditAction.login_failed, attempt, reason="deactivated")
        return Outcome(None, PermissionDenied(f"user {attempt.username!r} is deactivated"))
    throttle.record_success(session, attempt.username)
    _audit(session, AuditAction.login_succeeded, attempt)
    return Outcome(user, None)


def _failed(session: Session, attempt: Attempt, policy: throttle.Policy, now: datetime) -> Outcome:
    locked = throttle.record_failure(session, attempt.username, attempt.ip, policy=policy, now=now)
    reason = "wrong password" if attempt.user_id is not None else "unknown username"
    _audit(session, AuditAction.login_failed, attempt, reason=reason, locked=locked is not None)
    if locked is not None:
        return Outcome(None, throttle.refusal(locked, now))
    return Outcome(None, NotAuthenticated(WRONG))


def _audit(session: Session, action: AuditAction, attempt: Attempt, **detail: str | bool) -> None:
    """The typed username is never stored (it may be someone's password typed in the
    wrong field): a known user is named by id, an unknown one not at all. Only a
    successful sign-in has the user as its actor; a failed one is about them."""
    subject = ("user", attempt.user_id) if attempt.user_id is not None else None
    audit.record(
        session,
        action,
        actor_id=attempt.user_id if action == AuditAction.login_succeeded else None,
        subject=subject,
        ip=attempt.ip,
        detail={"via": attempt.via, **detail},
    )
