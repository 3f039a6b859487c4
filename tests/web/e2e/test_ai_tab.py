"""In a real browser: the requester opens the AI tab, turns the model on, presses
"Train now" and sees the new model version."""

from __future__ import annotations

from typing import Any

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects import service as projects
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service as work
from tests.ai.conftest import synthetic_corpus
from tests.ai.platform import LABELS
from tests.web.e2e.conftest import LiveServer
from tests.web.e2e.test_browser import _sign_in, _user


def _labelled_project(server: LiveServer, owner: User, worker: User, n: int) -> int:
    """A members-only single-choice project whose ``n`` tasks the worker labelled right."""
    texts, labels = synthetic_corpus(n, seed=3)
    with unit_of_work(server.db) as session:
        body = {
            "name": "E2E AI",
            "answer_schema": {"type": "single_choice", "labels": LABELS},
            "overlap": 1,
            "visibility": "members",
            "quality": {"control_rate": 0},
        }
        project = projects.create_project(session, owner, ProjectCreate.model_validate(body))
        member = session.merge(worker)
        projects.add_member(session, project, member)
        truth = {
            projects.create_task(session, project, TaskCreate(data={"text": text})).id: label
            for text, label in zip(texts, labels, strict=True)
        }
        while True:
            try:
                job = policy.next_assignment(session, member, project)
            except NoTaskAvailable:
                break
            work.submit(session, member, job.id, truth[job.task_id])
        return project.id


def test_requester_turns_ai_on_and_trains(live_server: LiveServer, page: Any) -> None:
    owner, worker = _user(live_server, Role.requester), _user(live_server, Role.worker)
    project_id = _labelled_project(live_server, owner, worker, 30)
    _sign_in(page, live_server, owner)
    page.goto(f"{live_server.url}/console/projects/{project_id}")
    page.click("nav.tabs >> text=AI")
    assert page.inner_text("#model-version") == "none yet"
    page.check("#enabled")
    page.click("#ai-form button[type=submit]")
    page.wait_for_selector("#saved")
    page.click("#train")
    page.wait_for_selector("#trained")
    assert page.inner_text("#model-version").startswith("v1 tfidf")
    assert page.inner_text("#model-state").startswith("ready")
