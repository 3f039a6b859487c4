"""GET /projects/{id}/allocation and /tasks/{task_id}/difficulty."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from crowdloop.accounts.models import Role
from crowdloop.ai.models import ModelStatus, ModelVersion, Prediction
from crowdloop.client import ApiError, Client
from crowdloop.projects.models import Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.helpers import actors, client_for, project_body

NO_CONTROLS = {"control_rate": 0}


def _status(client: Client, project_id: int) -> dict[str, Any]:
    return dict(client.request("GET", f"/projects/{project_id}/allocation"))


def _difficulty(client: Client, project_id: int, task_id: int) -> dict[str, Any]:
    return dict(client.request("GET", f"/projects/{project_id}/tasks/{task_id}/difficulty"))


class TestAllocationStatus:
    def test_tasks_needing_a_skill_nobody_has_are_reported(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(project_body(quality=NO_CONTROLS))
        a.requester.create_task(project["id"], {"data": {}})
        a.requester.create_task(project["id"], {"data": {}, "required_skills": ["medical"]})
        out = _status(a.requester, project["id"])
        assert out["open_tasks"] == 2
        assert out["eligible_workers"] == 2
        assert out["tasks_no_worker_can_take"] == 1
        assert any("constraints no worker meets" in p and "medical" in p for p in out["problems"])
        assert out["allocation"] == "value"

    def test_a_skilled_worker_clears_the_problem(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        client_for(app_client, db, Role.worker, skills=["medical"])
        project = a.requester.create_project(project_body(quality=NO_CONTROLS))
        a.requester.create_task(project["id"], {"data": {}, "required_skills": ["medical"]})
        out = _status(a.requester, project["id"])
        assert out["tasks_no_worker_can_take"] == 0
        assert out["problems"] == []

    def test_escalated_tasks_waiting_for_a_strong_worker(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        dynamic = {"min_answers": 1, "max_answers": 5, "escalate_after": 2}
        quality = {**NO_CONTROLS, "dynamic_overlap": dynamic}
        project = a.requester.create_project(project_body(quality=quality))
        task = a.requester.create_task(project["id"], {"data": {}})
        with unit_of_work(db) as session:
            session.execute(
                update(Task).where(Task.id == task["id"]).values(n_answers=2, confidence=0.5)
            )
        out = _status(a.requester, project["id"])
        assert out["escalated_waiting"] == 1
        assert out["strong_workers"] == 0
        assert any("escalated" in p for p in out["problems"])
        with pytest.raises(ApiError) as err:  # the weak worker is told plainly
            a.workers[0].next_task(project["id"])
        assert err.value.status == 404
        assert "no task is available for you" in err.value.detail

    def test_only_the_owner_or_an_admin_sees_it(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body())
        assert _status(a.admin, project["id"])["open_tasks"] == 0
        for other in (a.other_requester, a.workers[0]):
            with pytest.raises(ApiError) as err:
                _status(other, project["id"])
            assert err.value.status == 404

    def test_empty_project_says_so(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body())
        out = _status(a.requester, project["id"])
        assert any(p.startswith("no open tasks") for p in out["problems"])


class TestDifficulty:
    def test_split_answers_are_harder_than_agreement(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(project_body(quality=NO_CONTROLS, overlap=3))
        easy = a.requester.create_task(project["id"], {"data": {"i": 0}, "priority": 1})
        hard = a.requester.create_task(project["id"], {"data": {"i": 1}})
        answers = [("cat", "cat"), ("cat", "dog"), ("cat", "bird")]
        for worker, labels in zip(a.workers, answers, strict=True):
            for label in labels:
                worker.submit(worker.next_task(project["id"])["id"], label)
        d_easy = _difficulty(a.requester, project["id"], easy["id"])
        d_hard = _difficulty(a.requester, project["id"], hard["id"])
        assert d_easy["n_answers"] == d_hard["n_answers"] == 3
        assert d_easy["disagreement"] == 0.0
        assert d_hard["disagreement"] == pytest.approx(1.0)
        assert d_hard["difficulty"] > d_easy["difficulty"]

    def test_prior_alone_when_nothing_is_answered(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body())
        task = a.requester.create_task(project["id"], {"data": {}, "difficulty": 0.9})
        out = _difficulty(a.requester, project["id"], task["id"])
        assert out["difficulty"] == pytest.approx(0.9)
        assert out["entropy"] is None

    def test_model_uncertainty_is_a_signal_when_ai_is_on(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body())
        pid = project["id"]
        task = a.requester.create_task(pid, {"data": {}})
        with unit_of_work(db) as session:
            version = ModelVersion(
                project_id=pid, version=1, kind="tfidf", status=ModelStatus.ready
            )
            session.add(version)
            session.flush()
            session.add(
                Prediction(
                    project_id=pid,
                    task_id=task["id"],
                    model_version_id=version.id,
                    label="cat",
                    confidence=0.7,
                    probabilities=[0.7, 0.2, 0.1],
                )
            )
        off = _difficulty(a.requester, pid, task["id"])
        assert off["model_uncertainty"] is None  # AI is off: the model is not consulted
        assert off["difficulty"] == pytest.approx(0.5)  # no signal at all
        a.requester.request("PUT", f"/projects/{pid}/ai", json={"enabled": True})
        on = _difficulty(a.requester, pid, task["id"])
        assert on["model_uncertainty"] == pytest.approx(0.3)
        assert on["difficulty"] == pytest.approx(0.3)  # the only signal

    def test_unknown_task(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body())
        with pytest.raises(ApiError) as err:
            _difficulty(a.requester, project["id"], 424242)
        assert err.value.status == 404
        assert "task 424242 not found" in err.value.detail
