"""The admin page of background jobs and parked events."""

from __future__ import annotations

from collections.abc import Callable

from crowdloop.accounts.models import Role
from crowdloop.events import service as events
from crowdloop.events.models import HandlingStatus
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from tests.jobs.test_admin import _failed_job, _parked
from tests.web.conftest import Browser

Make = Callable[..., Browser]


class TestPage:
    def test_admin_sees_and_retries(self, make_browser: Make, platform: Platform) -> None:
        handling_id = _parked(platform)
        _failed_job(platform)
        admin = make_browser(Role.admin)
        page = admin.get("/admin/jobs")
        assert page.status_code == 200
        assert "RuntimeError: boom" in page.text
        assert "ValueError: receiver down" in page.text
        done = admin.post(f"/admin/events/{handling_id}/retry")
        assert done.status_code == 303
        with unit_of_work(platform.db, write=False) as session:
            assert events.list_handlings(session, status=HandlingStatus.failed) == []
        assert admin.post("/admin/jobs/j-failed/retry").status_code == 303

    def test_a_requester_cannot_open_it(self, make_browser: Make) -> None:
        assert make_browser(Role.requester).get("/admin/jobs").status_code == 403
