"""Accounts: create and change users, issue and check API tokens, forget a user.

Every change is written to the audit log in the same transaction; ``by`` is who acted
(None or the CLI's operator: recorded without an actor).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from sqlalchemy.orm import Session

from crowdloop.accounts import repository, sessions, signin, throttle
from crowdloop.accounts.models import ApiToken, Role, User
from crowdloop.accounts.schemas import UserCreate, UserUpdate
from crowdloop.accounts.security import hash_password, hash_token, new_token
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied
from crowdloop.storage.types import utcnow

# A password hash no password matches: the marker of a forgotten user.
NO_PASSWORD = "!"
# Changes that end the user's web sessions at once.
SESSION_ENDING = frozenset({"role", "is_active", "password"})


def _actor(by: User | None) -> int | None:
    return by.id if by is not None else None


def create_user(session: Session, data: UserCreate, *, by: User | None = None) -> User:
    if repository.get_user_by_username(session, data.username) is not None:
        raise Conflict(f"username {data.username!r} is already taken")
    user = User(
        username=data.username,
        email=data.email,
        password_hash=hash_password(data.password),
        role=data.role,
        skills=sorted(set(data.skills)),
        is_active=True,
    )
    session.add(user)
    session.flush()
    detail = {"role": user.role.value}
    audit.record(
        session, AuditAction.user_created, actor_id=_actor(by), subject=_of(user), detail=detail
    )
    return user


def _of(user: User) -> tuple[str, int]:
    return ("user", user.id)


def get_user(session: Session, user_id: int) -> User:
    user = repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def get_user_by_username(session: Session, username: str) -> User:
    user = repository.get_user_by_username(session, username)
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


def usernames(session: Session, ids: set[int]) -> dict[int, str]:
    """id -> username for these ids (a forgotten user shows their anonymous name)."""
    return repository.usernames(session, ids) if ids else {}


def list_users(session: Session, *, role: Role | None = None) -> Sequence[User]:
    return repository.list_users(session, role=role)


def update_user(session: Session, user: User, data: UserUpdate, *, by: User | None = None) -> User:
    """Change a user. A new role, (de)activation or a new password ends their web
    sessions, so the change holds from their next request on."""
    if user.forgotten_at is not None:
        raise Conflict(f"user {user.id} was forgotten: their account cannot be changed")
    changed = _apply(user, data)
    session.flush()
    if SESSION_ENDING & set(changed):
        sessions.revoke_all(session, user.id)
    if changed:
        detail: dict[str, object] = {"fields": changed}
        if "role" in changed:
            detail["role"] = user.role.value
        if "is_active" in changed:
            detail["is_active"] = user.is_active
        audit.record(
            session, AuditAction.user_updated, actor_id=_actor(by), subject=_of(user), detail=detail
        )
    return user


def _apply(user: User, data: UserUpdate) -> list[str]:
    """Set what ``data`` changes; the names of the fields that really changed."""
    wanted: dict[str, object] = {
        "email": data.email,
        "skills": None if data.skills is None else sorted(set(data.skills)),
        "is_active": data.is_active,
        "role": data.role,
    }
    changed = [k for k, v in wanted.items() if v is not None and v != getattr(user, k)]
    for name in changed:
        setattr(user, name, wanted[name])
    if data.password is not None:
        user.password_hash = hash_password(data.password)
        changed.append("password")
    return changed


def authenticate(session: Session, username: str, password: str) -> User:
    """The user behind a username and password; the same error for an unknown username
    and a wrong password, after the same work (one argon2 run)."""
    return signin.authenticate(session, username, password)


def issue_token(
    session: Session, user: User, *, name: str = "default", by: User | None = None
) -> tuple[ApiToken, str]:
    """Create a token; return the row and the plain token (never stored)."""
    plain = new_token()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:10], revoked=False
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        AuditAction.token_issued,
        actor_id=_actor(by) if by is not None else user.id,
        subject=("token", token.id),
        detail={"user_id": user.id},
    )
    return token, plain


def user_for_token(session: Session, plain: str) -> User:
    user = repository.user_by_token_hash(session, hash_token(plain))
    if user is None:
        raise NotAuthenticated("invalid or revoked API token, or deactivated user")
    return user


def list_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    return repository.list_tokens(session, user.id)


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != user.id and user.role != Role.admin):
        raise NotFound(f"token {token_id} not found")
    if not token.revoked:
        token.revoked = True
        session.flush()
        audit.record(
            session,
            AuditAction.token_revoked,
            actor_id=_actor(user),
            subject=("token", token.id),
            detail={"user_id": token.user_id},
        )
    return token


def forget_user(session: Session, user: User, *, by: User | None = None) -> User:
    """Erase a user's personal data on their request. The row stays under an anonymous
    name, so their answers (and the results built on them) stay valid; the name, e-mail,
    password, skills, API tokens, web sessions, sign-in counts and the client addresses
    in the audit log go. The account can never sign in again."""
    if by is not None and by.id == user.id:
        raise PermissionDenied("you cannot forget your own account; ask another admin")
    if user.forgotten_at is not None:
        raise Conflict(f"user {user.id} is already forgotten")
    throttle.forget(session, user.username)
    user.username = f"forgotten-{secrets.token_hex(6)}"
    user.email, user.password_hash, user.skills = None, NO_PASSWORD, []
    user.is_active, user.forgotten_at = False, utcnow()
    repository.delete_tokens(session, user.id)
    repository.delete_sessions(session, user.id)
    audit.forget_addresses(session, user.id)
    session.flush()
    audit.record(session, AuditAction.user_forgotten, actor_id=_actor(by), subject=_of(user))
    return user
