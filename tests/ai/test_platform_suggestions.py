"""Suggestions reach workers only where allowed; held-out, audit and control tasks never
get one, whatever the project setting."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.ai.models import ModelVersion, Prediction, TaskMark, TaskRole
from crowdloop.client import Client
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project, Task
from crowdloop.projects.schemas import TaskCreate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import Setup, configure, make_setup, new_worker, train
from tests.factories.accounts import make_token


def _worker_client(http: TestClient, db: Database) -> Client:
    worker_id = new_worker(db)
    with unit_of_work(db) as session:
        worker = session.get(User, worker_id)
        assert worker is not None
        return Client(token=make_token(session, worker), http=http)


def _suggestions(db: Database, setup: Setup) -> dict[int, object]:
    """Every task's suggestion as ``to_read`` would fill it."""
    with unit_of_work(db, write=False) as session:
        tasks = session.scalars(select(Task).where(Task.project_id == setup.project_id)).all()
        return {t.id: ai.suggestion(session, t) for t in tasks}


def _roles(db: Database) -> dict[int, TaskRole]:
    with unit_of_work(db, write=False) as session:
        return {m.task_id: m.role for m in session.scalars(select(TaskMark))}


class TestSuggestions:
    def test_hidden_by_default_even_with_a_model(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=200, n_open=40)
        configure(setup, enabled=True)
        train(setup)
        assert all(s is None for s in _suggestions(db, setup).values())
        job = _worker_client(app_client, db).next_task(setup.project_id)
        assert job["suggestion"] is None

    def test_shown_to_workers_but_never_on_heldout_tasks(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=200, n_open=60)
        configure(setup, enabled=True, show_suggestions=True, holdout_share=0.3)
        train(setup)
        found, roles = _suggestions(db, setup), _roles(db)
        heldout = [t for t, r in roles.items() if r == TaskRole.heldout]
        assert heldout
        assert all(found[t] is None for t in heldout)
        shown = [t for t, s in found.items() if s is not None]
        assert shown
        assert not set(shown) & set(roles)
        worker = _worker_client(app_client, db)
        seen = []
        for _ in range(15):
            job = worker.next_task(setup.project_id)
            seen.append((job["task_id"], job["suggestion"]))
            worker.submit(job["id"], setup.truth[job["task_id"]])
        for task_id, suggestion in seen:
            if task_id in roles:
                assert suggestion is None
            else:
                assert suggestion is not None
                assert suggestion["label"] in {"food", "sport", "tech"}
                assert 0 <= suggestion["confidence"] <= 1
                assert suggestion["model_version"].startswith("v1 tfidf-lr-")

    def test_audit_and_control_tasks_never_get_one(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=400, n_open=100)
        configure(
            setup, enabled=True, show_suggestions=True, auto_accept=True, target_accuracy=0.85,
            holdout_share=0.3, audit_share=0.5,
        )  # fmt: skip
        with unit_of_work(db) as session:
            project = session.get(Project, setup.project_id)
            assert project is not None
            gold = TaskCreate(data={"text": "goal match team"}, gold="sport")
            control_id = projects.create_task(session, project, gold).id
        out = train(setup)
        assert out["n_audit"] > 0, out["certificate_status"]
        with unit_of_work(db) as session:  # even a stored prediction must not leak
            version = session.scalars(select(ModelVersion)).one()
            session.add(
                Prediction(
                    project_id=setup.project_id, task_id=control_id, model_version_id=version.id,
                    label="sport", confidence=0.99, probabilities=[0.0, 0.99, 0.01],
                )
            )  # fmt: skip
        found, roles = _suggestions(db, setup), _roles(db)
        audits = [t for t, r in roles.items() if r == TaskRole.audit]
        assert all(found[t] is None for t in audits)
        assert found[control_id] is None
        assert control_id not in roles
