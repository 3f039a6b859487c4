"""The three paths a newcomer takes, in a real browser: a worker does tasks by keyboard,
a requester creates a project and imports a file, and the dashboard updates live."""

from __future__ import annotations

import time
from itertools import count
from pathlib import Path
from typing import Any

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.schemas import UserCreate
from crowdloop.allocation import policy
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service as work
from crowdloop.work.models import Assignment
from tests.web.e2e.conftest import LiveServer

PASSWORD = "e2e-password-123"
_names = count(1)


def _user(server: LiveServer, role: Role) -> User:
    with unit_of_work(server.db) as session:
        name = f"{role.value}-e2e-{next(_names)}"
        user = accounts.create_user(
            session, UserCreate(username=name, password=PASSWORD, role=role)
        )
        session.expunge(user)
    return user


def _project(server: LiveServer, owner: User, schema: dict[str, Any], n: int) -> Project:
    with unit_of_work(server.db) as session:
        body = {
            "name": f"E2E {schema['type']}",
            "answer_schema": schema,
            "overlap": 2,
            "instructions": "# How\n\nPick the **best** label.",
            "quality": {"control_rate": 0},
        }
        project = projects.create_project(session, owner, ProjectCreate.model_validate(body))
        for i in range(n):
            projects.create_task(session, project, TaskCreate(data={"text": f"review {i}"}))
        session.expunge(project)
    return project


def _sign_in(page: Any, server: LiveServer, user: User) -> None:
    """Keyboard only: type the username, Tab, the password, Enter."""
    page.goto(f"{server.url}/login")
    page.wait_for_selector("#username:focus")  # autofocus: no click needed
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, page.inner_text("main")


def _tab_to(page: Any, text: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if text in page.evaluate("document.activeElement.textContent || ''"):
            return
    raise AssertionError(f"could not reach {text!r} with Tab")


def _answers(server: LiveServer, worker: User) -> list[Any]:
    with unit_of_work(server.db, write=False) as session:
        found = work.list_assignments(session, worker)
        return [a.answer for a in sorted(found, key=lambda a: a.id) if a.answer is not None]


def _current(page: Any) -> str:
    return str(page.get_attribute("#task", "data-assignment"))


def test_worker_does_tasks_by_keyboard(page: Any, live_server: LiveServer) -> None:
    owner = _user(live_server, Role.requester)
    single = _project(
        live_server, owner, {"type": "single_choice", "labels": ["pos", "neg", "mid"]}, 5
    )
    multi = _project(live_server, owner, {"type": "multiple_choice", "labels": ["a", "b", "c"]}, 2)
    worker = _user(live_server, Role.worker)
    _sign_in(page, live_server, worker)
    assert page.url.endswith("/work")
    _tab_to(page, "Start working")
    page.keyboard.press("Enter")
    page.wait_for_selector("#task")
    timings = []
    for key, label in (("2", "neg"), ("1", "pos"), ("3", "mid")):
        before = _current(page)
        started = time.perf_counter()
        page.keyboard.press(key)  # one keystroke answers and submits
        page.wait_for_function(
            "before => document.querySelector('#task')?.dataset.assignment !== before", arg=before
        )
        timings.append(time.perf_counter() - started)
        assert _answers(live_server, worker)[-1] == label
    before = _current(page)
    page.keyboard.press("s")  # skip
    page.wait_for_function(
        "before => document.querySelector('#task')?.dataset.assignment !== before", arg=before
    )
    page.keyboard.press("i")  # instructions, one key away
    assert page.is_visible("#instructions")
    assert "best" in page.inner_text("#instructions")
    page.keyboard.press("Escape")
    assert not page.is_visible("#instructions")
    print(f"keystroke to next task: {[round(t * 1000) for t in timings]} ms")  # noqa: T201
    # multiple choice: 1 and 3 toggle, Enter submits
    page.goto(f"{live_server.url}/work/projects/{multi.id}")
    page.keyboard.press("1")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    page.wait_for_function("() => !!document.querySelector('#task') && true")
    deadline = time.monotonic() + 10
    while _answers(live_server, worker)[-1] != ["a", "c"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _answers(live_server, worker)[-1] == ["a", "c"]
    assert single.id != multi.id


def test_requester_creates_a_project_and_imports_a_file(
    page: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    requester = _user(live_server, Role.requester)
    _sign_in(page, live_server, requester)
    assert page.url.endswith("/console")
    page.click("text=New project")
    page.click("#wizard button[type=submit]")  # empty name: refused, explained in place
    assert "at least 1 character" in page.inner_text("#name-error")
    page.fill("#name", "Sentiment of tweets")
    page.check("input[name=task_type][value=single_choice]")
    page.fill("#labels", "positive\nnegative")
    page.fill("#instructions", "# Read the tweet\n\nThen **choose**.")
    page.wait_for_selector("#preview h1:has-text('Read the tweet')")
    assert not page.is_visible("#rating_min")  # only the chosen type's settings show
    page.click("#wizard button[type=submit]")
    page.wait_for_url("**/console/projects/*?created=1")
    page.click("nav.tabs >> text=Import tasks")
    csv = tmp_path / "tweets.csv"
    csv.write_text("text\nI love it\nterrible\nmeh\n")
    page.set_input_files("#file", str(csv))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-report")
    assert "Imported 3 of 3 rows" in page.inner_text("#import-report")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"data": {"text": "ok"}}\n{"data": {"text": "x"}, "gold": "maybe"}\n')
    page.set_input_files("#file", str(bad))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#bad-rows")
    assert "Nothing was imported" in page.inner_text("#import-report")


def test_dashboard_updates_live(page: Any, live_server: LiveServer) -> None:
    owner = _user(live_server, Role.requester)
    project = _project(live_server, owner, {"type": "single_choice", "labels": ["x", "y"]}, 4)
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/console/projects/{project.id}")
    assert page.inner_text("[data-stat=answers]") == "0"
    workers = [_user(live_server, Role.worker) for _ in range(3)]
    with unit_of_work(live_server.db) as session:  # answers arrive through the service layer
        fresh = session.get(Project, project.id)
        assert fresh is not None
        for worker in workers:
            job: Assignment = policy.next_assignment(session, session.merge(worker), fresh)
            work.submit(session, session.merge(worker), job.id, "y")
    page.wait_for_function(
        "() => document.querySelector('[data-stat=answers]').textContent === '3'"
    )
    assert "live updates on" in page.inner_text("#live-status")
