"""Web plumbing: templates, the signed-cookie user, CSRF, and the error-to-page route class."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User

# one set of session dependencies for both adapters: the unit of work commits before the
# response is sent (scope="function"), so the next page always sees this request's writes
from crowdloop.api.deps import DbDep as DbDep
from crowdloop.api.deps import ReadSession as ReadSession
from crowdloop.api.deps import SettingsDep as SettingsDep
from crowdloop.api.deps import WriteSession as WriteSession
from crowdloop.errors import CrowdloopError, NotFound, PermissionDenied
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.web.markup import money, render_markdown

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'self'; img-src 'self' data: http: https:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


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


def web_user(request: Request, db: DbDep, settings: SettingsDep) -> User:
    """The signed-in user, from the session cookie; LoginRequired when there is none."""
    raw = request.cookies.get(cookies.COOKIE)
    if not raw:
        raise LoginRequired(expired=False)
    try:
        found = cookies.loads(raw, settings.secret_key)
    except cookies.BadSession as exc:
        raise LoginRequired(expired=exc.expired) from exc
    with unit_of_work(db, write=False) as session:
        try:
            user = accounts.get_user(session, found.user_id)
        except NotFound as exc:
            raise LoginRequired(expired=False) from exc
        session.expunge(user)
    if not user.is_active:
        raise LoginRequired(expired=False)
    request.state.user = user
    request.state.csrf = found.csrf
    return user


WebUser = Annotated[User, Depends(web_user)]


async def csrf_checked(request: Request, user: WebUser) -> User:
    """POSTs carry the session's CSRF token, as a form field or an X-CSRF-Token header."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    if not sent or sent != request.state.csrf:
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
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
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
