"""POST /projects/{id}/assign: push assignment through the conditional slot claim."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from crowdloop.accounts.models import Role
from crowdloop.client import ApiError, Client
from crowdloop.projects.models import Task
from crowdloop.quality.models import WorkerQuality
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.helpers import Actors, actors, client_for, project_body

NO_CONTROLS = {"control_rate": 0}


def _project(a: Actors, n_tasks: int, **overrides: Any) -> int:
    project = a.requester.create_project(project_body(quality=NO_CONTROLS, **overrides))
    for i in range(n_tasks):
        a.requester.create_task(project["id"], {"data": {"i": i}})
    return int(project["id"])


def _assign(client: Client, project_id: int, **body: Any) -> dict[str, Any]:
    return dict(client.request("POST", f"/projects/{project_id}/assign", json=body))


def _me(client: Client) -> int:
    return int(client.request("GET", "/me")["id"])


def _pairs(db: Database) -> list[tuple[int, int]]:
    with unit_of_work(db, write=False) as session:
        rows = session.execute(select(Assignment.task_id, Assignment.worker_id)).all()
    return [(int(t), int(w)) for t, w in rows]


class TestPush:
    def test_push_fills_every_slot_and_no_more(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=4)
        project_id = _project(a, 3, overlap=2)
        first = _assign(a.requester, project_id, capacity=2)
        assert first["created"] == 6  # 3 tasks x overlap 2
        pairs = _pairs(db)
        assert max(Counter(t for t, _ in pairs).values()) == 2
        with unit_of_work(db, write=False) as session:
            assert session.scalar(select(func.sum(Task.slots))) == 0
        with pytest.raises(ApiError) as err:
            _assign(a.requester, project_id, capacity=2)
        assert err.value.status == 409

    def test_a_pair_never_repeats(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 2, overlap=3)
        assert _assign(a.requester, project_id, capacity=3)["created"] == 4
        again = _assign(a.requester, project_id, capacity=3)
        assert again["created"] == 0  # slots left, but each worker had each task
        pairs = _pairs(db)
        assert len(pairs) == len(set(pairs)) == 4

    def test_dry_run_writes_nothing(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 2)
        plan = _assign(a.requester, project_id, dry_run=True)
        assert plan["planned"] == 2
        assert plan["created"] == 0
        assert all(item["assignment_id"] is None for item in plan["assignments"])
        assert _pairs(db) == []

    def test_pushed_leases_are_served_one_after_another(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 3, overlap=1)
        worker = a.workers[0]
        pushed = _assign(a.requester, project_id, worker_ids=[_me(worker)], capacity=3)
        ids = sorted(item["assignment_id"] for item in pushed["assignments"])
        assert len(ids) == 3
        served = []
        for _ in range(3):
            job = worker.next_task(project_id)
            served.append(job["id"])
            worker.submit(job["id"], "cat")
        assert sorted(served) == ids  # every pushed lease, no new claim while one is live
        with pytest.raises(ApiError) as err:
            worker.next_task(project_id)
        assert err.value.error == "NoTaskAvailable"

    def test_skills_are_a_hard_constraint(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        expert = client_for(app_client, db, Role.worker, skills=["medical"])
        project = a.requester.create_project(project_body(quality=NO_CONTROLS, overlap=1))
        a.requester.create_task(project["id"], {"data": {}, "required_skills": ["medical"]})
        out = _assign(a.requester, project["id"])
        assert [item["worker_id"] for item in out["assignments"]] == [_me(expert)]


class TestPushErrors:
    def _error(self, client: Client, project_id: int, **body: Any) -> ApiError:
        with pytest.raises(ApiError) as err:
            _assign(client, project_id, **body)
        return err.value

    def test_unknown_worker_ids(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        err = self._error(a.requester, project_id, worker_ids=[999_999])
        assert err.status == 422
        assert "unknown worker ids: 999999" in err.detail
        assert _pairs(db) == []

    def test_a_requester_is_not_a_worker(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        err = self._error(a.requester, project_id, worker_ids=[_me(a.other_requester)])
        assert err.status == 422
        assert "not a worker allowed" in err.detail

    @pytest.mark.parametrize("capacity", [0, -1, 1000])
    def test_bad_capacity(self, app_client: TestClient, db: Database, capacity: int) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        err = self._error(a.requester, project_id, capacity=capacity)
        assert err.status == 422
        assert _pairs(db) == []

    def test_capacities_for_workers_not_listed(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 1)
        me, other = _me(a.workers[0]), _me(a.workers[1])
        err = self._error(a.requester, project_id, worker_ids=[me], capacities={str(other): 2})
        assert err.status == 422
        assert "capacities name workers not in worker_ids" in err.detail

    def test_non_owner_cannot_assign(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        assert self._error(a.other_requester, project_id).status == 404
        assert self._error(a.workers[0], project_id).status == 404
        assert _assign(a.admin, project_id, dry_run=True)["planned"] == 1

    def test_no_open_tasks(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 0)
        err = self._error(a.requester, project_id)
        assert err.status == 409
        assert "no open tasks" in err.detail

    def test_no_worker_available(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        project_id = _project(a, 1)
        err = self._error(a.requester, project_id)
        assert err.status == 409
        assert "no worker is available" in err.detail

    def test_unknown_field_is_rejected(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        assert self._error(a.requester, project_id, workers=3).status == 422


class TestPushConstraints:
    def test_escalated_task_is_not_pushed_to_a_weak_worker(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        dynamic = {"min_answers": 1, "max_answers": 5, "escalate_after": 2}
        project = a.requester.create_project(
            project_body(quality={**NO_CONTROLS, "dynamic_overlap": dynamic})
        )
        hard = a.requester.create_task(project["id"], {"data": {"hard": True}})
        easy = a.requester.create_task(project["id"], {"data": {"hard": False}})
        with unit_of_work(db) as session:
            session.execute(
                update(Task).where(Task.id == hard["id"]).values(n_answers=2, confidence=0.4)
            )
        out = _assign(a.requester, project["id"], capacity=2)
        assert [item["task_id"] for item in out["assignments"]] == [easy["id"]]

    def test_a_blocked_worker_is_refused_by_name(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a, 1)
        worker_id = _me(a.workers[0])
        with unit_of_work(db) as session:
            session.add(
                WorkerQuality(
                    project_id=project_id,
                    worker_id=worker_id,
                    blocked_until=utcnow() + timedelta(hours=1),
                    block_reason="test",
                )
            )
        with pytest.raises(ApiError) as err:
            _assign(a.requester, project_id, worker_ids=[worker_id])
        assert err.value.status == 422
        assert f"worker {worker_id} cannot get tasks now: blocked" in err.value.detail
        with pytest.raises(ApiError) as err:  # and left out of the default set
            _assign(a.requester, project_id)
        assert err.value.status == 409


class TestPushMethods:
    @pytest.mark.parametrize("method", ["greedy", "lap", "auto"])
    def test_each_method_leases_the_optimum_here(
        self, app_client: TestClient, db: Database, method: str
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 2, overlap=1)
        assert _assign(a.requester, project_id, method=method)["created"] == 2

    def test_lap_needs_one_side_of_capacity_one(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 2, overlap=2)
        with pytest.raises(ApiError) as err:
            _assign(a.requester, project_id, method="lap", capacity=2)
        assert err.value.status == 422
        assert _pairs(db) == []


class TestPushBudget:
    def test_push_stops_when_the_budget_runs_out(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=3)
        project_id = _project(a, 3, overlap=1, reward_cents=5, budget_cents=10)
        out = _assign(a.requester, project_id)
        assert out["created"] == 2
        assert out["budget_exhausted"] is True
        assert len(_pairs(db)) == 2


class TestPushCapacities:
    def test_per_worker_capacity_overrides_the_default(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        project_id = _project(a, 5, overlap=1)
        first, second = _me(a.workers[0]), _me(a.workers[1])
        out = _assign(
            a.requester,
            project_id,
            worker_ids=[first, second],
            capacity=1,
            capacities={str(first): 3},
        )
        per_worker = Counter(item["worker_id"] for item in out["assignments"])
        assert per_worker == {first: 3, second: 1}
