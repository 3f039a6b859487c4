"""The requester's console: wizard validation, preview, dashboard, live events, results,
workers view, export and import."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from crowdloop.accounts.models import Role
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.web.conftest import FETCH, Browser, assignment_of

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]

GOOD = {
    "name": "Birds",
    "task_type": "single_choice",
    "labels": "sparrow\nrobin\n\n",
    "instructions": "# Look closely",
    "overlap": "2",
    "reward_cents": "3",
    "budget_cents": "",
    "deadline": "",
}


def _count(db: Database, owner: Browser) -> int:
    with unit_of_work(db, write=False) as session:
        return len(projects.list_projects(session, owner.user))


def _answer_all(project: Project, make_browser: Make, answers: list[str]) -> None:
    """One new worker per answer; each answers once and leaves (releasing the next lease
    the stream gave them with the submit)."""
    for answer in answers:
        worker = make_browser()
        job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
        after = worker.post(f"/work/assignments/{job}/submit", {"answer": answer}).text
        if 'data-assignment="' in after:
            worker.post(f"/work/assignments/{assignment_of(after)}/release")


class TestWizard:
    def test_creates_a_project(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        page = me.get("/console/projects/new")
        assert page.status_code == 200
        assert 'name="task_type" value="rating"' in page.text
        response = me.post("/console/projects/new", GOOD)
        assert response.status_code == 303
        with unit_of_work(db, write=False) as session:
            (made,) = projects.list_projects(session, me.user)
            assert made.answer_schema["labels"] == ["sparrow", "robin"]
            assert (made.overlap, made.reward_cents, made.budget_cents) == (2, 3, None)
        assert response.headers["location"] == f"/console/projects/{made.id}?created=1"
        assert "import a file of tasks" in me.get(response.headers["location"]).text

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"name": ""}, "name", "at least 1 character"),
            ({"labels": "only-one"}, "labels", "at least 2 items"),
            ({"labels": "a\na"}, "labels", "labels must be unique"),
            ({"overlap": "0"}, "overlap", "greater than or equal to 1"),
            ({"overlap": "many"}, "overlap", "valid integer"),
            ({"reward_cents": "-5"}, "reward_cents", "greater than or equal to 0"),
            ({"deadline": "tomorrow"}, "deadline", "datetime"),
            (
                {"task_type": "rating", "rating_min": "5", "rating_max": "1"},
                "rating_max",
                "min &lt; max",
            ),
            ({"task_type": "rating", "rating_step": "x"}, "rating_step", "valid number"),
            ({"task_type": "text", "text_max_length": "0"}, "text_max_length", "greater than"),
            (
                {"task_type": "multiple_choice", "min_selected": "3", "max_selected": "1"},
                "max_selected",
                "max_selected must be &gt;= min_selected",
            ),
            ({"task_type": "video"}, "task_type", "tag"),
        ],
    )
    def test_errors_are_shown_next_to_their_field(
        self, make_browser: Make, db: Database, changes: dict[str, str], field: str, message: str
    ) -> None:
        me = make_browser(Role.requester)
        response = me.post("/console/projects/new", {**GOOD, **changes})
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.text
        error = response.text.split(f'id="{field}-error">')[1].split("</p>")[0]
        assert message in error
        assert 'aria-invalid="true"' in response.text
        assert "Please fix" in response.text
        assert _count(db, me) == 0  # nothing stored
        for value in changes.values():  # what the user typed is kept
            assert value.split("\n")[0] in response.text

    def test_valid_deadline_and_budget(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        body = {**GOOD, "deadline": "2031-05-01T12:30", "budget_cents": "5000"}
        assert me.post("/console/projects/new", body).status_code == 303
        with unit_of_work(db, write=False) as session:
            (made,) = projects.list_projects(session, me.user)
            assert made.deadline is not None
            assert made.deadline.isoformat().startswith("2031-05-01T12:30")
            assert made.budget_cents == 5000

    def test_workers_and_reviewers_cannot_create(self, make_browser: Make) -> None:
        for role in (Role.worker, Role.reviewer):
            assert make_browser(role).post("/console/projects/new", GOOD).status_code == 403

    def test_preview_escapes_raw_html(self, make_browser: Make) -> None:
        me = make_browser(Role.requester)
        me.get("/console/projects/new")
        response = me.http.post(
            "/console/preview",
            data={"instructions": "*hi* <img src=x onerror=alert(1)>"},
            headers={"X-CSRF-Token": me.csrf, **FETCH},
        )
        assert response.status_code == 200
        assert "<em>hi</em>" in response.text
        assert "<img" not in response.text
        no_token = me.http.post("/console/preview", data={"instructions": "x"}, headers=FETCH)
        assert no_token.status_code == 403


class TestDashboard:
    def test_shows_progress_cost_and_chart(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2, overlap=2, reward_cents=10, budget_cents=100)
        _answer_all(project, make_browser, ["cat", "cat", "dog"])
        page = owner.get(f"/console/projects/{project.id}")
        assert page.status_code == 200
        assert 'data-stat="answers">3<' in page.text
        assert 'data-stat="spent">$0.30<' in page.text
        assert "of 4 wanted" in page.text
        assert page.text.count('class="bar"') == 30 + 10  # throughput + confidence bins
        assert "answers per hour" in page.text
        assert owner.get("/console").status_code == 200

    def test_shows_estimated_accuracy_and_confidence_bins(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2, overlap=2)
        empty = owner.get(f"/console/projects/{project.id}")
        assert 'data-stat="accuracy">&ndash;<' in empty.text
        assert "no results yet" in empty.text
        _answer_all(project, make_browser, ["cat", "cat", "dog"])
        with unit_of_work(db, write=False) as session:
            found = projects.list_tasks(session, project, limit=10)
            confidences = [t.confidence for t in found if t.result is not None]
        assert len(confidences) == 2
        mean = sum(c for c in confidences if c is not None) / 2
        page = owner.get(f"/console/projects/{project.id}")
        assert f'data-stat="accuracy">{round(mean * 100, 1)}%<' in page.text
        assert "mean confidence of 2 results" in page.text
        assert "Results by confidence (2 tasks with a result" in page.text

    def test_other_requesters_get_404(self, make_browser: Make, project_of: MakeProject) -> None:
        project = project_of(make_browser(Role.requester).user)
        stranger = make_browser(Role.requester)
        for tail in (
            "",
            "/results",
            "/workers",
            "/import",
            "/events?limit=1",
            "/tasks/1",
            "/export?format=csv",
        ):
            assert stranger.get(f"/console/projects/{project.id}{tail}").status_code == 404, tail

    def test_event_stream_sends_the_panel(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2)
        _answer_all(project, make_browser, ["bird"])
        with owner.http.stream("GET", f"/console/projects/{project.id}/events?limit=1") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            body = stream.read().decode()
        assert body.startswith("retry: 2000")
        assert "event: stats\n" in body
        assert 'data-stat="answers">1<' in body
        assert all(
            line.startswith(("data: ", "event: ", "retry: ", "id: ")) or not line
            for line in body.splitlines()
        )


class TestResults:
    def test_filter_by_confidence_and_open_a_task(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2, overlap=2, quality={"control_rate": 0})
        # four workers: task A gets cat+cat (100%), task B gets cat+dog (50%)
        _answer_all(project, make_browser, ["cat", "cat", "cat", "dog"])
        every = owner.get(f"/console/projects/{project.id}/results").text
        assert every.count("/tasks/") == 2
        low = owner.get(f"/console/projects/{project.id}/results?max_confidence=0.5").text
        assert low.count("/tasks/") == 1
        assert 'value="0.5" selected' in low
        bad = owner.get(f"/console/projects/{project.id}/results?max_confidence=oops")
        assert bad.status_code == 200
        assert bad.text.count("/tasks/") == 2

    def test_task_detail_lists_every_answer_with_its_worker(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=1, overlap=2, quality={"control_rate": 0})
        alice, bob = make_browser(), make_browser()
        for worker, answer in ((alice, "cat"), (bob, "dog")):
            job = assignment_of(worker.get(f"/work/projects/{project.id}").text)
            worker.post(f"/work/assignments/{job}/submit", {"answer": answer})
        with unit_of_work(db, write=False) as session:
            (task,) = projects.list_tasks(session, project)
        page = owner.get(f"/console/projects/{project.id}/tasks/{task.id}").text
        assert alice.user.username in page
        assert bob.user.username in page
        assert "<td>dog</td>" in page
        assert owner.get(f"/console/projects/{project.id}/tasks/999999").status_code == 404

    def test_export_streams_the_api_export(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2)
        _answer_all(project, make_browser, ["cat"])
        response = owner.get(f"/console/projects/{project.id}/export?format=jsonl")
        assert response.status_code == 200
        assert "attachment" in response.headers["content-disposition"]
        rows = [json.loads(line) for line in response.text.splitlines()]
        assert len(rows) == 2
        csv = owner.get(f"/console/projects/{project.id}/export?format=csv")
        assert csv.headers["content-type"].startswith("text/csv")
        bad = owner.get(f"/console/projects/{project.id}/export?format=xlsx")
        assert bad.status_code == 422
        assert "unknown export format" in bad.text

    def test_workers_view(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=1, overlap=3, quality={"control_rate": 0})
        _answer_all(project, make_browser, ["cat", "cat", "dog"])
        page = owner.get(f"/console/projects/{project.id}/workers").text
        assert page.count("<tr>") == 4  # header + three workers
        assert "100%" in page
        assert "0%" in page


class TestImport:
    def _post(
        self, me: Browser, project: Project, name: str, content: bytes, **fields: str
    ) -> object:
        me.get(f"/console/projects/{project.id}/import")
        return me.http.post(
            f"/console/projects/{project.id}/import",
            data={"csrf": me.csrf, **fields},
            files={"file": (name, content)},
            headers=FETCH,
        )

    def test_csv_import_reports_counts(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        me = make_browser(Role.requester)
        project = project_of(me.user, n_tasks=0)
        response = self._post(me, project, "tasks.csv", b"text\nhello\nworld\n")
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert "Imported 2 of 2 rows" in response.text  # type: ignore[attr-defined]
        with unit_of_work(db, write=False) as session:
            assert projects.project_stats(session, project).tasks == 2

    def test_bad_rows_are_reported_and_nothing_imported(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        me = make_browser(Role.requester)
        project = project_of(me.user, n_tasks=0)
        body = b'{"data": {"text": "ok"}}\n{"data": {"text": "x"}, "gold": "zebra"}\nnot json\n'
        response = self._post(me, project, "tasks.jsonl", body)
        assert response.status_code == 422  # type: ignore[attr-defined]
        text = response.text  # type: ignore[attr-defined]
        assert "Nothing was imported" in text
        assert 'id="bad-rows"' in text
        assert "zebra" in text
        with unit_of_work(db, write=False) as session:
            assert projects.project_stats(session, project).tasks == 0
        skipped = self._post(me, project, "tasks.jsonl", body, on_error="skip")
        assert "Imported 1 of 3 rows" in skipped.text  # type: ignore[attr-defined]

    def test_missing_or_unknown_file(self, make_browser: Make, project_of: MakeProject) -> None:
        me = make_browser(Role.requester)
        project = project_of(me.user, n_tasks=0)
        me.get(f"/console/projects/{project.id}/import")
        no_file = me.http.post(
            f"/console/projects/{project.id}/import", data={"csrf": me.csrf}, headers=FETCH
        )
        assert no_file.status_code == 422
        assert "Choose a file" in no_file.text
        odd = self._post(me, project, "tasks.xlsx", b"???")
        assert odd.status_code == 422  # type: ignore[attr-defined]
        assert "cannot tell the format" in odd.text  # type: ignore[attr-defined]
        bad_format = self._post(me, project, "t.csv", b"text\na\n", format="xml")
        assert "unknown format" in bad_format.text  # type: ignore[attr-defined]

    def test_workers_cannot_import(self, make_browser: Make, project_of: MakeProject) -> None:
        project = project_of(make_browser(Role.requester).user, n_tasks=0)
        worker = make_browser()
        assert worker.get(f"/console/projects/{project.id}/import").status_code == 404
