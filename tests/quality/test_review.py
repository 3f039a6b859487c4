from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body
from tests.quality.test_api import _quality


class TestReview:
    def test_reject_rework_accept_flow(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(
            project_body(
                answer_schema={"type": "text"}, overlap=1, review_required=True, quality=_quality()
            )
        )
        pid = project["id"]
        a.requester.create_task(pid, {"data": {"doc": "translate me"}})
        w0, w1 = a.workers
        first = w0.next_task(pid)
        w0.submit(first["id"], "draft")
        queue = a.requester.request("GET", f"/projects/{pid}/review")
        assert [q["answer"] for q in queue] == ["draft"]
        with pytest.raises(ApiError) as err:  # a reason is required
            a.requester.request(
                "POST", f"/assignments/{first['id']}/review", json={"verdict": "rework"}
            )
        assert err.value.status == 422
        a.requester.request(
            "POST",
            f"/assignments/{first['id']}/review",
            json={"verdict": "rework", "reason": "missing the last sentence"},
        )
        mine = w0.request("GET", "/assignments")[0]
        assert mine["status"] == "rework"
        assert mine["review_reason"] == "missing the last sentence"
        w0.submit(first["id"], "better draft")
        a.requester.request(
            "POST",
            f"/assignments/{first['id']}/review",
            json={"verdict": "reject", "reason": "wrong"},
        )
        # Rejected: the task is back in the pool for someone else.
        second = w1.next_task(pid)
        assert second["task_id"] == first["task_id"]
        w1.submit(second["id"], "good translation")
        a.requester.request(
            "POST", f"/assignments/{second['id']}/review", json={"verdict": "accept"}
        )
        result = next(a.requester.results(pid))
        assert result["result"] == "good translation"
        workers = {
            w["worker_id"]: w for w in a.requester.request("GET", f"/projects/{pid}/workers")
        }
        assert workers[w1.me()["id"]]["n_accepted"] == 1
        assert workers[w0.me()["id"]]["n_rejected"] == 1
        with pytest.raises(ApiError) as err:  # already reviewed
            a.requester.request(
                "POST", f"/assignments/{second['id']}/review", json={"verdict": "accept"}
            )
        assert err.value.status == 409

    def test_worker_cannot_review(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(project_body(overlap=1, quality=_quality()))
        a.requester.create_task(project["id"], {"data": {}})
        job = a.workers[0].next_task(project["id"])
        a.workers[0].submit(job["id"], "cat")
        with pytest.raises(ApiError) as err:
            a.workers[1].request(
                "POST", f"/assignments/{job['id']}/review", json={"verdict": "accept"}
            )
        assert err.value.status == 404
