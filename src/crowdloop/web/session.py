"""The browser's cookies: the session token, and the sign-in form's CSRF pair.

``crowdloop_session`` carries a random token naming a server-side session
(:mod:`crowdloop.accounts.sessions`); it is HttpOnly, SameSite=Lax, and Secure in prod or
over https (``CROWDLOOP_COOKIE_SECURE`` decides otherwise). Nothing in it is signed, so
no secret, leaked or published, can forge one.

The sign-in form has no session yet: ``GET /login`` sets ``crowdloop_login`` to a random
nonce and the form carries an HMAC of it keyed with the server secret; ``POST /login``
needs both (a cross-site page can neither read the nonce nor compute the MAC).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from fastapi import Request, Response

from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.instance import generated_secret
from crowdloop.storage.uow import unit_of_work

COOKIE = "crowdloop_session"
LOGIN_COOKIE = "crowdloop_login"
LOGIN_COOKIE_SECONDS = 24 * 3600


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def server_secret(request: Request) -> str:
    """``CROWDLOOP_SECRET_KEY``, or (dev and test) the install's generated secret, read
    from the database once per app."""
    secret = _settings(request).secret_key or getattr(request.app.state, "generated_secret", "")
    if not secret:
        db: Database = request.app.state.db
        with unit_of_work(db) as session:
            secret = generated_secret(session)
        request.app.state.generated_secret = secret
    return secret


def secure(request: Request) -> bool:
    decided = _settings(request).secure_cookies
    return decided if decided is not None else request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str, seconds: int) -> None:
    response.set_cookie(
        COOKIE, token, max_age=seconds, httponly=True, samesite="lax", secure=secure(request)
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=secure(request))


def _mac(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def login_form_token(request: Request) -> tuple[str, str]:
    """The sign-in form's (nonce, token): the browser's nonce if it has a sound one,
    else a new one (to set with :func:`keep_login_nonce`)."""
    nonce = request.cookies.get(LOGIN_COOKIE) or ""
    if not 16 <= len(nonce) <= 64:
        nonce = secrets.token_urlsafe(24)
    return nonce, _mac(server_secret(request), nonce)


def keep_login_nonce(request: Request, response: Response, nonce: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=LOGIN_COOKIE_SECONDS,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=secure(request),
    )


def login_form_ok(request: Request, sent: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE)
    if not nonce or not sent:
        return False
    return hmac.compare_digest(sent, _mac(server_secret(request), nonce))
