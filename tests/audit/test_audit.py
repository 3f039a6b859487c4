"""The audit log: entries written with the action (in its transaction), readable by
admins only (API, web page, CLI)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserCreate, UserUpdate
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditEntry
from crowdloop.client import ApiError, Client
from crowdloop.errors import Conflict
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import actors
from tests.web.conftest import csrf_of


def _entries(db: Database, action: str | None = None) -> list[AuditEntry]:
    with unit_of_work(db, write=False) as session:
        found = list(audit.entries(session))
    return [e for e in found if action is None or e.action == action]


def _sign_in(client: TestClient, username: str, password: str) -> Any:
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": password, "csrf": token}
    return client.post("/login", data=data, follow_redirects=False)


class TestWhatIsRecorded:
    def test_sign_ins_failed_and_successful_and_sign_outs(
        self, app_client: TestClient, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            user_id = make_user(session, username="carol").id
        _sign_in(app_client, "carol", "not the password")
        _sign_in(app_client, "who-is-this", "not the password")
        assert _sign_in(app_client, "carol", PASSWORD).status_code == 303
        page = app_client.get("/work")
        app_client.post("/logout", data={"csrf": csrf_of(page.text)})
        failed = _entries(db, "login.failed")
        assert [(e.subject_id, e.detail["reason"]) for e in failed] == [
            (None, "unknown username"),
            (user_id, "wrong password"),
        ]
        assert all(e.actor_id is None and e.ip == "testclient" for e in failed)
        assert "who-is-this" not in str([e.detail for e in failed])  # typed names not kept
        (ok,) = _entries(db, "login.succeeded")
        assert (ok.actor_id, ok.detail["via"]) == (user_id, "web")
        (out,) = _entries(db, "logout")
        assert out.actor_id == user_id

    def test_api_sign_ins_tokens_and_user_changes(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        admin_id = a.admin.me()["id"]
        created = a.admin.request(
            "POST", "/users", json={"username": "dora", "password": PASSWORD, "role": "worker"}
        )
        a.admin.request("PATCH", f"/users/{created['id']}", json={"role": "reviewer"})
        dora = Client(http=app_client)
        dora.login("dora", PASSWORD)
        token_id = dora.request("GET", "/me/tokens")[0]["id"]
        dora.request("DELETE", f"/me/tokens/{token_id}")
        (made,) = _entries(db, "user.created")
        assert (made.actor_id, made.subject_id, made.detail) == (
            admin_id,
            created["id"],
            {"role": "worker"},
        )
        (changed,) = _entries(db, "user.updated")
        assert changed.detail == {"fields": ["role"], "role": "reviewer"}
        assert _entries(db, "login.succeeded")[0].detail["via"] == "api"
        issued = [e for e in _entries(db, "token.issued") if e.subject_id == token_id]
        assert issued[0].actor_id == created["id"]
        (revoked,) = _entries(db, "token.revoked")
        assert (revoked.actor_id, revoked.subject_id) == (created["id"], token_id)

    def test_an_entry_exists_only_if_the_action_committed(self, db: Database) -> None:
        with unit_of_work(db) as session:
            make_user(session, username="erin")

        def twice() -> None:
            with unit_of_work(db) as session:
                accounts.create_user(session, UserCreate(username="frank", password=PASSWORD))
                accounts.create_user(session, UserCreate(username="frank", password=PASSWORD))

        def then_fail() -> None:
            with unit_of_work(db) as session:
                user = accounts.get_user_by_username(session, "erin")
                accounts.update_user(session, user, UserUpdate(role=Role.admin))
                raise RuntimeError("the request failed after the change")

        with pytest.raises(Conflict):
            twice()
        assert _entries(db, "user.created") == []
        with pytest.raises(RuntimeError):
            then_fail()
        assert _entries(db, "user.updated") == []


class TestWhoMayRead:
    def test_admins_read_the_log_through_the_api(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        a.admin.request("POST", "/users", json={"username": "gil", "password": PASSWORD})
        log = a.admin.request("GET", "/admin/audit", params={"action": "user.created"})
        assert [e["action"] for e in log] == ["user.created"]
        assert set(log[0]) >= {"id", "created_at", "actor_id", "subject_id", "ip", "detail"}
        for client in (a.requester, a.workers[0]):
            with pytest.raises(ApiError) as err:
                client.request("GET", "/admin/audit")
            assert err.value.status == 403
        with pytest.raises(ApiError) as err:
            Client(http=app_client).request("GET", "/admin/audit")
        assert err.value.status == 401

    def test_the_api_pages_newest_first(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        for name in ("h1", "h2", "h3"):
            a.admin.request("POST", "/users", json={"username": name, "password": PASSWORD})
        first = a.admin.request("GET", "/admin/audit", params={"limit": 2})
        rest = a.admin.request("GET", "/admin/audit", params={"before": first[-1]["id"]})
        ids = [e["id"] for e in first + rest]
        assert ids == sorted(ids, reverse=True)
        assert len(set(ids)) == len(ids)
