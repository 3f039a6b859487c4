from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.projects.quality_config import DynamicOverlap
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


def test_stopping_holds_however_errors_spread_over_three_labels(
    app_client: TestClient, db: Database
) -> None:
    """Two agreeing answers from 70% workers: the posterior says 0.92 when errors spread
    evenly over the two wrong labels, but only 0.84 if they all go to one; at a 0.9 target
    the task asks for a third answer, and the stored confidence stays the posterior."""
    a = actors(app_client, db, n_workers=7)
    dynamic = {"min_answers": 2, "max_answers": 4, "target_confidence": 0.9}
    project = a.requester.create_project(
        project_body(overlap=2, quality=_quality(control_rate=0.0, dynamic_overlap=dynamic))
    )
    pid = project["id"]
    for label in ("cat", "dog", "bird"):  # a first fit: priors and two fitted workers
        a.requester.create_task(pid, {"data": {"warm": label}})
    for worker in a.workers[:2]:
        for _ in range(3):
            job = worker.next_task(pid)
            worker.submit(job["id"], job["data"]["warm"])
    a.requester.request("POST", f"/projects/{pid}/quality/refit")
    task = a.requester.create_task(pid, {"data": {"new": True}})
    for worker in a.workers[2:4]:  # not fitted yet: the default 70% confusion
        worker.submit(worker.next_task(pid)["id"], "dog")
    after_two = a.requester.request("GET", f"/projects/{pid}/tasks/{task['id']}")
    assert after_two["n_answers"] == 2
    assert after_two["confidence"] > 0.9  # the posterior alone would have stopped here
    assert after_two["overlap"] > 2  # still open: wants another answer
    a.workers[4].submit(a.workers[4].next_task(pid)["id"], "dog")
    after_three = a.requester.request("GET", f"/projects/{pid}/tasks/{task['id']}")
    assert after_three["n_answers"] == 3
    assert after_three["overlap"] == 3  # closed
    with pytest.raises(ApiError):
        a.workers[5].next_task(pid)  # closed at three: nothing left


def test_an_open_task_past_the_minimum_is_hard_whatever_its_posterior() -> None:
    dynamic = DynamicOverlap(min_answers=3, max_answers=6, target_confidence=0.9, escalate_after=2)
    assert not dynamic.is_hard(1, 0.2)  # too few answers to judge
    assert dynamic.is_hard(2, 0.5)  # under the minimum: judged on its confidence
    assert not dynamic.is_hard(2, 0.95)
    assert dynamic.is_hard(3, 0.95)  # open past the minimum: the stopping bound said no
    assert not DynamicOverlap(escalate_after=None).is_hard(10, 0.1)
