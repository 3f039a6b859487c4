"""Admin pages (users and roles, forgetting a user) and everyone's own API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.schemas import UserCreate, UserUpdate
from crowdloop.errors import Conflict, InvalidInput
from crowdloop.web.deps import (
    FormDep,
    PostingUser,
    ReadSession,
    WebRoute,
    WebUser,
    WriteSession,
    render,
    require_role,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
ROLES = [r.value for r in Role]


def _users_page(
    request: Request, session: Session, context: dict[str, Any], *, status: int = 200
) -> Response:
    users = accounts.list_users(session)
    values = context.pop("values", {"username": "", "role": "worker"})
    full = {"users": users, "roles": ROLES, "errors": {}, "values": values, **context}
    return render(request, "admin/users.html", full, status=status)


@router.get("/admin/users")
def users(request: Request, user: WebUser, session: ReadSession) -> Response:
    require_role(user, Role.admin)
    return _users_page(request, session, {"saved": request.query_params.get("saved")})


@router.post("/admin/users")
def create_user(
    request: Request, user: PostingUser, session: WriteSession, form: FormDep
) -> Response:
    require_role(user, Role.admin)
    values = {k: str(form.get(k) or "").strip() for k in ("username", "password", "role", "email")}
    values["password"] = str(form.get("password") or "")
    try:
        data = UserCreate.model_validate({k: v for k, v in values.items() if v != ""})
        accounts.create_user(session, data, by=user)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e["loc"]}
        return _users_page(request, session, {"errors": errors, "values": values}, status=422)
    except Conflict as exc:
        errors = {"username": exc.detail}
        return _users_page(request, session, {"errors": errors, "values": values}, status=409)
    return RedirectResponse(f"/admin/users?saved={data.username}", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user(user_id: int, user: PostingUser, session: WriteSession, form: FormDep) -> Response:
    """Change a user's role or switch them on or off (not your own: no self lock-out)."""
    require_role(user, Role.admin)
    target = accounts.get_user(session, user_id)
    if target.id == user.id:
        raise InvalidInput("you cannot change your own role or deactivate yourself")
    role = str(form.get("role") or target.role.value)
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; choose one of {ROLES}")
    active = form.get("is_active") == "on"
    accounts.update_user(session, target, UserUpdate(role=Role(role), is_active=active), by=user)
    return RedirectResponse(f"/admin/users?saved={target.username}", status_code=303)


@router.get("/admin/users/{user_id}/forget")
def forget_form(request: Request, user_id: int, user: WebUser, session: ReadSession) -> Response:
    """Ask before erasing: what goes, what stays."""
    require_role(user, Role.admin)
    target = accounts.get_user(session, user_id)
    return render(request, "admin/forget.html", {"target": target})


@router.post("/admin/users/{user_id}/forget")
def forget(user_id: int, user: PostingUser, session: WriteSession) -> Response:
    """Erase the user's personal data on their request; their answers stay, anonymous."""
    require_role(user, Role.admin)
    target = accounts.forget_user(session, accounts.get_user(session, user_id), by=user)
    return RedirectResponse(f"/admin/users?saved={target.username}", status_code=303)


def _tokens_page(
    request: Request, session: Session, owner: User, issued: str | None = None
) -> Response:
    tokens = accounts.list_tokens(session, owner)
    return render(
        request, "admin/tokens.html", {"owner": owner, "tokens": tokens, "issued": issued}
    )


@router.get("/account/tokens")
def my_tokens(request: Request, user: WebUser, session: ReadSession) -> Response:
    return _tokens_page(request, session, user)


@router.post("/account/tokens")
def issue_token(
    request: Request, user: PostingUser, session: WriteSession, form: FormDep
) -> Response:
    """A new token for yourself; its value is shown on this page once and never again."""
    name = str(form.get("name") or "").strip() or "web"
    if len(name) > 100:
        raise InvalidInput("the token name must be at most 100 characters")
    _, plain = accounts.issue_token(session, user, name=name)
    return _tokens_page(request, session, user, issued=plain)


@router.get("/admin/users/{user_id}/tokens")
def user_tokens(request: Request, user_id: int, user: WebUser, session: ReadSession) -> Response:
    require_role(user, Role.admin)
    return _tokens_page(request, session, accounts.get_user(session, user_id))


@router.post("/account/tokens/{token_id}/revoke")
def revoke(token_id: int, user: PostingUser, session: WriteSession) -> Response:
    token = accounts.revoke_token(session, user, token_id)
    back = "/account/tokens" if token.user_id == user.id else f"/admin/users/{token.user_id}/tokens"
    return RedirectResponse(back, status_code=303)
