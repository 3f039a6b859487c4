"""Forgetting a worker on request: personal data erased, answers kept under an anonymous
name, so the project's results are unchanged."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crowdloop.accounts.models import ApiToken, LoginThrottle, User, WebSession
from crowdloop.audit.models import AuditEntry
from crowdloop.client import ApiError, Client
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from tests.factories.accounts import PASSWORD, make_web_session
from tests.helpers import SINGLE, Actors, actors
from tests.web.conftest import csrf_of


def _a_worker_who_answered(app_client: TestClient, db: Database) -> tuple[Actors, int, int]:
    """(actors, project id, worker id): the worker answered, signed in on the web (with
    a failed try first) and holds an API token."""
    a = actors(app_client, db, n_workers=1)
    worker = a.workers[0]
    worker_id = worker.me()["id"]
    a.admin.request(
        "PATCH", f"/users/{worker_id}", json={"email": "w@example.org", "skills": ["fr"]}
    )
    project = a.requester.create_project({"name": "P", "answer_schema": SINGLE, "overlap": 1})
    for i in range(2):
        a.requester.create_task(project["id"], {"data": {"i": i}})
        worker.submit(worker.next_task(project["id"])["id"], "cat")
    a.requester.request("POST", f"/projects/{project['id']}/quality/refit")
    return a, project["id"], worker_id


def _export(a: Actors, project_id: int) -> bytes:
    return b"".join(a.requester.export(project_id, "jsonl"))


class TestForget:
    def test_personal_data_goes_and_answers_stay(
        self, app_client: TestClient, db: Database
    ) -> None:
        a, project_id, worker_id = _a_worker_who_answered(app_client, db)
        with unit_of_work(db) as session:
            user = session.get(User, worker_id)
            assert user is not None
            old_name = user.username
            cookie = make_web_session(session, user)
        form = {"username": old_name, "password": "wrong-password", "csrf": ""}
        form["csrf"] = csrf_of(app_client.get("/login").text)
        app_client.post("/login", data=form)  # an audit entry with the worker's address
        before = _export(a, project_id)

        forgotten = a.admin.request("POST", f"/users/{worker_id}/forget")
        with unit_of_work(db, write=False) as session:  # the failed sign-in's count went
            assert session.get(LoginThrottle, f"user:{old_name}") is None

        assert forgotten["username"].startswith("forgotten-")
        assert forgotten["username"] != old_name
        assert forgotten["email"] is None
        assert forgotten["skills"] == []
        assert forgotten["is_active"] is False
        assert forgotten["forgotten_at"] is not None
        assert _export(a, project_id) == before  # same answers, same worker id
        with pytest.raises(ApiError) as err:
            a.workers[0].me()  # the old token is gone
        assert err.value.status == 401
        with pytest.raises(ApiError) as err:
            Client(http=app_client).login(old_name, PASSWORD)
        assert err.value.status == 401
        app_client.cookies.set(cookies.COOKIE, cookie)
        assert app_client.get("/work", follow_redirects=False).status_code == 303
        with unit_of_work(db, write=False) as session:
            assert session.scalars(select(ApiToken).filter_by(user_id=worker_id)).all() == []
            assert session.scalars(select(WebSession).filter_by(user_id=worker_id)).all() == []
            about = select(AuditEntry).where(AuditEntry.subject_id == worker_id)
            entries = session.scalars(about.where(AuditEntry.subject_type == "user")).all()
        assert {e.action for e in entries} >= {"login.failed", "user.forgotten"}
        assert all(e.ip is None for e in entries)

    def test_only_admins_forget_and_never_themselves_or_twice(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        worker_id = a.workers[0].me()["id"]
        admin_id = a.admin.me()["id"]
        for client, target, status in [
            (a.requester, worker_id, 403),
            (a.workers[0], worker_id, 403),
            (a.admin, admin_id, 403),
        ]:
            with pytest.raises(ApiError) as err:
                client.request("POST", f"/users/{target}/forget")
            assert err.value.status == status
        a.admin.request("POST", f"/users/{worker_id}/forget")
        with pytest.raises(ApiError) as err:
            a.admin.request("POST", f"/users/{worker_id}/forget")
        assert err.value.status == 409
        with pytest.raises(ApiError) as err:  # and the anonymous row stays as it is
            a.admin.request("PATCH", f"/users/{worker_id}", json={"is_active": True})
        assert err.value.status == 409
