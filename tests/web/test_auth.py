"""Sign in and out, server-side sessions (expiry, revocation, forgery), CSRF, role guards."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, WebSession
from crowdloop.accounts.schemas import UserUpdate
from crowdloop.accounts.security import hash_token
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from tests.factories.accounts import PASSWORD, make_user, make_web_session
from tests.web.conftest import FETCH, Browser, csrf_of


def _user(db: Database, role: Role = Role.worker, username: str | None = None) -> str:
    with unit_of_work(db) as session:
        return make_user(session, role=role, username=username).username


def sign_in(client: TestClient, username: str, password: str = PASSWORD, **form: str) -> Any:
    """The browser's way: open the form (its CSRF pair), then post it."""
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": password, "csrf": token, **form}
    return client.post("/login", data=data, follow_redirects=False)


def _session_rows(db: Database, user_id: int) -> list[WebSession]:
    with unit_of_work(db, write=False) as session:
        query = select(WebSession).where(WebSession.user_id == user_id)
        return list(session.scalars(query).all())


class TestSignIn:
    def test_anonymous_page_redirects_to_login_with_next(self, app_client: TestClient) -> None:
        response = app_client.get("/work", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/work"

    def test_login_page_renders(self, app_client: TestClient) -> None:
        page = app_client.get("/login")
        assert page.status_code == 200
        assert 'for="username"' in page.text
        assert 'for="password"' in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]

    @pytest.mark.parametrize(
        ("role", "home"), [(Role.worker, "/work"), (Role.requester, "/console")]
    )
    def test_login_goes_to_the_role_home(
        self, app_client: TestClient, db: Database, role: Role, home: str
    ) -> None:
        name = _user(db, role)
        response = sign_in(app_client, name)
        assert response.status_code == 303
        assert response.headers["location"] == home
        cookie = response.headers["set-cookie"]
        assert cookies.COOKIE in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http in a test environment
        assert app_client.get(home).status_code == 200

    def test_the_cookie_names_a_server_side_session(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        app_client.headers["user-agent"] = "pytest-agent/1"
        sign_in(app_client, name)
        token = app_client.cookies[cookies.COOKIE]
        with unit_of_work(db, write=False) as session:
            row = session.scalars(select(WebSession)).one()
            assert row.token_hash == hash_token(token)  # the token itself is never stored
            assert row.user_agent == "pytest-agent/1"
            assert row.expires_at - row.created_at == timedelta(hours=12)
            assert row.revoked_at is None

    def test_wrong_password_is_refused_with_a_message(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        response = sign_in(app_client, name, "nope-nope")
        assert response.status_code == 401
        assert "wrong username or password" in response.text
        assert 'value="' + name + '"' in response.text  # the username is kept
        assert cookies.COOKIE not in response.headers.get("set-cookie", "")

    def test_deactivated_user_cannot_sign_in(self, app_client: TestClient, db: Database) -> None:
        name = _user(db)
        with unit_of_work(db) as session:
            user = accounts.get_user_by_username(session, name)
            accounts.update_user(session, user, UserUpdate(is_active=False))
        response = sign_in(app_client, name)
        assert response.status_code == 403
        assert "deactivated" in response.text

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
    def test_next_never_leaves_the_site(
        self, app_client: TestClient, db: Database, target: str
    ) -> None:
        response = sign_in(app_client, _user(db), next=target)
        assert response.headers["location"] == "/work"

    def test_next_same_site_is_followed(self, app_client: TestClient, db: Database) -> None:
        response = sign_in(app_client, _user(db), next="/account/tokens")
        assert response.headers["location"] == "/account/tokens"


class TestLoginCsrf:
    """Finding (c): the sign-in form had no CSRF token (login CSRF signs a victim in as
    the attacker)."""

    def test_a_login_without_the_form_token_is_refused(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        response = app_client.post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 403
        assert "CSRF" in response.text
        assert cookies.COOKIE not in response.headers.get("set-cookie", "")

    def test_a_token_without_its_cookie_or_with_another_nonce_is_refused(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        token = csrf_of(app_client.get("/login").text)
        stranger = TestClient(app_client.app)  # the attacker's page has no nonce cookie
        form = {"username": name, "password": PASSWORD, "csrf": token}
        assert stranger.post("/login", data=form).status_code == 403
        stranger.cookies.set(cookies.LOGIN_COOKIE, secrets.token_urlsafe(24))
        assert stranger.post("/login", data=form).status_code == 403

    def test_a_token_signed_with_the_old_placeholder_secret_is_refused(
        self, app_client: TestClient, db: Database
    ) -> None:
        nonce = secrets.token_urlsafe(24)
        mac = hmac.new(b"dev-insecure-secret-change-me", nonce.encode(), hashlib.sha256)
        forged = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
        app_client.cookies.set(cookies.LOGIN_COOKIE, nonce)
        form = {"username": _user(db), "password": PASSWORD, "csrf": forged}
        assert app_client.post("/login", data=form).status_code == 403


class TestSession:
    def test_expired_session_redirects_with_an_explanation(
        self, app_client: TestClient, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            old = utcnow() - timedelta(hours=13)
            token = make_web_session(session, make_user(session), hours=12, now=old)
        app_client.cookies.set(cookies.COOKIE, token)
        response = app_client.get("/work", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/work&expired=1"
        page = app_client.get(response.headers["location"])
        assert "Your session expired" in page.text

    def test_expired_session_on_a_fetch_is_a_401_with_the_login_url(
        self, app_client: TestClient
    ) -> None:
        response = app_client.post("/work/assignments/1/submit", headers=FETCH)
        assert response.status_code == 401
        assert response.headers["x-login"].startswith("/login?next=")

    def test_an_unknown_session_token_is_treated_as_signed_out(
        self, app_client: TestClient
    ) -> None:
        app_client.cookies.set(cookies.COOKIE, secrets.token_urlsafe(32))
        response = app_client.get("/work", follow_redirects=False)
        assert response.headers["location"] == "/login?next=/work"

    def test_a_cookie_signed_with_the_source_placeholder_opens_nothing(
        self, app_client: TestClient, db: Database
    ) -> None:
        """Finding (a): the old stateless cookie, signed with the secret that was in the
        source, opened the admin pages."""
        with unit_of_work(db) as session:
            admin_id = make_user(session, role=Role.admin).id
        body = {"uid": admin_id, "iat": int(utcnow().timestamp()), "csrf": "x"}
        payload = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
        mac = hmac.new(b"dev-insecure-secret-change-me", payload.encode(), hashlib.sha256)
        signature = base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
        app_client.cookies.set(cookies.COOKIE, f"{payload}.{signature}")
        response = app_client.get("/admin/users", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")

    def test_deactivated_user_loses_their_session(
        self, make_browser: Callable[..., Browser], db: Database
    ) -> None:
        me = make_browser()
        assert me.get("/work").status_code == 200
        with unit_of_work(db) as session:
            user = accounts.get_user(session, me.user.id)
            accounts.update_user(session, user, UserUpdate(is_active=False))
        assert me.get("/work", follow_redirects=False).status_code == 303
        with unit_of_work(db) as session:  # switched back on, the old session stays ended
            user = accounts.get_user(session, me.user.id)
            accounts.update_user(session, user, UserUpdate(is_active=True))
        assert me.get("/work", follow_redirects=False).status_code == 303

    def test_a_role_change_ends_the_session(
        self, make_browser: Callable[..., Browser], db: Database
    ) -> None:
        me = make_browser(Role.admin)
        assert me.get("/admin/users").status_code == 200
        with unit_of_work(db) as session:
            user = accounts.get_user(session, me.user.id)
            accounts.update_user(session, user, UserUpdate(role=Role.worker))
        assert me.get("/admin/users", follow_redirects=False).status_code == 303
        assert all(row.revoked_at is not None for row in _session_rows(db, me.user.id))

    def test_an_admin_changing_a_role_ends_that_users_sessions_only(
        self, make_browser: Callable[..., Browser]
    ) -> None:
        admin, other = make_browser(Role.admin), make_browser(Role.requester)
        assert other.get("/console").status_code == 200
        admin.get("/admin/users")
        response = admin.post(
            f"/admin/users/{other.user.id}", {"role": "worker", "is_active": "on"}
        )
        assert response.status_code == 303
        assert other.get("/console", follow_redirects=False).status_code == 303
        assert admin.get("/admin/users").status_code == 200

    def test_last_seen_is_recorded_at_most_every_few_minutes(
        self, app_client: TestClient, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            user = make_user(session)
            long_ago = utcnow() - timedelta(minutes=30)
            token = make_web_session(session, user, now=long_ago)
            user_id = user.id
        app_client.cookies.set(cookies.COOKIE, token)
        assert app_client.get("/work").status_code == 200
        seen = _session_rows(db, user_id)[0].last_seen_at
        assert seen > long_ago + timedelta(minutes=25)
        assert app_client.get("/work").status_code == 200
        assert _session_rows(db, user_id)[0].last_seen_at == seen  # not a write per page


class TestSignOutAndCsrf:
    def test_logout_clears_the_cookie(self, make_browser: Callable[..., Browser]) -> None:
        me = make_browser()
        response = me.post("/logout")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?bye=1"
        assert "You are signed out" in me.get("/login?bye=1").text
        assert me.get("/work", follow_redirects=False).status_code == 303

    def test_logout_ends_the_session_so_the_old_cookie_is_refused(
        self, make_browser: Callable[..., Browser], db: Database
    ) -> None:
        """Finding (b): logging out only deleted the cookie; a copy of it kept working."""
        me = make_browser()
        stolen = me.session_token
        assert me.post("/logout").status_code == 303
        replay = TestClient(me.http.app)
        replay.cookies.set(cookies.COOKIE, stolen)
        assert replay.get("/work", follow_redirects=False).status_code == 303
        assert _session_rows(db, me.user.id)[0].revoked_at is not None

    def test_post_without_csrf_is_refused(self, make_browser: Callable[..., Browser]) -> None:
        me = make_browser()
        response = me.http.post("/logout", data={}, follow_redirects=False)
        assert response.status_code == 403
        assert "CSRF" in response.text
        response = me.http.post("/logout", data={"csrf": "wrong"}, follow_redirects=False)
        assert response.status_code == 403
        assert me.get("/work").status_code == 200  # still signed in


class TestRoles:
    def test_home_redirects_by_role(self, make_browser: Callable[..., Browser]) -> None:
        assert (
            make_browser(Role.worker).get("/", follow_redirects=False).headers["location"]
            == "/work"
        )
        admin = make_browser(Role.admin)
        assert admin.get("/", follow_redirects=False).headers["location"] == "/console"

    def test_worker_cannot_open_the_console_or_admin(
        self, make_browser: Callable[..., Browser]
    ) -> None:
        worker = make_browser(Role.worker)
        for path in ("/console", "/console/projects/new", "/admin/users"):
            page = worker.get(path)
            assert page.status_code == 403, path
            assert "for the" in page.text
            assert "<html" in page.text

    def test_requester_cannot_open_the_workspace(
        self, make_browser: Callable[..., Browser]
    ) -> None:
        assert make_browser(Role.requester).get("/work").status_code == 403
