"""Request-scoped dependencies: database sessions (unit of work) and the current user.

Session dependencies use ``scope="function"``: the unit of work commits before the response
is sent, so a client never gets a 200 for a write that then fails to commit, and its next
request always sees its previous one (read-your-writes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.config import Settings
from crowdloop.errors import NotAuthenticated, PermissionDenied
from crowdloop.storage.base import INT64_MAX
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

_bearer = HTTPBearer(auto_error=False)


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

# Ids in paths and queries: what the database's 64-bit keys hold (larger is 422, not a 500).
PathId = Annotated[int, Path(ge=1, le=INT64_MAX, description="A 64-bit id.")]
QueryId = Annotated[int | None, Query(ge=1, le=INT64_MAX, description="A 64-bit id.")]
Cursor = Annotated[
    int, Query(ge=0, le=INT64_MAX, description="Cursor: return items with id greater than this.")
]


def write_session(db: DbDep) -> Iterator[Session]:
    with unit_of_work(db, write=True) as session:
        yield session


def read_session(db: DbDep) -> Iterator[Session]:
    with unit_of_work(db, write=False) as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session, scope="function")]
ReadSession = Annotated[Session, Depends(read_session, scope="function")]


def token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None:
        raise NotAuthenticated("missing bearer token: send 'Authorization: Bearer <token>'")
    return credentials.credentials


def user_in(session: Session, credentials: HTTPAuthorizationCredentials | None) -> User:
    """Authenticate inside an already open unit of work (one round trip for hot paths)."""
    return accounts.user_for_token(session, token_of(credentials))


def worker_in(session: Session, credentials: HTTPAuthorizationCredentials | None) -> User:
    user = user_in(session, credentials)
    if user.role != Role.worker:
        raise PermissionDenied("worker role required")
    return user


def current_user(db: DbDep, credentials: Credentials) -> User:
    with unit_of_work(db, write=False) as session:
        user = user_in(session, credentials)
        session.expunge(user)
        return user


def current_admin(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != Role.admin:
        raise PermissionDenied("admin role required")
    return user


def current_worker(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != Role.worker:
        raise PermissionDenied("worker role required")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
CurrentAdmin = Annotated[User, Depends(current_admin)]
CurrentWorker = Annotated[User, Depends(current_worker)]
