from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body
from tests.quality.test_api import _quality


class TestDynamicOverlap:
    def test_stops_early_on_agreement_and_extends_contested_tasks(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=5)
        dynamic = {"min_answers": 2, "max_answers": 4, "target_confidence": 0.9}
        project = a.requester.create_project(
            project_body(overlap=3, quality=_quality(dynamic_overlap=dynamic))
        )
        pid = project["id"]
        easy = a.requester.create_task(pid, {"data": {"kind": "easy"}})
        hard = a.requester.create_task(pid, {"data": {"kind": "hard"}})
        assert easy["overlap"] == 2
        answers = {"easy": ["cat", "cat"], "hard": ["cat", "dog", "bird", "cat"]}
        given: dict[str, int] = {"easy": 0, "hard": 0}
        for worker in a.workers:
            while True:
                try:
                    job = worker.next_task(pid)
                except ApiError:
                    break
                kind = job["data"]["kind"]
                worker.submit(job["id"], answers[kind][given[kind]])
                given[kind] += 1
        tasks = {t["id"]: t for t in a.requester.request("GET", f"/projects/{pid}/tasks")["items"]}
        assert tasks[easy["id"]]["n_answers"] == 2  # unanimous: stopped at the minimum
        assert tasks[hard["id"]]["n_answers"] == 4  # contested: went on to the maximum

    def test_invalid_dynamic_overlap_is_422(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        bad = {"min_answers": 4, "max_answers": 2}
        with pytest.raises(ApiError) as err:
            a.requester.create_project(project_body(quality=_quality(dynamic_overlap=bad)))
        assert err.value.status == 422


def test_hard_tasks_escalate_to_proven_workers(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=4)
    dynamic = {
        "min_answers": 2,
        "max_answers": 4,
        "target_confidence": 0.9,
        "escalate_after": 2,
        "escalate_ability": 0.3,
    }
    project = a.requester.create_project(
        project_body(overlap=2, quality=_quality(control_rate=0.0, dynamic_overlap=dynamic))
    )
    pid = project["id"]
    a.requester.create_task(pid, {"data": {"hard": True}})
    a.workers[0].submit(a.workers[0].next_task(pid)["id"], "cat")
    a.workers[1].submit(a.workers[1].next_task(pid)["id"], "dog")  # now contested and hard
    newcomer, proven = a.workers[2], a.workers[3]
    with pytest.raises(ApiError):
        newcomer.next_task(pid)  # unknown ability: not for hard tasks
    # A worker with a record of right control answers qualifies.
    a.requester.request(
        "PATCH",
        f"/projects/{pid}",
        json={"quality": _quality(control_rate=1.0, dynamic_overlap=dynamic)},
    )
    for i in range(4):
        a.requester.create_task(pid, {"data": {"control": i}, "gold": "bird"})
    for _ in range(4):
        job = proven.next_task(pid)
        proven.submit(job["id"], "bird")
    job = proven.next_task(pid)
    assert job["data"] == {"hard": True}
