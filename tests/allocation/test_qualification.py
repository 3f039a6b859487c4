"""Qualification test: controls only until N are answered, then blocked under the bar."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError, Client
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body

QUALIFY = {"control_rate": 0, "qualification": {"tasks": 2, "min_accuracy": 0.5}}


def _project(requester: Client) -> int:
    project = requester.create_project(project_body(overlap=1, quality=QUALIFY))
    for i in range(3):
        requester.create_task(project["id"], {"data": {"i": i}})
    for gold in ("cat", "dog", "bird"):
        requester.create_task(project["id"], {"data": {"control": gold}, "gold": gold})
    return int(project["id"])


def _answer_controls(worker: Client, project_id: int, answers: list[str]) -> list[dict[str, Any]]:
    seen = []
    for answer in answers:
        job = worker.next_task(project_id)
        seen.append(job)
        gold = job["data"]["control"]
        wrong = "dog" if gold == "cat" else "cat"
        worker.submit(job["id"], gold if answer == "gold" else wrong)
    return seen


class TestQualification:
    def test_worker_who_passes_gets_regular_tasks(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a.requester)
        seen = _answer_controls(a.workers[0], project_id, ["gold", "gold"])
        assert all("control" in job["data"] for job in seen)  # controls only, first
        assert "i" in a.workers[0].next_task(project_id)["data"]

    def test_worker_who_fails_is_blocked_with_the_reason(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a.requester)
        _answer_controls(a.workers[0], project_id, ["wrong", "wrong"])
        with pytest.raises(ApiError) as err:
            a.workers[0].next_task(project_id)
        assert err.value.status == 403
        assert "qualification failed: 0 of 2" in err.value.detail

    def test_too_few_controls_is_a_clear_no_task(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        body = {**QUALIFY, "qualification": {"tasks": 5, "min_accuracy": 0.5}}
        project = a.requester.create_project(project_body(quality=body))
        a.requester.create_task(project["id"], {"data": {"i": 0}})
        with pytest.raises(ApiError) as err:
            a.workers[0].next_task(project["id"])
        assert err.value.status == 404
        assert "qualification" in err.value.detail

    def test_bad_qualification_config_is_rejected(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        bad = {"qualification": {"tasks": 0, "min_accuracy": 0.5}}
        with pytest.raises(ApiError) as err:
            a.requester.create_project(project_body(quality=bad))
        assert err.value.status == 422

    def test_the_requester_can_revert_a_failed_qualification(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project_id = _project(a.requester)
        _answer_controls(a.workers[0], project_id, ["wrong", "wrong"])
        events = a.requester.request("GET", f"/projects/{project_id}/quality/events")
        assert [e["rule"] for e in events] == ["qualification:block"]
        a.requester.request(
            "POST", f"/projects/{project_id}/quality/events/{events[0]['id']}/revert"
        )
        assert "data" in a.workers[0].next_task(project_id)
