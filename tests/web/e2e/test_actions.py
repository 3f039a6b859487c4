"""In a real browser: a worker hands in a file answer, and the requester blocks and unblocks
a worker from the workers page (the audit trail shows both)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crowdloop.accounts.models import Role, User
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.storage.uow import unit_of_work
from tests.web.e2e.conftest import LiveServer
from tests.web.e2e.test_browser import _sign_in, _user


def _project(
    server: LiveServer, owner: User, worker: User, schema: dict[str, Any], n: int
) -> Project:
    """A members-only project (other tests' workers never see it on their home page)."""
    with unit_of_work(server.db) as session:
        body = {
            "name": f"E2E actions {schema['type']}",
            "answer_schema": schema,
            "overlap": 2,
            "visibility": "members",
            "quality": {"control_rate": 0},
        }
        project = projects.create_project(session, owner, ProjectCreate.model_validate(body))
        projects.add_member(session, project, session.merge(worker))
        for i in range(n):
            projects.create_task(session, project, TaskCreate(data={"text": f"brief {i}"}))
        session.expunge(project)
    return project


def test_worker_uploads_a_file_and_the_requester_downloads_it(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    owner, worker = _user(live_server, Role.requester), _user(live_server, Role.worker)
    schema = {"type": "file", "extensions": [".txt"], "max_bytes": 1000}
    project = _project(live_server, owner, worker, schema, 2)
    report = tmp_path / "report.txt"
    report.write_text("findings: all good")
    _sign_in(page, live_server, worker)
    page.goto(f"{live_server.url}/work/projects/{project.id}")
    first = page.get_attribute("#task", "data-assignment")
    assert page.evaluate("document.activeElement.id") == "answer-file"
    page.set_input_files("#answer-file", str(report))
    page.keyboard.press("Enter")
    page.wait_for_function(
        "old => document.querySelector('#task')?.dataset.assignment !== old", arg=first
    )
    page.context.clear_cookies()
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/console/projects/{project.id}/results")
    page.click("#results a[href*='/tasks/']")
    with page.expect_download() as info:
        page.click("text=report.txt")
    assert Path(info.value.path()).read_text() == "findings: all good"


def test_requester_blocks_and_unblocks_a_worker(live_server: LiveServer, page: Any) -> None:
    owner, worker = _user(live_server, Role.requester), _user(live_server, Role.worker)
    schema = {"type": "single_choice", "labels": ["good", "bad"]}
    project = _project(live_server, owner, worker, schema, 3)
    _sign_in(page, live_server, worker)
    page.goto(f"{live_server.url}/work/projects/{project.id}")
    page.keyboard.press("1")
    page.wait_for_selector("text=You did 1 here")
    page.context.clear_cookies()
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/console/projects/{project.id}/workers")
    page.click("#block-form button[type=submit]")  # nothing chosen: told where, in place
    assert page.inner_text("#worker_id-error")
    page.select_option("#worker_id", label=worker.username)
    page.fill("#reason", "answers without reading")
    page.fill("#hours", "3")
    page.click("#block-form button[type=submit]")
    assert "The worker is blocked" in page.inner_text("#done")
    assert "answers without reading" in page.inner_text("#workers")
    page.click(f"button[aria-label='Unblock {worker.username}']")
    assert "unblocked" in page.inner_text("#done")
    trail = page.inner_text("#audit")
    assert "manual:block" in trail
    assert "undone" in trail
