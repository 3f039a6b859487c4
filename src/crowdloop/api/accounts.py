from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from crowdloop.accounts import service
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.schemas import (
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from crowdloop.api.deps import (
    CurrentAdmin,
    CurrentUser,
    DbDep,
    PathId,
    ReadSession,
    SettingsDep,
    WriteSession,
)
from crowdloop.api.login import sign_in

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/token",
    response_model=TokenIssued,
    status_code=status.HTTP_201_CREATED,
    responses={429: {"description": "Too many failed sign-ins: locked, see Retry-After."}},
)
def login(body: TokenCreate, request: Request, db: DbDep, settings: SettingsDep) -> TokenIssued:
    """Exchange a username and password for a new bearer token. Throttled like the web
    sign-in: repeated failures lock the username and the client address for a while."""

    def issue(session: Session, user: User) -> TokenIssued:
        token, plain = service.issue_token(session, user, name=body.name)
        return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=plain)

    credentials = (body.username, body.password)
    return sign_in(db, settings, request, credentials, via="api", then=issue)


@router.get("/me", response_model=UserRead)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.get("/me/tokens", response_model=list[TokenRead])
def my_tokens(user: CurrentUser, session: ReadSession) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in service.list_tokens(session, user)]


@router.delete("/me/tokens/{token_id}", response_model=TokenRead)
def revoke(token_id: PathId, user: CurrentUser, session: WriteSession) -> TokenRead:
    return TokenRead.model_validate(service.revoke_token(session, user, token_id))


@router.get("/users", response_model=list[UserRead])
def list_users(_: CurrentAdmin, session: ReadSession, role: Role | None = None) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in service.list_users(session, role=role)]


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, admin: CurrentAdmin, session: WriteSession) -> UserRead:
    return UserRead.model_validate(service.create_user(session, body, by=admin))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    user_id: PathId, body: UserUpdate, admin: CurrentAdmin, session: WriteSession
) -> UserRead:
    """Change a user; a new role, deactivation or a new password ends their web sessions."""
    user = service.get_user(session, user_id)
    return UserRead.model_validate(service.update_user(session, user, body, by=admin))


@router.post("/users/{user_id}/tokens", response_model=TokenIssued, status_code=201)
def issue_for(user_id: PathId, admin: CurrentAdmin, session: WriteSession) -> TokenIssued:
    """Admin: issue a token for another user (e.g. a worker without a password login)."""
    owner = service.get_user(session, user_id)
    token, plain = service.issue_token(session, owner, name="admin", by=admin)
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=plain)


@router.post("/users/{user_id}/forget", response_model=UserRead)
def forget(user_id: PathId, admin: CurrentAdmin, session: WriteSession) -> UserRead:
    """Admin: erase a user's personal data on their request (name, e-mail, password,
    skills, tokens, sessions, sign-in addresses). Their answers stay, under an anonymous
    name, so results stay valid; the account can never sign in again."""
    user = service.get_user(session, user_id)
    return UserRead.model_validate(service.forget_user(session, user, by=admin))
