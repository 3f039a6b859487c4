"""Helpers for the platform AI tests: a project whose labels a model can learn, answered
by real workers through the work service (real database, no mocks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.client import Client
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import TaskCreate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service as work
from tests.ai.conftest import VOCAB, synthetic_corpus
from tests.factories.accounts import make_token, make_user
from tests.factories.projects import make_project

LABELS = sorted(VOCAB)


@dataclass
class Setup:
    project_id: int
    owner: Client
    worker_id: int
    truth: dict[int, str] = field(default_factory=dict)


def make_setup(http: TestClient, db: Database, *, n_answered: int, n_open: int) -> Setup:
    """A single_choice project: ``n_answered`` tasks labelled right by a worker (overlap 1),
    then ``n_open`` fresh tasks nobody has answered."""
    texts, labels = synthetic_corpus(n_answered + n_open, seed=7)
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        token = make_token(session, owner)
        schema = {"type": "single_choice", "labels": LABELS}
        project = make_project(
            session, owner, answer_schema=schema, overlap=1, quality={"control_rate": 0}
        )
        worker = make_user(session)
        setup = Setup(project.id, Client(token=token, http=http), worker.id)
    add_tasks(db, setup, texts[:n_answered], labels[:n_answered])
    answer_all(db, setup, lambda task_id: setup.truth[task_id])
    add_tasks(db, setup, texts[n_answered:], labels[n_answered:])
    return setup


def add_tasks(db: Database, setup: Setup, texts: list[str], labels: list[str]) -> None:
    with unit_of_work(db) as session:
        project = session.get(Project, setup.project_id)
        assert project is not None
        for text, label in zip(texts, labels, strict=True):
            task = projects.create_task(session, project, TaskCreate(data={"text": text}))
            setup.truth[task.id] = label


def answer_all(db: Database, setup: Setup, choose: Any, *, worker_id: int | None = None) -> int:
    """The worker answers every open task with ``choose(task_id)``; returns how many."""
    n = 0
    with unit_of_work(db) as session:
        project = session.get(Project, setup.project_id)
        worker = session.get(User, worker_id or setup.worker_id)
        assert project is not None
        assert worker is not None
        while True:
            try:
                job = policy.next_assignment(session, worker, project)
            except NoTaskAvailable:
                return n
            work.submit(session, worker, job.id, choose(job.task_id))
            n += 1


def new_worker(db: Database) -> int:
    with unit_of_work(db) as session:
        return make_user(session).id


def configure(setup: Setup, **fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = setup.owner.request(
        "PUT", f"/projects/{setup.project_id}/ai", json=fields
    )
    return result


def train(setup: Setup) -> dict[str, Any]:
    result: dict[str, Any] = setup.owner.request("POST", f"/projects/{setup.project_id}/ai/train")
    return result


def status(setup: Setup) -> dict[str, Any]:
    result: dict[str, Any] = setup.owner.request("GET", f"/projects/{setup.project_id}/ai/status")
    return result
