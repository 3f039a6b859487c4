from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from itertools import count

from sqlalchemy.orm import Session

from crowdloop.accounts import service, sessions
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.security import hash_password

_seq = count(1)
PASSWORD = "correct horse battery"


@cache
def _password_hash() -> str:
    # argon2 is slow on purpose; hash the shared test password once per run.
    return hash_password(PASSWORD)


def make_user(
    session: Session,
    *,
    role: Role = Role.worker,
    username: str | None = None,
    skills: list[str] | None = None,
) -> User:
    user = User(
        username=username or f"{role.value}{next(_seq)}",
        password_hash=_password_hash(),
        role=role,
        skills=sorted(skills or []),
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user


def make_token(session: Session, user: User) -> str:
    return service.issue_token(session, user)[1]


def make_web_session(
    session: Session, user: User, *, hours: float = 12, now: datetime | None = None
) -> str:
    """A server-side web session for ``user``; returns the cookie value (no argon2)."""
    return sessions.start(session, user, lifetime=timedelta(hours=hours), now=now)[1]
