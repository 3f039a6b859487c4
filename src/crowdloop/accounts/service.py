"""Accounts: create users, authenticate, issue and check API tokens."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from crowdloop.accounts import repository
from crowdloop.accounts.models import ApiToken, Role, User
from crowdloop.accounts.schemas import UserCreate, UserUpdate
from crowdloop.accounts.security import hash_password, hash_token, new_token, verify_password
from crowdloop.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied


def create_user(session: Session, data: UserCreate) -> User:
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
    return user


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


def list_users(session: Session, *, role: Role | None = None) -> Sequence[User]:
    return repository.list_users(session, role=role)


def update_user(session: Session, user: User, data: UserUpdate) -> User:
    if data.email is not None:
        user.email = data.email
    if data.skills is not None:
        user.skills = sorted(set(data.skills))
    if data.is_active is not None:
        user.is_active = data.is_active
    if data.role is not None:
        user.role = data.role
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = repository.get_user_by_username(session, username)
    if user is None or not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong username or password")
    if not user.is_active:
        raise PermissionDenied(f"user {username!r} is deactivated")
    return user


def issue_token(session: Session, user: User, *, name: str = "default") -> tuple[ApiToken, str]:
    """Create a token; return the row and the plain token (never stored)."""
    plain = new_token()
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:10], revoked=False
    )
    session.add(token)
    session.flush()
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
    token.revoked = True
    session.flush()
    return token
