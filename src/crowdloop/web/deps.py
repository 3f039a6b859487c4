"""Web plumbing: templates, the session's user, CSRF, and the error-to-page route class."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from crowdloop.accounts import sessions
from crowdloop.accounts.models import Role, User

# one set of session dependencies for both adapters: the unit of work commits before the
# response is sent (scope="function"), so the next page always sees this request's writes
from crowdloop.api.deps import DbDep as DbDep
from crowdloop.api.deps import ReadSession as ReadSession
from crowdloop.api.deps import SettingsDep as SettingsDep
from crowdloop.api.deps import WriteSession as WriteSession
from crowdloop.errors import Busy, CrowdloopError, NotAuthenticated, PermissionDenied
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.web.markup import money, render_markdown

HERE = Path(__file__).resolve().parent


class LoginRequired(Exception):
    """No valid session: send the browser to the sign-in page (saying why, if expired)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "missing")
        self.expired = expired


class CsrfFailed(CrowdloopError):
    status_code = 403


def _context(request: Request) -> dict[str, Any]:
    return {
        "me": getattr(request.state, "user", None),
        "csrf": getattr(request.state, "csrf", ""),
    }


templates = Jinja2Templates(directory=HERE / "templates", context_processors=[_context])
templates.env.filters["money"] = money
templates.env.filters["markdown"] = render_markdown


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context or {}, status_code=status)


def is_fragment(request: Request) -> bool:
    """True for the page's own fetch() calls, which want an HTML fragment, not a page."""
    return request.headers.get("x-requested-with") == "fetch"


def web_user(request: Request, db: DbDep) -> User:
    """The signed-in user, from the session cookie's server-side session; LoginRequired
    when there is none, or it was ended or expired."""
    raw = request.cookies.get(cookies.COOKIE)
    if not raw:
        raise LoginRequired(expired=False)
    with unit_of_work(db, write=False) as session:
        try:
            live = sessions.resolve(session, raw)
        except sessions.SessionExpired as exc:
            raise LoginRequired(expired=True) from exc
        except NotAuthenticated as exc:
            raise LoginRequired(expired=False) from exc
        session.expunge(live.user)
    if live.stale(utcnow()):
        _touch(db, live)
    request.state.user = live.user
    request.state.csrf = live.csrf
    return live.user


def _touch(db: Database, live: sessions.LiveSession) -> None:
    """Record that the session was seen (at most every few minutes); a busy writer just
    skips it: it is bookkeeping, not worth failing a page for."""
    try:
        with unit_of_work(db) as session:
            sessions.touch(session, live)
    except Busy:
        return


WebUser = Annotated[User, Depends(web_user)]


async def sent_csrf(request: Request) -> str:
    """The CSRF token a POST carries, as an X-CSRF-Token header or a ``csrf`` field."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    return sent or ""


async def csrf_checked(request: Request, user: WebUser) -> User:
    """Every POST of a signed-in page carries its session's CSRF token."""
    sent = await sent_csrf(request)
    if not sent or not hmac.compare_digest(sent, request.state.csrf):
        raise CsrfFailed("the form is out of date (CSRF check failed): reload the page and retry")
    return user


PostingUser = Annotated[User, Depends(csrf_checked)]


def require_role(user: User, *roles: Role) -> None:
    if user.role not in roles:
        names = " or ".join(r.value for r in roles)
        raise PermissionDenied(f"this page is for the {names} role; you are {user.role.value}")


def _login_redirect(request: Request, exc: LoginRequired) -> Response:
    target = "/login?next=" + quote(request.url.path)
    if exc.expired:
        target += "&expired=1"
    if is_fragment(request):
        return Response(status_code=401, headers={"X-Login": target})
    return RedirectResponse(target, status_code=303)


def _error_page(request: Request, exc: CrowdloopError) -> Response:
    context = {"title": type(exc).__name__, "detail": exc.detail, "status": exc.status_code}
    name = "errors/_message.html" if is_fragment(request) else "errors/error.html"
    return render(request, name, context, status=exc.status_code)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class WebRoute(APIRoute):
    """Routes that answer with pages: domain errors become error pages, not JSON."""

    def get_route_handler(self) -> Handler:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                response = await inner(request)
            except LoginRequired as exc:
                response = _login_redirect(request, exc)
            except CrowdloopError as exc:
                response = _error_page(request, exc)
            return response

        return handler


async def _form(request: Request) -> AsyncIterator[FormData]:
    """The parsed form; uploaded files are closed when the response is done."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


FormDep = Annotated[FormData, Depends(_form)]
