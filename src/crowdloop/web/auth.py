"""Sign in, sign out and the role-aware home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.errors import NotAuthenticated, PermissionDenied
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.web.deps import DbDep, PostingUser, SettingsDep, WebRoute, WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

HOMES = {
    Role.worker: "/work",
    Role.requester: "/console",
    Role.reviewer: "/console",
    Role.admin: "/console",
}


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback


@router.get("/")
def home(user: WebUser) -> RedirectResponse:
    return RedirectResponse(HOMES[user.role], status_code=303)


@router.get("/login")
def login_form(
    request: Request, next: str = "", expired: bool = False, bye: bool = False
) -> Response:
    notice = None
    if expired:
        notice = "Your session expired. Please sign in again."
    elif bye:
        notice = "You are signed out."
    return render(request, "auth/login.html", {"next": next, "notice": notice, "username": ""})


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        with unit_of_work(db, write=False) as session:
            user = accounts.authenticate(session, username.strip(), password)
    except (NotAuthenticated, PermissionDenied) as exc:
        context = {"next": next, "error": exc.detail, "username": username}
        return render(request, "auth/login.html", context, status=exc.status_code)
    response = RedirectResponse(safe_next(next, HOMES[user.role]), status_code=303)
    value = cookies.dumps(cookies.new_session(user.id), settings.secret_key)
    response.set_cookie(
        cookies.COOKIE,
        value,
        max_age=cookies.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(_: PostingUser) -> Response:
    response = RedirectResponse("/login?bye=1", status_code=303)
    response.delete_cookie(cookies.COOKIE)
    return response
