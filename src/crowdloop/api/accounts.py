from __future__ import annotations

from fastapi import APIRouter, status

from crowdloop.accounts import service
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import (
    TokenCreate,
    TokenIssued,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from crowdloop.api.deps import CurrentAdmin, CurrentUser, PathId, ReadSession, WriteSession

router = APIRouter(tags=["accounts"])


@router.post("/auth/token", response_model=TokenIssued, status_code=status.HTTP_201_CREATED)
def login(body: TokenCreate, session: WriteSession) -> TokenIssued:
    """Exchange a username and password for a new bearer token."""
    user = service.authenticate(session, body.username, body.password)
    token, plain = service.issue_token(session, user, name=body.name)
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=plain)


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
def create_user(body: UserCreate, _: CurrentAdmin, session: WriteSession) -> UserRead:
    return UserRead.model_validate(service.create_user(session, body))


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    user_id: PathId, body: UserUpdate, _: CurrentAdmin, session: WriteSession
) -> UserRead:
    user = service.get_user(session, user_id)
    return UserRead.model_validate(service.update_user(session, user, body))


@router.post("/users/{user_id}/tokens", response_model=TokenIssued, status_code=201)
def issue_for(user_id: PathId, _: CurrentAdmin, session: WriteSession) -> TokenIssued:
    """Admin: issue a token for another user (e.g. a worker without a password login)."""
    token, plain = service.issue_token(session, service.get_user(session, user_id), name="admin")
    return TokenIssued(**TokenRead.model_validate(token).model_dump(), token=plain)
