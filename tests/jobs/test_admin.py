"""Jobs and parked events over the API and the admin page; only admins see them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from crowdloop.events import service as events
from crowdloop.events.bus import Published, Subscriber
from crowdloop.events.models import HandlingStatus
from crowdloop.events.types import EventType
from crowdloop.jobs.models import JobRun, JobStatus
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from tests.helpers import actors


def _parked(platform: Platform) -> int:
    def broken(_session: Session, _event: Published) -> None:
        raise ValueError("receiver down")

    platform.bus.subscribe(Subscriber("tests.parked", broken, max_attempts=1))
    with unit_of_work(platform.db) as session:
        events.publish(session, EventType.webhook_test, project_id=1)
    events.relay(platform.db, platform.bus)
    with unit_of_work(platform.db, write=False) as session:
        (handling,) = events.list_handlings(session, status=HandlingStatus.failed)
    return handling.id


def _failed_job(platform: Platform) -> None:
    with unit_of_work(platform.db) as session:
        session.add(
            JobRun(
                id="j-failed",
                name="work.expire_leases",
                args=[],
                status=JobStatus.failed,
                error="RuntimeError: boom",
            )
        )


class TestApi:
    def test_admin_lists_and_retries(self, app_client: TestClient, platform: Platform) -> None:
        team = actors(app_client, platform.db, n_workers=1)
        handling_id = _parked(platform)
        _failed_job(platform)
        listed = team.admin.request("GET", "/admin/jobs")
        assert [r["error"] for r in listed["runs"]] == ["RuntimeError: boom"]
        parked = team.admin.request("GET", "/admin/events/handlings?status=failed")
        assert [(h["id"], h["last_error"]) for h in parked] == [
            (handling_id, "ValueError: receiver down")
        ]
        again = team.admin.request("POST", f"/admin/events/handlings/{handling_id}/retry")
        assert again["status"] == "pending"
        new = team.admin.request("POST", "/admin/jobs/j-failed/retry")
        assert new["id"] != "j-failed"

    def test_others_are_refused_and_bad_ids_are_clear(
        self, app_client: TestClient, platform: Platform
    ) -> None:
        team = actors(app_client, platform.db, n_workers=1)
        for client in (team.requester, team.workers[0]):
            assert client.http.get("/api/v1/admin/jobs", headers=client.headers).status_code == 403
        missing = team.admin.http.post("/api/v1/admin/jobs/nope/retry", headers=team.admin.headers)
        assert missing.status_code == 404
        assert "not found" in missing.json()["detail"]
        bad = team.admin.http.post(
            "/api/v1/admin/events/handlings/999/retry", headers=team.admin.headers
        )
        assert bad.status_code == 404
