"""Sign in, sign out and the role-aware home page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from crowdloop.accounts import sessions
from crowdloop.accounts.models import Role, User
from crowdloop.api.login import client_address, sign_in
from crowdloop.errors import NotAuthenticated, PermissionDenied, TooManyAttempts
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.web.deps import DbDep, PostingUser, SettingsDep, WebRoute, WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
STALE_FORM = "The sign-in form was out of date (CSRF check failed): please sign in again."

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


def _login_page(
    request: Request, context: dict[str, Any], *, status: int = 200, retry_after: int = 0
) -> Response:
    """The sign-in form, with its CSRF pair: the nonce cookie and the form's token."""
    nonce, token = cookies.login_form_token(request)
    request.state.csrf = token
    full = {"next": "", "notice": None, "username": "", **context}
    response = render(request, "auth/login.html", full, status=status)
    cookies.keep_login_nonce(request, response, nonce)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/login")
def login_form(
    request: Request, next: str = "", expired: bool = False, bye: bool = False
) -> Response:
    notice = None
    if expired:
        notice = "Your session expired. Please sign in again."
    elif bye:
        notice = "You are signed out."
    return _login_page(request, {"next": next, "notice": notice})


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Sign in: the form's CSRF pair first, then throttled credentials (one message for an
    unknown username and a wrong password), then a new server-side session."""
    kept = {"next": next, "username": username}
    if not cookies.login_form_ok(request, csrf):
        return _login_page(request, {**kept, "error": STALE_FORM}, status=403)
    lifetime = timedelta(hours=settings.session_hours)

    def start(session: Session, user: User) -> tuple[str, Role]:
        agent = request.headers.get("user-agent")
        return sessions.start(session, user, lifetime=lifetime, user_agent=agent)[1], user.role

    try:
        token, role = sign_in(
            db, settings, request, (username.strip(), password), via="web", then=start
        )
    except (NotAuthenticated, PermissionDenied, TooManyAttempts) as exc:
        wait = exc.retry_after if isinstance(exc, TooManyAttempts) else 0
        context = {**kept, "error": exc.detail}
        return _login_page(request, context, status=exc.status_code, retry_after=wait)
    response = RedirectResponse(safe_next(next, HOMES[role]), status_code=303)
    cookies.set_session_cookie(request, response, token, int(lifetime.total_seconds()))
    response.delete_cookie(cookies.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, _: PostingUser, db: DbDep) -> Response:
    """Sign out: the session ends on the server (the cookie alone would open nothing)."""
    token = request.cookies.get(cookies.COOKIE, "")
    with unit_of_work(db) as session:
        sessions.end(session, token, ip=client_address(request))
    response = RedirectResponse("/login?bye=1", status_code=303)
    cookies.clear_session_cookie(request, response)
    return response
