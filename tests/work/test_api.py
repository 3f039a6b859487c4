from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.helpers import actors, project_body


class TestLabellingLoop:
    def test_worker_pulls_submits_and_result_is_majority(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db)
        project = a.requester.create_project(project_body(overlap=3))
        task = a.requester.create_task(project["id"], {"data": {"image": "x.png"}})
        for worker, label in zip(a.workers, ["cat", "dog", "cat"], strict=True):
            job = worker.next_task(project["id"])
            assert job["task_id"] == task["id"]
            assert job["data"] == {"image": "x.png"}
            worker.submit(job["id"], label)
        results = list(a.requester.results(project["id"]))
        assert results[0]["result"] == "cat"
        assert results[0]["confidence"] == pytest.approx(2 / 3)
        assert results[0]["n_answers"] == 3

    def test_task_never_goes_to_same_worker_twice(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=3))
        a.requester.create_task(project["id"], {"data": {"t": 1}})
        worker = a.workers[0]
        worker.submit(worker.next_task(project["id"])["id"], "cat")
        with pytest.raises(ApiError) as err:
            worker.next_task(project["id"])
        assert err.value.status == 404
        assert err.value.error == "NoTaskAvailable"

    def test_next_returns_the_live_assignment_again(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body())
        for i in range(3):
            a.requester.create_task(project["id"], {"data": {"i": i}})
        first = a.workers[0].next_task(project["id"])
        assert a.workers[0].next_task(project["id"])["id"] == first["id"]

    def test_submit_with_next_returns_following_task(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body())
        for i in range(2):
            a.requester.create_task(project["id"], {"data": {"i": i}})
        job = a.workers[0].next_task(project["id"])
        out = a.workers[0].submit(job["id"], "dog", next=True)
        assert out["assignment"]["status"] == "submitted"
        assert out["next"]["task_id"] != job["task_id"]
        last = a.workers[0].submit(out["next"]["id"], "dog", next=True)
        assert last["next"] is None

    def test_skip_and_release_return_the_slot(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {}})
        w1, w2, w3 = a.workers
        assert w1.skip(w1.next_task(project["id"])["id"])["status"] == "skipped"
        assert w2.release(w2.next_task(project["id"])["id"])["status"] == "released"
        job = w3.next_task(project["id"])
        w3.submit(job["id"], "bird")
        with pytest.raises(ApiError):
            w1.next_task(project["id"])  # skipped tasks never come back to the same worker

    def test_overlap_caps_live_assignments(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(project_body(overlap=2))
        a.requester.create_task(project["id"], {"data": {}})
        a.workers[0].next_task(project["id"])
        a.workers[1].next_task(project["id"])
        with pytest.raises(ApiError) as err:
            a.workers[2].next_task(project["id"])
        assert err.value.status == 404

    def test_expired_lease_returns_task_to_pool(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {}})
        job = a.workers[0].next_task(project["id"])
        with unit_of_work(db) as session:
            row = session.get(Assignment, job["id"])
            assert row is not None
            row.lease_expires_at = utcnow() - timedelta(seconds=1)
        second = a.workers[1].next_task(project["id"])
        assert second["task_id"] == job["task_id"]
        with pytest.raises(ApiError) as err:
            a.workers[0].submit(job["id"], "cat")
        assert err.value.status == 410
        assert "expired" in err.value.detail


class TestBadAnswers:
    @pytest.mark.parametrize(
        ("schema", "bad"),
        [
            ({"type": "single_choice", "labels": ["a", "b"]}, "c"),
            ({"type": "single_choice", "labels": ["a", "b"]}, ["a"]),
            ({"type": "multiple_choice", "labels": ["a", "b"], "max_selected": 1}, ["a", "b"]),
            ({"type": "multiple_choice", "labels": ["a", "b"]}, ["zzz"]),
            ({"type": "rating", "min": 1, "max": 5}, 7),
            ({"type": "rating", "min": 1, "max": 5, "step": 1}, 2.5),
            ({"type": "rating", "min": 1, "max": 5}, "high"),
            ({"type": "text", "max_length": 5}, "too long text"),
            ({"type": "text"}, "   "),
        ],
    )
    def test_invalid_answer_is_422_and_assignment_stays_live(
        self, app_client: TestClient, db: Database, schema: dict[str, object], bad: object
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(answer_schema=schema, overlap=1))
        a.requester.create_task(project["id"], {"data": {}})
        job = a.workers[0].next_task(project["id"])
        with pytest.raises(ApiError) as err:
            a.workers[0].submit(job["id"], bad)
        assert err.value.status == 422
        assert err.value.error == "InvalidInput"
        assert a.workers[0].next_task(project["id"])["id"] == job["id"]

    def test_submit_twice_is_conflict(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {}})
        job = a.workers[0].next_task(project["id"])
        a.workers[0].submit(job["id"], "cat")
        with pytest.raises(ApiError) as err:
            a.workers[0].submit(job["id"], "dog")
        assert err.value.status == 409

    def test_other_workers_assignment_is_not_found(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(project_body())
        a.requester.create_task(project["id"], {"data": {}})
        job = a.workers[0].next_task(project["id"])
        with pytest.raises(ApiError) as err:
            a.workers[1].submit(job["id"], "cat")
        assert err.value.status == 404
