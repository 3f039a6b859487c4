"""Admin pages: users and roles; everyone's API tokens."""

from __future__ import annotations

import re
from collections.abc import Callable

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.web.conftest import Browser

Make = Callable[..., Browser]


class TestUsers:
    def test_admin_adds_a_user_and_changes_a_role(self, make_browser: Make, db: Database) -> None:
        admin = make_browser(Role.admin)
        assert admin.get("/admin/users").status_code == 200
        response = admin.post(
            "/admin/users", {"username": "newbie", "password": "long enough pw", "role": "worker"}
        )
        assert response.status_code == 303
        with unit_of_work(db, write=False) as session:
            newbie = accounts.get_user_by_username(session, "newbie")
        assert newbie.role == Role.worker
        response = admin.post(f"/admin/users/{newbie.id}", {"role": "reviewer"})  # unchecked
        assert response.status_code == 303
        with unit_of_work(db, write=False) as session:
            changed = accounts.get_user(session, newbie.id)
        assert changed.role == Role.reviewer
        assert not changed.is_active

    def test_bad_new_user_is_explained_per_field(self, make_browser: Make, db: Database) -> None:
        admin = make_browser(Role.admin)
        short = admin.post(
            "/admin/users", {"username": "x y", "password": "short", "role": "worker"}
        )
        assert short.status_code == 422
        assert 'id="username-error"' in short.text
        assert 'id="password-error"' in short.text
        taken = admin.post(
            "/admin/users",
            {"username": admin.user.username, "password": "long enough pw", "role": "worker"},
        )
        assert taken.status_code == 409
        assert "already taken" in taken.text
        bad_role = admin.post(
            "/admin/users", {"username": "ok-name", "password": "long enough pw", "role": "king"}
        )
        assert bad_role.status_code == 422
        with unit_of_work(db, write=False) as session:
            assert len(accounts.list_users(session)) == 1

    def test_admin_cannot_lock_themselves_out(self, make_browser: Make) -> None:
        admin = make_browser(Role.admin)
        response = admin.post(f"/admin/users/{admin.user.id}", {"role": "worker"})
        assert response.status_code == 422
        assert "your own role" in response.text

    def test_only_admins(self, make_browser: Make) -> None:
        requester = make_browser(Role.requester)
        assert requester.get("/admin/users").status_code == 403
        assert requester.post("/admin/users", {"username": "zz"}).status_code == 403


class TestTokens:
    def test_issue_shows_the_token_once_and_revoke(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        page = me.post("/account/tokens", {"name": "laptop"})
        assert page.status_code == 200
        token = re.search(r'id="new-token">([^<]+)<', page.text)
        assert token is not None
        with unit_of_work(db, write=False) as session:
            assert accounts.user_for_token(session, token.group(1)).id == me.user.id
            (made,) = accounts.list_tokens(session, me.user)
        assert token.group(1) not in me.get("/account/tokens").text
        assert me.post(f"/account/tokens/{made.id}/revoke").status_code == 303
        assert "revoked" in me.get("/account/tokens").text

    def test_cannot_revoke_someone_elses_token(self, make_browser: Make, db: Database) -> None:
        alice, bob = make_browser(Role.requester), make_browser(Role.requester)
        alice.post("/account/tokens", {"name": "mine"})
        with unit_of_work(db, write=False) as session:
            (token,) = accounts.list_tokens(session, alice.user)
        assert bob.post(f"/account/tokens/{token.id}/revoke").status_code == 404
        admin = make_browser(Role.admin)
        assert admin.get(f"/admin/users/{alice.user.id}/tokens").status_code == 200
        response = admin.post(f"/account/tokens/{token.id}/revoke")
        assert response.headers["location"] == f"/admin/users/{alice.user.id}/tokens"
