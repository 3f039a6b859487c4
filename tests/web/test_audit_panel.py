"""The audit log's admin page, and the web actions it records (exports, quality)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditEntry
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import PASSWORD
from tests.helpers import SINGLE, actors
from tests.web.conftest import Browser


def _entries(db: Database, action: str) -> list[AuditEntry]:
    with unit_of_work(db, write=False) as session:
        return [e for e in audit.entries(session) if e.action == action]


def test_admins_read_the_log_on_a_page(make_browser: Callable[..., Browser]) -> None:
    admin = make_browser(Role.admin)
    admin.post("/admin/users", {"username": "ivy", "password": PASSWORD, "role": "worker"})
    page = admin.get("/admin/audit?action=user.created&user_id=")
    assert page.status_code == 200
    assert "user.created" in page.text
    assert "user ivy" in page.text
    assert make_browser(Role.requester).get("/admin/audit").status_code == 403


def test_exports_and_quality_actions_are_recorded(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=1)
    project = a.requester.create_project({"name": "Audit", "answer_schema": SINGLE, "overlap": 1})
    a.requester.create_task(project["id"], {"data": {"i": 1}})
    assert b"".join(a.requester.export(project["id"], "csv"))
    (export,) = _entries(db, "export.downloaded")
    assert export.subject_type == "project"
    assert export.subject_id == project["id"]
    assert export.detail == {"format": "csv"}
    owner = a.requester.me()
    worker_id = a.workers[0].me()["id"]
    assignment = a.workers[0].next_task(project["id"])
    a.workers[0].submit(assignment["id"], "cat")
    with unit_of_work(db) as session:
        requester = accounts.get_user(session, owner["id"])
        session.expunge(requester)
    browser = Browser(app_client, requester)
    browser.get(f"/console/projects/{project['id']}/workers")
    form = {"worker_id": str(worker_id), "reason": "spam", "hours": "2"}
    block = f"/console/projects/{project['id']}/workers/block"
    assert browser.post(block, form).status_code == 303
    unblock = f"/console/projects/{project['id']}/workers/{worker_id}/unblock"
    assert browser.post(unblock).status_code == 303
    (blocked,) = _entries(db, "quality.blocked")
    assert (blocked.actor_id, blocked.detail["worker_id"]) == (owner["id"], worker_id)
    (reverted,) = _entries(db, "quality.reverted")
    assert reverted.detail["quality_event_id"] == blocked.detail["quality_event_id"]
