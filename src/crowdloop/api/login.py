"""Signing in at the edge, for the API token endpoint and the web form alike: the two
units of work of :mod:`crowdloop.accounts.signin` (argon2 in a read unit, then the
outcome committed in a write unit, failures included), then the adapter's own step
(issue a token, start a web session) in that same write unit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from fastapi import Request
from sqlalchemy.orm import Session

from crowdloop.accounts import signin, throttle
from crowdloop.accounts.models import User
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

T = TypeVar("T")


def policy_of(settings: Settings) -> throttle.Policy:
    lockout = timedelta(seconds=settings.login_lockout_seconds)
    return throttle.Policy(max_failures=settings.login_max_failures, lockout=lockout)


def client_address(request: Request) -> str | None:
    """The peer's address (behind a reverse proxy: uvicorn's --forwarded-allow-ips)."""
    return request.client.host if request.client is not None else None


def sign_in(
    db: Database,
    settings: Settings,
    request: Request,
    credentials: tuple[str, str],
    *,
    via: str,
    then: Callable[[Session, User], T],
) -> T:
    """``then(session, user)`` on success; else raise NotAuthenticated (unknown username
    or wrong password, one message), PermissionDenied (deactivated) or TooManyAttempts."""
    username, password = credentials
    policy, ip = policy_of(settings), client_address(request)
    with unit_of_work(db, write=False) as session:
        attempt = signin.check(session, username, password, ip=ip, via=via, policy=policy)
    with unit_of_work(db) as session:  # committed either way: failures are counted
        outcome = signin.settle(session, attempt, policy=policy)
        if outcome.user is not None:
            return then(session, outcome.user)
    assert outcome.error is not None  # no user: a refusal
    raise outcome.error
