"""Signed session cookies: ``{"uid", "iat", "csrf"}`` as base64 JSON plus an HMAC-SHA256.

The cookie holds no secrets and can be read by its owner; the signature (keyed with
``settings.secret_key``) stops anyone from forging or altering it. A session older than
``SESSION_SECONDS`` is refused as expired, and the user is asked to sign in again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

COOKIE = "crowdloop_session"
SESSION_SECONDS = 12 * 3600


class BadSession(Exception):
    """The cookie is forged, malformed or expired (``expired`` tells which)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class WebSession:
    user_id: int
    issued_at: int
    csrf: str


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def new_session(user_id: int, *, now: float | None = None) -> WebSession:
    issued = int(time.time() if now is None else now)
    return WebSession(user_id=user_id, issued_at=issued, csrf=secrets.token_urlsafe(16))


def dumps(session: WebSession, secret: str) -> str:
    body = {"uid": session.user_id, "iat": session.issued_at, "csrf": session.csrf}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_mac(secret, payload)}"


def loads(
    cookie: str, secret: str, *, max_age: int = SESSION_SECONDS, now: float | None = None
) -> WebSession:
    """Verify and decode a cookie; raise BadSession when it is forged or too old."""
    payload, _, mac = cookie.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise BadSession(expired=False)
    try:
        body = json.loads(_unb64(payload))
        session = WebSession(
            user_id=int(body["uid"]), issued_at=int(body["iat"]), csrf=str(body["csrf"])
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BadSession(expired=False) from exc
    current = time.time() if now is None else now
    if current - session.issued_at > max_age:
        raise BadSession(expired=True)
    return session
