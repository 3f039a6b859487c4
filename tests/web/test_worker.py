"""The worker's workspace: stream, answer types, skip/release, leases, and no leaks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from crowdloop.accounts.models import Role
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.web.conftest import FETCH, Browser, assignment_of

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]


def _status(db: Database, assignment_id: int) -> AssignmentStatus:
    with unit_of_work(db, write=False) as session:
        found = session.get(Assignment, assignment_id)
        assert found is not None
        return found.status


class TestHome:
    def test_lists_open_projects_and_earnings(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester).user
        project = project_of(owner, name="Cats or dogs", reward_cents=25)
        worker = make_browser()
        page = worker.get(f"/work/projects/{project.id}")
        worker.post(f"/work/assignments/{assignment_of(page.text)}/submit", {"answer": "cat"})
        home = worker.get("/work")
        assert home.status_code == 200
        assert "Cats or dogs" in home.text
        assert 'id="earnings">$0.25<' in home.text

    def test_members_only_project_is_hidden(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester).user
        project = project_of(owner, name="Secret club", visibility="members")
        worker = make_browser()
        assert "Secret club" not in worker.get("/work").text
        assert worker.get(f"/work/projects/{project.id}").status_code == 404


class TestStream:
    def test_submit_returns_the_next_task_fragment(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=2)
        worker = make_browser()
        page = worker.get(f"/work/projects/{project.id}")
        assert page.status_code == 200
        assert "<kbd>1</kbd> cat" in page.text
        assert 'role="timer"' in page.text
        first = assignment_of(page.text)
        response = worker.post(
            f"/work/assignments/{first}/submit", {"answer": "dog"}, headers=FETCH
        )
        assert response.status_code == 200
        assert "<html" not in response.text  # a fragment, not a page
        second = assignment_of(response.text)
        assert second != first
        assert _status(db, first) == AssignmentStatus.submitted
        last = worker.post(f"/work/assignments/{second}/submit", {"answer": "cat"}, headers=FETCH)
        assert 'id="no-task"' in last.text

    def test_without_javascript_submit_renders_the_whole_page(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=2)
        worker = make_browser()
        first = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        response = worker.post(f"/work/assignments/{first}/submit", {"answer": "dog"})
        assert response.status_code == 200
        assert "<html" in response.text
        assert assignment_of(response.text) != first

    def test_reopening_the_workspace_keeps_the_live_task(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        project = project_of(make_browser(Role.requester).user)
        worker = make_browser()
        first = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        assert assignment_of(worker.get(f"/work/projects/{project.id}").text) == first

    def test_invalid_answer_is_explained_and_nothing_is_stored(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        project = project_of(make_browser(Role.requester).user)
        worker = make_browser()
        job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        for body in ({"answer": "horse"}, {}):
            response = worker.post(f"/work/assignments/{job}/submit", body, headers=FETCH)
            assert response.status_code == 422
            assert 'id="answer-error"' in response.text
            assert assignment_of(response.text) == job  # the same task, still theirs
        assert _status(db, job) == AssignmentStatus.active

    def test_multiple_choice_rating_and_text(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester).user
        cases: list[tuple[dict[str, Any], dict[str, Any], Any]] = [
            (
                {"type": "multiple_choice", "labels": ["a", "b", "c"]},
                {"answer": ["c", "a"]},
                ["a", "c"],
            ),
            ({"type": "rating", "min": 1, "max": 5, "step": 1}, {"answer": "4"}, 4.0),
            ({"type": "rating", "min": 0, "max": 100, "step": 0.5}, {"answer": "42.5"}, 42.5),
            ({"type": "text", "max_length": 50}, {"answer": "  hello  "}, "hello"),
        ]
        for schema, body, stored in cases:
            project = project_of(owner, answer_schema=schema)
            worker = make_browser()
            page = worker.get(f"/work/projects/{project.id}").text
            job = assignment_of(page)
            assert worker.post(f"/work/assignments/{job}/submit", body).status_code == 200
            with unit_of_work(db, write=False) as session:
                found = session.get(Assignment, job)
                assert found is not None
                assert found.answer == stored, schema

    def test_rating_keys_and_bad_number(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester).user
        keyed = project_of(owner, answer_schema={"type": "rating", "min": 1, "max": 5, "step": 1})
        worker = make_browser()
        page = worker.get(f"/work/projects/{keyed.id}").text
        assert "<kbd>5</kbd> 5" in page
        wide = project_of(owner, answer_schema={"type": "rating", "min": 0, "max": 100, "step": 1})
        page = worker.get(f"/work/projects/{wide.id}").text
        assert 'type="number"' in page
        response = worker.post(
            f"/work/assignments/{assignment_of(page)}/submit", {"answer": "lots"}
        )
        assert response.status_code == 422
        assert "must be a number" in response.text

    def test_skip_gives_the_next_task_and_release_leaves(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=3)
        worker = make_browser()
        first = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        response = worker.post(f"/work/assignments/{first}/skip", headers=FETCH)
        assert "Skipped." in response.text
        second = assignment_of(response.text)
        assert _status(db, first) == AssignmentStatus.skipped
        response = worker.post(f"/work/assignments/{second}/release")
        assert response.status_code == 303
        assert response.headers["location"] == "/work?released=1"
        assert _status(db, second) == AssignmentStatus.released
        assert "went back to the pool" in worker.get("/work?released=1").text
        # releasing twice is harmless
        assert worker.post(f"/work/assignments/{second}/release").status_code == 303

    def test_expired_lease_is_explained_and_a_new_task_given(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=2)
        worker = make_browser()
        job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        with unit_of_work(db) as session:
            session.execute(
                update(Assignment)
                .where(Assignment.id == job)
                .values(lease_expires_at=utcnow() - timedelta(seconds=5))
            )
        response = worker.post(f"/work/assignments/{job}/submit", {"answer": "cat"}, headers=FETCH)
        assert response.status_code == 200
        assert "ran out" in response.text
        assert _status(db, job) == AssignmentStatus.expired
        assert assignment_of(response.text) != job

    def test_double_submit_moves_on(self, make_browser: Make, project_of: MakeProject) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=2)
        worker = make_browser()
        job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        worker.post(f"/work/assignments/{job}/submit", {"answer": "cat"}, headers=FETCH)
        again = worker.post(f"/work/assignments/{job}/submit", {"answer": "cat"}, headers=FETCH)
        assert again.status_code == 200
        assert "already finished" in again.text

    def test_someone_elses_assignment_is_not_found(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        project = project_of(make_browser(Role.requester).user)
        alice, bob = make_browser(), make_browser()
        job = assignment_of(alice.get(f"/work/projects/{project.id}").text)
        for action in ("submit", "skip", "release"):
            response = bob.post(f"/work/assignments/{job}/{action}", {"answer": "cat"})
            assert response.status_code == 404, action

    def test_instructions_are_rendered_safely(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        text = "# Read me\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1))"
        project = project_of(make_browser(Role.requester).user, instructions=text)
        page = make_browser().get(f"/work/projects/{project.id}/instructions").text
        assert "<h1>Read me</h1>" in page
        assert "<strong>bold</strong>" in page
        assert "<script>alert" not in page
        assert 'href="javascript:' not in page
        assert "&lt;script&gt;" in page

    def test_paused_project_is_explained(self, make_browser: Make, project_of: MakeProject) -> None:
        project = project_of(make_browser(Role.requester).user, status="paused")
        page = make_browser().get(f"/work/projects/{project.id}")
        assert page.status_code == 403
        assert "paused" in page.text


class TestNoLeaks:
    SECRETS = ("GOLD-ANSWER-7731", "EXPLAIN-5512", "ALICE-SECRET-9917")

    def test_other_workers_answers_never_reach_a_worker(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        """Text project, overlap 2: bob gets alice's task but never sees her answer."""
        requester = make_browser(Role.requester)
        project = project_of(
            requester.user,
            n_tasks=1,
            answer_schema={"type": "text"},
            overlap=2,
            quality={"control_rate": 0},
        )
        alice, bob = make_browser(), make_browser()
        job = assignment_of(alice.get(f"/work/projects/{project.id}").text)
        alice.post(f"/work/assignments/{job}/submit", {"answer": "ALICE-SECRET-9917"})
        page = bob.get(f"/work/projects/{project.id}")
        assert _task_id(db, assignment_of(page.text)) == _task_id(db, job)  # the same task
        pages = [
            page,
            bob.get(f"/work/projects/{project.id}/instructions"),
            bob.get("/work"),
            bob.get(f"/console/projects/{project.id}"),
            bob.get(f"/console/projects/{project.id}/events?limit=1"),
            bob.get(f"/console/projects/{project.id}/results"),
            bob.get(f"/console/projects/{project.id}/tasks/{_task_id(db, job)}"),
            bob.get(f"/console/projects/{project.id}/export?format=jsonl"),
        ]
        for shown in pages:
            assert "ALICE-SECRET-9917" not in shown.text, shown.url
        assert [p.status_code for p in pages[3:]] == [404] * 5
        detail = requester.get(f"/console/projects/{project.id}/tasks/{_task_id(db, job)}").text
        assert "ALICE-SECRET-9917" in detail  # the requester, on the other hand, sees it

    def test_gold_is_hidden_until_a_wrong_answer_earns_feedback(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        """A control task looks like any other task: no gold or explanation in the page;
        after a wrong answer the worker is told the expected answer, and only then."""
        requester = make_browser(Role.requester)
        project = project_of(
            requester.user,
            n_tasks=2,
            answer_schema={"type": "text"},
            quality={"control_rate": 1.0},
            tasks=[{"gold": "GOLD-ANSWER-7731", "gold_explanation": "EXPLAIN-5512"}],
        )
        for worker in (make_browser(), make_browser()):
            page = worker.get(f"/work/projects/{project.id}")
            job = assignment_of(page.text)
            for secret in ("GOLD-ANSWER-7731", "EXPLAIN-5512"):
                assert secret not in page.text
            with unit_of_work(db, write=False) as session:
                found = session.get(Assignment, job)
                assert found is not None
                assert session.get(Task, found.task_id).is_control  # type: ignore[union-attr]
            after = worker.post(
                f"/work/assignments/{job}/submit", {"answer": "wrong"}, headers=FETCH
            )
            assert 'id="control-feedback"' in after.text
            assert "GOLD-ANSWER-7731" in after.text
            assert "EXPLAIN-5512" in after.text
        right = make_browser()
        job = assignment_of(right.get(f"/work/projects/{project.id}").text)
        after = right.post(
            f"/work/assignments/{job}/submit", {"answer": "GOLD-ANSWER-7731"}, headers=FETCH
        )
        assert 'id="control-feedback"' not in after.text
        assert "EXPLAIN-5512" not in after.text


def _task_id(db: Database, assignment_id: int) -> int:
    with unit_of_work(db, write=False) as session:
        found = session.get(Assignment, assignment_id)
        assert found is not None
        return int(found.task_id)
