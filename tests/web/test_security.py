"""Finding (d): security headers on every response, a CSP the pages really satisfy, CSRF
verified by every POST route of the web UI, and the session cookie's flags."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role
from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.web.deps import csrf_checked
from crowdloop.web.headers import HEADERS
from crowdloop.wiring import Platform
from tests.factories.accounts import PASSWORD, make_user
from tests.web.conftest import Browser, csrf_of

WEB = Path(__file__).resolve().parents[2] / "src" / "crowdloop" / "web"


class TestHeaders:
    @pytest.mark.parametrize(
        "path", ["/login", "/api/v1/health", "/static/css/app.css", "/api/v1/openapi.json"]
    )
    def test_every_response_carries_the_headers(self, app_client: TestClient, path: str) -> None:
        response = app_client.get(path)
        assert response.status_code == 200
        for name, value in HEADERS.items():
            assert response.headers[name] == value, name
        assert "strict-transport-security" not in response.headers  # plain http

    def test_errors_and_signed_in_pages_carry_them_too(
        self, app_client: TestClient, make_browser: Callable[..., Browser]
    ) -> None:
        assert app_client.get("/api/v1/me").headers["x-frame-options"] == "DENY"
        page = make_browser(Role.requester).get("/console")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["x-content-type-options"] == "nosniff"

    def test_over_https_browsers_are_told_to_stay_on_https(self, app_client: TestClient) -> None:
        secure = TestClient(app_client.app, base_url="https://testserver")
        assert secure.get("/login").headers["strict-transport-security"].startswith("max-age=")


class TestPagesFitTheCsp:
    """script-src/style-src 'self' with no 'unsafe-inline': no template may carry an
    inline script, style or event handler, and no static script may eval."""

    INLINE = (
        re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
        re.compile(r"<style\b", re.I),
        re.compile(r"\son[a-z]+\s*=", re.I),
        re.compile(r"\sstyle\s*=", re.I),
        re.compile(r"javascript:", re.I),
    )

    @staticmethod
    def _files(pattern: str) -> Iterator[Path]:
        found = sorted(WEB.rglob(pattern))
        assert found
        yield from found

    def test_templates_have_nothing_inline(self) -> None:
        for path in self._files("*.html"):
            text = path.read_text()
            for pattern in self.INLINE:
                assert not pattern.search(text), f"{path.name}: {pattern.pattern}"

    def test_static_scripts_never_evaluate_strings(self) -> None:
        banned = re.compile(
            r"\beval\(|new Function\(|setTimeout\(\s*['\"]|\.setAttribute\(\s*['\"]on"
        )
        for path in self._files("*.js"):
            assert not banned.search(path.read_text()), path.name

    def test_svg_charts_have_no_inline_styles(
        self, make_browser: Callable[..., Browser], project_of: Callable[..., Any]
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        html = owner.get(f"/console/projects/{project.id}").text
        for pattern in self.INLINE:
            assert not pattern.search(html), pattern.pattern


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


class TestCsrfEverywhere:
    def test_every_post_route_of_the_web_verifies_csrf(self, app_client: TestClient) -> None:
        """Each POST page route depends on csrf_checked; the sign-in form (no session yet)
        checks its own CSRF pair (tests/web/test_auth.py::TestLoginCsrf)."""
        posts = [
            (ctx.path, ctx.original_route)
            for ctx in iter_route_contexts(app_client.app.routes)  # type: ignore[attr-defined]
            if "POST" in (ctx.methods or ()) and not str(ctx.path).startswith("/api/")
        ]
        assert len(posts) > 20
        unchecked = [
            path
            for path, route in posts
            if not isinstance(route, APIRoute) or csrf_checked not in set(_calls(route.dependant))
        ]
        assert unchecked == ["/login"]

    def test_a_post_with_another_sessions_token_is_refused(
        self, make_browser: Callable[..., Browser]
    ) -> None:
        me, other = make_browser(Role.requester), make_browser(Role.requester)
        other.get("/account/tokens")
        response = me.http.post(
            "/account/tokens", data={"csrf": other.csrf, "name": "x"}, follow_redirects=False
        )
        assert response.status_code == 403


class TestCookieFlags:
    @pytest.mark.parametrize(
        ("overrides", "base_url", "secure"),
        [
            ({}, "http://testserver", False),
            ({}, "https://testserver", True),
            ({"env": "prod", "secret_key": "p" * 40}, "http://testserver", True),
            ({"env": "prod", "secret_key": "p" * 40, "cookie_secure": False}, "https://t", False),
            ({"cookie_secure": True}, "http://testserver", True),
        ],
    )
    def test_secure_follows_the_setting_then_prod_then_https(
        self,
        settings: Settings,
        platform: Platform,
        overrides: dict[str, Any],
        base_url: str,
        secure: bool,
    ) -> None:
        chosen = settings.model_copy(update=overrides)
        with TestClient(create_app(chosen, platform=platform), base_url=base_url) as client:
            cookie = client.get("/login").headers["set-cookie"]
        assert cookies.LOGIN_COOKIE in cookie
        assert ("Secure" in cookie) is secure

    def test_the_session_cookie_over_https(self, app_client: TestClient, db: Database) -> None:
        with unit_of_work(db) as session:
            name = make_user(session).username
        client = TestClient(app_client.app, base_url="https://testserver")
        token = csrf_of(client.get("/login").text)
        data = {"username": name, "password": PASSWORD, "csrf": token}
        response = client.post("/login", data=data, follow_redirects=False)
        assert response.status_code == 303
        made = [c for c in response.headers.get_list("set-cookie") if cookies.COOKIE + "=" in c]
        assert len(made) == 1
        for flag in ("HttpOnly", "SameSite=lax", "Secure", "Max-Age=43200"):
            assert flag in made[0]
