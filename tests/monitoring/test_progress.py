"""GET /projects/{id}/progress: the dashboard's figures as data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.monitoring.service import eta_seconds, rate_per_hour
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from tests.helpers import actors, project_body


def _progress(client: object, project_id: int) -> dict[str, object]:
    return dict(client.request("GET", f"/projects/{project_id}/progress"))  # type: ignore[attr-defined]


def test_figures_follow_the_answers(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=2)
    body = project_body(overlap=2, reward_cents=10, budget_cents=1000, quality={"control_rate": 0})
    pid = a.requester.create_project(body)["id"]
    for i in range(3):
        a.requester.create_task(pid, {"data": {"text": f"item {i}"}})
    empty = _progress(a.requester, pid)
    assert empty["answers_wanted"] == 6
    assert empty["progress"] == 0
    assert empty["estimated_accuracy"] is None
    assert empty["eta_seconds"] is None  # no answers yet: unknown
    assert empty["confidence_bins"] == [0] * 10
    for worker in a.workers:
        for _ in range(3):
            worker.submit(worker.next_task(pid)["id"], "cat")
    done = _progress(a.requester, pid)
    assert done["remaining_answers"] == 0
    assert done["progress"] == 1
    assert done["spent_cents"] == 60
    assert done["budget_share"] == pytest.approx(0.06)
    assert done["eta_seconds"] == 0
    assert done["n_results"] == 3
    assert sum(done["confidence_bins"]) == 3  # type: ignore[arg-type]
    assert done["estimated_accuracy"] is not None
    assert 0 < done["estimated_accuracy"] <= 1  # type: ignore[operator]
    assert done["answers_per_hour"] == 6


def test_only_readers_see_progress(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=1)
    pid = a.requester.create_project(project_body())["id"]
    for client in (a.other_requester, a.workers[0]):
        with pytest.raises(ApiError) as err:
            _progress(client, pid)
        assert err.value.status == 404
    assert _progress(a.admin, pid)["project_id"] == pid


def test_rate_and_eta() -> None:
    now = utcnow()
    recent = [now - timedelta(minutes=m) for m in (50, 30, 10)]
    assert rate_per_hour(recent, now) == 3
    old = [now - timedelta(hours=h) for h in (4, 2)]
    assert rate_per_hour(old, now) == pytest.approx(1.0)
    assert rate_per_hour([], now) == 0
    assert eta_seconds(0, 0) == 0
    assert eta_seconds(5, 0) is None
    assert eta_seconds(30, 60) == pytest.approx(1800)
