"""The workers view's actions: block by hand, unblock, undo an event; the audit trail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crowdloop.accounts.models import Role
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.quality_config import QualityRule
from crowdloop.quality import inference
from crowdloop.quality import service as quality
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.web.conftest import Browser, assignment_of

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]


def _setup(make_browser: Make, project_of: MakeProject) -> tuple[Browser, Project, Browser]:
    """An owner's project where one worker answered one task."""
    owner = make_browser(Role.requester)
    project = project_of(owner.user, n_tasks=2, overlap=2, quality={"control_rate": 0})
    worker = make_browser()
    job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
    after = worker.post(f"/work/assignments/{job}/submit", {"answer": "cat"}).text
    worker.post(f"/work/assignments/{assignment_of(after)}/release")
    return owner, project, worker


def _act(db: Database, project: Project, worker_id: int, action: str) -> int:
    with unit_of_work(db) as session:
        found = session.get(Project, project.id)
        assert found is not None
        wq = inference.ensure(session, project.id, worker_id)
        rule = QualityRule(kind="fast_answers", threshold=2, action=action)  # type: ignore[arg-type]
        return quality.act(session, found, wq, rule, "too fast", utcnow()).id


def _submitted(db: Database, worker_id: int) -> int:
    with unit_of_work(db, write=False) as session:
        rows = session.query(Assignment).filter_by(worker_id=worker_id)
        return sum(1 for a in rows if a.status == AssignmentStatus.submitted)


class TestBlockByHand:
    def test_blocks_with_reason_and_the_worker_is_told(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        page = owner.get(f"/console/projects/{project.id}/workers").text
        assert 'id="block-form"' in page
        form = {"worker_id": str(worker.user.id), "reason": "copy-pasted answers", "hours": "2"}
        response = owner.post(f"/console/projects/{project.id}/workers/block", form)
        assert response.status_code == 303
        page = owner.get(response.headers["location"]).text
        assert "The worker is blocked" in page
        assert "blocked until" in page
        assert "manual:block" in page  # the audit trail
        assert "copy-pasted answers" in worker.get(f"/work/projects/{project.id}").text

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"worker_id": ""}, "worker_id", "valid integer"),
            ({"worker_id": "999999"}, "worker_id", "worked on this project"),
            ({"reason": "x"}, "reason", "at least 3 characters"),
            ({"hours": "0"}, "hours", "greater than 0"),
            ({"hours": "soon"}, "hours", "valid number"),
            ({"hours": "100000"}, "hours", "less than or equal to 8760"),
        ],
    )
    def test_bad_input_is_explained_next_to_the_field(
        self,
        make_browser: Make,
        project_of: MakeProject,
        changes: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        form = {"worker_id": str(worker.user.id), "reason": "spam", "hours": "2", **changes}
        response = owner.post(f"/console/projects/{project.id}/workers/block", form)
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.text
        assert message in response.text
        assert "blocked until" not in response.text

    def test_needs_the_csrf_token(self, make_browser: Make, project_of: MakeProject) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        form = {"worker_id": str(worker.user.id), "reason": "spam", "hours": "2", "csrf": "x"}
        response = owner.post(f"/console/projects/{project.id}/workers/block", form)
        assert response.status_code == 403
        assert "CSRF" in response.text

    def test_only_the_owner_or_an_admin(self, make_browser: Make, project_of: MakeProject) -> None:
        _, project, worker = _setup(make_browser, project_of)
        form = {"worker_id": str(worker.user.id), "reason": "spam", "hours": "2"}
        other = make_browser(Role.requester)
        assert other.post(f"/console/projects/{project.id}/workers/block", form).status_code == 404
        admin = make_browser(Role.admin)
        response = admin.post(f"/console/projects/{project.id}/workers/block", form)
        assert response.status_code == 303


class TestUndo:
    def test_unblock(self, make_browser: Make, project_of: MakeProject, db: Database) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        _act(db, project, worker.user.id, "block")
        assert "too fast" in worker.get(f"/work/projects/{project.id}").text
        page = owner.get(f"/console/projects/{project.id}/workers").text
        assert f"Unblock {worker.user.username}" in page
        url = f"/console/projects/{project.id}/workers/{worker.user.id}/unblock"
        response = owner.post(url)
        assert response.status_code == 303
        page = owner.get(response.headers["location"]).text
        assert "The worker is unblocked" in page
        assert "blocked until" not in page
        assert "undone" in page
        assert "too fast" not in worker.get(f"/work/projects/{project.id}").text
        again = owner.post(url)
        assert again.status_code == 409
        assert "no block to undo" in again.text

    def test_restore_discarded_answers(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        event_id = _act(db, project, worker.user.id, "discard")
        assert _submitted(db, worker.user.id) == 0
        page = owner.get(f"/console/projects/{project.id}/workers").text
        assert "Restore answers" in page
        response = owner.post(f"/console/projects/{project.id}/events/{event_id}/revert")
        assert response.status_code == 303
        page = owner.get(response.headers["location"]).text
        assert "Undone" in page
        assert f"undone by {owner.user.username}, " in page  # who undid it, and when
        assert _submitted(db, worker.user.id) == 1

    def test_a_warning_cannot_be_undone(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner, project, worker = _setup(make_browser, project_of)
        event_id = _act(db, project, worker.user.id, "warn")
        page = owner.get(f"/console/projects/{project.id}/workers").text
        assert f"/events/{event_id}/revert" not in page
        response = owner.post(f"/console/projects/{project.id}/events/{event_id}/revert")
        assert response.status_code == 409
        assert "cannot be reverted" in response.text

    def test_reviewers_see_the_trail_but_cannot_act(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        _owner, project, worker = _setup(make_browser, project_of)
        event_id = _act(db, project, worker.user.id, "block")
        reviewer = make_browser(Role.reviewer)
        with unit_of_work(db) as session:
            found = session.get(Project, project.id)
            assert found is not None
            projects.add_member(session, found, session.merge(reviewer.user))
        page = reviewer.get(f"/console/projects/{project.id}/workers").text
        assert "too fast" in page
        assert "/revert" not in page
        response = reviewer.post(f"/console/projects/{project.id}/events/{event_id}/revert")
        assert response.status_code == 403
