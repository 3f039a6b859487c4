"""Issue 11, finding 2: text that no database or JSON can hold is refused before anything
is written (a lone UTF-16 surrogate was committed, then broke every list and export)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdloop.client import Client
from crowdloop.projects.models import Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.text import problem
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.helpers import actors, project_body

SURROGATE_JSON = '"bad \\ud800 text"'  # valid JSON, but decodes to a lone surrogate


class TestProblem:
    @pytest.mark.parametrize(
        ("value", "found"),
        [
            ("fine ü 😀", None),
            ({"a": ["ok", {"b": "x\ud83dy"}]}, "value.a[1].b contains a lone surrogate U+D83D"),
            ({"k\x00": 1}, "value (a key) contains a NUL character"),
            ("nul\x00", "value contains a NUL character at position 3"),
            ([1, 2.5, None, True], None),
        ],
    )
    def test_finds_what_cannot_be_stored(self, value: object, found: str | None) -> None:
        got = problem(value)
        assert (got is None) if found is None else (got is not None and got.startswith(found))

    def test_deep_nesting_is_refused(self) -> None:
        value: object = "x"
        for _ in range(100):
            value = [value]
        assert "nested more than" in (problem(value) or "")


def _post_raw(client: Client, path: str, body: str) -> tuple[int, dict[str, object]]:
    response = client.http.post(
        f"/api/v1{path}",
        content=body.encode(),
        headers={**client.headers, "Content-Type": "application/json"},
    )
    return response.status_code, response.json()


def _tasks(db: Database) -> int:
    with unit_of_work(db, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


class TestRefusedBeforeWriting:
    def test_a_text_answer_with_a_lone_surrogate(
        self, app_client: TestClient, db: Database
    ) -> None:
        team = actors(app_client, db, n_workers=1)
        project = team.requester.create_project(
            project_body(overlap=1, answer_schema={"type": "text"})
        )
        team.requester.create_task(project["id"], {"data": {"q": "say something"}})
        job = team.workers[0].next_task(project["id"])
        status, body = _post_raw(
            team.workers[0], f"/assignments/{job['id']}/submit", f'{{"answer": {SURROGATE_JSON}}}'
        )
        assert status == 422
        assert "lone surrogate U+D800" in str(body["detail"])
        with unit_of_work(db, write=False) as session:
            assignment = session.get(Assignment, job["id"])
            assert assignment is not None
            assert (assignment.status, assignment.answer) == (AssignmentStatus.active, None)
        # The project still works: lists, results and export.
        assert team.workers[0].submit(job["id"], "a fine answer")["assignment"]["status"]
        assert team.requester.request("GET", f"/projects/{project['id']}/results")

    def test_task_data_and_a_project_name(self, app_client: TestClient, db: Database) -> None:
        team = actors(app_client, db, n_workers=1)
        project = team.requester.create_project(project_body())
        status, body = _post_raw(
            team.requester,
            f"/projects/{project['id']}/tasks",
            f'{{"data": {{"q": {SURROGATE_JSON}}}}}',
        )
        assert status == 422
        assert "lone surrogate" in json.dumps(body)
        assert _tasks(db) == 0
        named = json.dumps(project_body(name="nul\x00name"))
        status, body = _post_raw(team.requester, "/projects", named)
        assert status == 422
        assert "NUL character" in json.dumps(body)

    def test_a_jsonl_import_line(
        self, app_client: TestClient, db: Database, tmp_path: Path
    ) -> None:
        team = actors(app_client, db, n_workers=1)
        project = team.requester.create_project(project_body())
        path = tmp_path / "tasks.jsonl"
        path.write_text(
            '{"data": {"q": "fine"}}\n{"data": {"q": ' + SURROGATE_JSON + "}}\n", encoding="utf-8"
        )
        response = team.requester.http.post(
            f"/api/v1/projects/{project['id']}/import",
            headers=team.requester.headers,
            files={"file": ("tasks.jsonl", path.read_bytes())},
        )
        assert response.status_code == 422
        assert '"line":2' in response.text
        assert "lone surrogate" in response.text
        assert _tasks(db) == 0
