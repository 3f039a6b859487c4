"""Sign in and out, session expiry and forgery, CSRF, role guards."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserUpdate
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from tests.factories.accounts import PASSWORD, make_user
from tests.web.conftest import FETCH, Browser


def _user(db: Database, role: Role = Role.worker, username: str | None = None) -> str:
    with unit_of_work(db) as session:
        return make_user(session, role=role, username=username).username


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
        response = app_client.post(
            "/login", data={"username": name, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303
        assert response.headers["location"] == home
        cookie = response.headers["set-cookie"]
        assert cookies.COOKIE in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert app_client.get(home).status_code == 200

    def test_wrong_password_is_refused_with_a_message(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        response = app_client.post("/login", data={"username": name, "password": "nope-nope"})
        assert response.status_code == 401
        assert "wrong username or password" in response.text
        assert 'value="' + name + '"' in response.text  # the username is kept
        assert cookies.COOKIE not in response.headers.get("set-cookie", "")

    def test_deactivated_user_cannot_sign_in(self, app_client: TestClient, db: Database) -> None:
        name = _user(db)
        with unit_of_work(db) as session:
            user = accounts.get_user_by_username(session, name)
            accounts.update_user(session, user, UserUpdate(is_active=False))
        response = app_client.post("/login", data={"username": name, "password": PASSWORD})
        assert response.status_code == 403
        assert "deactivated" in response.text

    @pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
    def test_next_never_leaves_the_site(
        self, app_client: TestClient, db: Database, target: str
    ) -> None:
        name = _user(db)
        response = app_client.post(
            "/login",
            data={"username": name, "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/work"

    def test_next_same_site_is_followed(self, app_client: TestClient, db: Database) -> None:
        name = _user(db)
        response = app_client.post(
            "/login",
            data={"username": name, "password": PASSWORD, "next": "/account/tokens"},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/account/tokens"


class TestSession:
    def test_round_trip_and_tamper(self) -> None:
        made = cookies.new_session(7)
        raw = cookies.dumps(made, "k1")
        assert cookies.loads(raw, "k1") == made
        with pytest.raises(cookies.BadSession) as info:
            cookies.loads(raw, "other-key")
        assert not info.value.expired
        payload, _, mac = raw.partition(".")
        forged = cookies.dumps(cookies.new_session(1), "attacker").partition(".")[0] + "." + mac
        with pytest.raises(cookies.BadSession):
            cookies.loads(forged, "k1")
        for junk in ("", "abc", "a.b", payload):
            with pytest.raises(cookies.BadSession):
                cookies.loads(junk, "k1")

    def test_old_session_is_expired(self) -> None:
        old = cookies.new_session(7, now=time.time() - cookies.SESSION_SECONDS - 5)
        with pytest.raises(cookies.BadSession) as info:
            cookies.loads(cookies.dumps(old, "k"), "k")
        assert info.value.expired

    def test_expired_session_redirects_with_an_explanation(
        self, app_client: TestClient, settings: Settings, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            user_id = make_user(session).id
        old = cookies.new_session(user_id, now=time.time() - cookies.SESSION_SECONDS - 60)
        app_client.cookies.set(cookies.COOKIE, cookies.dumps(old, settings.secret_key))
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

    def test_forged_cookie_is_treated_as_signed_out(self, app_client: TestClient) -> None:
        app_client.cookies.set(cookies.COOKIE, cookies.dumps(cookies.new_session(1), "guess"))
        response = app_client.get("/work", follow_redirects=False)
        assert response.headers["location"] == "/login?next=/work"

    def test_deactivated_user_loses_their_session(
        self, make_browser: Callable[..., Browser], db: Database
    ) -> None:
        me = make_browser()
        assert me.get("/work").status_code == 200
        with unit_of_work(db) as session:
            user = accounts.get_user(session, me.user.id)
            accounts.update_user(session, user, UserUpdate(is_active=False))
        assert me.get("/work", follow_redirects=False).status_code == 303


class TestSignOutAndCsrf:
    def test_logout_clears_the_cookie(self, make_browser: Callable[..., Browser]) -> None:
        me = make_browser()
        response = me.post("/logout")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?bye=1"
        assert "You are signed out" in me.get("/login?bye=1").text
        assert me.get("/work", follow_redirects=False).status_code == 303

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
