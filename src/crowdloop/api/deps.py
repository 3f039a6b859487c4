"""Request-scoped dependencies: database sessions (unit of work) and the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.config import Settings
from crowdloop.errors import NotAuthenticated, PermissionDenied
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

_bearer = HTTPBearer(auto_error=False)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def write_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    with unit_of_work(db, write=True) as session:
        yield session


def read_session(db: Annotated[Database, Depends(get_db)]) -> Iterator[Session]:
    with unit_of_work(db, write=False) as session:
        yield session


WriteSession = Annotated[Session, Depends(write_session)]
ReadSession = Annotated[Session, Depends(read_session)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _user(db: Database, credentials: HTTPAuthorizationCredentials | None) -> User:
    if credentials is None:
        raise NotAuthenticated("missing bearer token: send 'Authorization: Bearer <token>'")
    with unit_of_work(db, write=False) as session:
        user = accounts.user_for_token(session, credentials.credentials)
        session.expunge(user)
        return user


def current_user(db: DbDep, credentials: Credentials) -> User:
    return _user(db, credentials)


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
