"""Results export (CSV, JSONL, Label Studio JSON): content, round trips, streaming, access."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role
from crowdloop.client import ApiError, Client
from crowdloop.projects.models import Project
from crowdloop.results.export import export_results, stream_export
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.helpers import Actors, actors, client_for, project_body

LABELS = ["cat", "dog", "bird"]
Answers = dict[int, dict[int, Any]]  # task id -> worker id -> answer


def export(client: Client, project_id: int, fmt: str) -> bytes:
    return b"".join(client.export(project_id, fmt))


def upload(client: Client, project_id: int, tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    client.import_tasks(project_id, tmp_path / name)


def work_through(a: Actors, project_id: int) -> Answers:
    """Every worker answers every task it is offered; returns what was submitted."""
    submitted: Answers = {}
    for w, worker in enumerate(a.workers):
        worker_id = worker.me()["id"]
        while True:
            try:
                job = worker.next_task(project_id)
            except ApiError:
                break
            answer = LABELS[(job["task_id"] + w) % 2]
            worker.submit(job["id"], answer)
            submitted.setdefault(job["task_id"], {})[worker_id] = answer
    return submitted


@pytest.fixture
def a(app_client: TestClient, db: Database) -> Actors:
    return actors(app_client, db, n_workers=3)


@pytest.fixture
def answered(a: Actors, tmp_path: Path) -> tuple[int, Answers]:
    """A project of 4 tasks (one a control task), answered through the API."""
    project_id = int(a.requester.create_project(project_body(overlap=2))["id"])
    lines = [{"data": {"text": f"item {i}"}, "external_id": f"e{i}"} for i in range(3)]
    lines.append({"data": {"text": "gold item"}, "external_id": "g", "gold": "bird"})
    upload(
        a.requester, project_id, tmp_path, "t.jsonl", "".join(json.dumps(x) + "\n" for x in lines)
    )
    return project_id, work_through(a, project_id)


def results_by_task(client: Client, project_id: int) -> dict[int, dict[str, Any]]:
    return {r["task_id"]: r for r in client.results(project_id)}


class TestFormats:
    def test_jsonl_holds_every_answer(self, a: Actors, answered: tuple[int, Answers]) -> None:
        project_id, submitted = answered
        assert submitted, "workers answered nothing"
        lines = [json.loads(x) for x in export(a.requester, project_id, "jsonl").splitlines()]
        results = results_by_task(a.requester, project_id)
        assert [x["task_id"] for x in lines] == sorted(results)
        for item in lines:
            got = {ans["worker_id"]: ans["answer"] for ans in item["answers"]}
            assert got == submitted.get(item["task_id"], {})
            assert all(ans["submitted_at"] for ans in item["answers"])
            expected = results[item["task_id"]]
            assert (item["result"], item["confidence"]) == (
                expected["result"],
                expected["confidence"],
            )
            assert item["n_answers"] == len(got)
        gold = next(x for x in lines if x["external_id"] == "g")
        assert (gold["gold"], gold["is_control"]) == ("bird", True)

    def test_csv_parses_with_the_csv_module(self, a: Actors, answered: tuple[int, Answers]) -> None:
        project_id, submitted = answered
        text = export(a.requester, project_id, "csv").decode()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert list(rows[0]) == [
            "task_id",
            "external_id",
            "result",
            "confidence",
            "n_answers",
            "gold",
            "data",
        ]
        results = results_by_task(a.requester, project_id)
        texts = {"e0": "item 0", "e1": "item 1", "e2": "item 2", "g": "gold item"}
        assert len(rows) == len(results) == 4
        for row in rows:
            expected = results[int(row["task_id"])]
            assert row["result"] == (expected["result"] or "")
            assert int(row["n_answers"]) == len(submitted.get(int(row["task_id"]), {}))
            if expected["confidence"] is not None:
                assert float(row["confidence"]) == pytest.approx(expected["confidence"])
            assert json.loads(row["data"]) == {"text": texts[row["external_id"]]}
        assert [r["gold"] for r in rows] == ["", "", "", "bird"]

    def test_label_studio_json(self, a: Actors, answered: tuple[int, Answers]) -> None:
        project_id, submitted = answered
        items = json.loads(export(a.requester, project_id, "json"))
        results = results_by_task(a.requester, project_id)
        assert [item["id"] for item in items] == sorted(results)
        for item in items:
            human = [x for x in item["annotations"] if not x["ground_truth"]]
            got = {x["completed_by"]: x["result"][0]["value"]["choices"][0] for x in human}
            assert got == submitted.get(item["id"], {})
            for x in human:
                assert {k: x["result"][0][k] for k in ("from_name", "to_name", "type")} == {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "choices",
                }
            expected = results[item["id"]]
            if expected["result"] is None:
                assert item["predictions"] == []
            else:
                [prediction] = item["predictions"]
                assert prediction["model_version"] == "crowdloop-majority"
                assert prediction["score"] == expected["confidence"]
                assert prediction["result"][0]["value"] == {"choices": [expected["result"]]}
        gold = items[-1]
        truth = [x for x in gold["annotations"] if x["ground_truth"]]
        assert truth[0]["result"][0]["value"] == {"choices": ["bird"]}
        assert gold["meta"]["external_id"] == "g"

    def test_labelstudio_alias_and_headers(self, a: Actors, answered: tuple[int, Answers]) -> None:
        project_id, _ = answered
        response = a.requester.http.get(
            f"/api/v1/projects/{project_id}/export",
            params={"format": "labelstudio"},
            headers=a.requester.headers,
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="project-{project_id}-results.json"'
        assert len(json.loads(response.content)) == 4

    @pytest.mark.parametrize(
        "schema",
        [
            {"type": "rating", "min": 1, "max": 5},
            {"type": "text"},
            {"type": "multiple_choice", "labels": ["red", "blue"]},
        ],
    )
    def test_other_answer_types_in_label_studio(
        self, a: Actors, tmp_path: Path, schema: dict[str, Any]
    ) -> None:
        answer = {"rating": 4, "text": "a fox", "multiple_choice": ["blue"]}[schema["type"]]
        project_id = a.requester.create_project(project_body(answer_schema=schema, overlap=1))["id"]
        upload(a.requester, project_id, tmp_path, "t.jsonl", '{"q": 1}\n')
        job = a.workers[0].next_task(project_id)
        a.workers[0].submit(job["id"], answer)
        [item] = json.loads(export(a.requester, project_id, "json"))
        result = item["annotations"][0]["result"][0]
        expected = {
            "rating": ("rating", {"rating": 4.0}),
            "text": ("textarea", {"text": ["a fox"]}),
            "multiple_choice": ("choices", {"choices": ["blue"]}),
        }[schema["type"]]
        assert (result["type"], result["value"]) == expected

    def test_empty_project(self, a: Actors) -> None:
        project_id = a.requester.create_project(project_body())["id"]
        assert json.loads(export(a.requester, project_id, "json")) == []
        assert export(a.requester, project_id, "jsonl") == b""
        assert export(a.requester, project_id, "csv").decode().startswith("task_id,")


class TestRoundTrip:
    @pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
    def test_export_imports_again(
        self, a: Actors, answered: tuple[int, Answers], tmp_path: Path, fmt: str
    ) -> None:
        project_id, _ = answered
        (tmp_path / f"out.{fmt}").write_bytes(export(a.requester, project_id, fmt))
        copy = a.requester.create_project(project_body(overlap=2))["id"]
        report = a.requester.import_tasks(copy, tmp_path / f"out.{fmt}")
        assert (report["n_imported"], report["n_errors"]) == (4, 0)
        page = a.requester.request("GET", f"/projects/{copy}/tasks")["items"]
        original = a.requester.request("GET", f"/projects/{project_id}/tasks")["items"]
        keys = ("data", "external_id", "gold", "is_control")
        assert [{k: t[k] for k in keys} for t in page] == [
            {k: t[k] for k in keys} for t in original
        ]


class TestStreaming:
    def test_export_comes_in_many_chunks(self, a: Actors, db: Database, tmp_path: Path) -> None:
        project_id = a.requester.create_project(project_body())["id"]
        rows = "".join(f"item {i}\n" for i in range(2500))
        upload(a.requester, project_id, tmp_path, "t.csv", "text\n" + rows)
        for fmt in ("csv", "jsonl", "json"):
            chunks = list(stream_export(db, project_id, fmt, page_size=500))
            assert len(chunks) >= 5
            assert b"".join(chunks) == export(a.requester, project_id, fmt)
        lines = export(a.requester, project_id, "jsonl").splitlines()
        assert len(lines) == 2500

    def test_export_results_writes_to_a_file(self, a: Actors, db: Database, tmp_path: Path) -> None:
        project_id = a.requester.create_project(project_body())["id"]
        upload(a.requester, project_id, tmp_path, "t.csv", "text\nx\ny\n")
        out = io.BytesIO()
        with unit_of_work(db, write=False) as session:
            written = export_results(session, session.get_one(Project, project_id), "jsonl", out)
        assert written == len(out.getvalue())
        assert [json.loads(x)["data"] for x in out.getvalue().splitlines()] == [
            {"text": "x"},
            {"text": "y"},
        ]


class TestAccess:
    def test_readers_only(self, app_client: TestClient, db: Database, a: Actors) -> None:
        project_id = a.requester.create_project(project_body())["id"]
        reviewer = client_for(app_client, db, Role.reviewer)
        for client in (a.workers[0], a.other_requester, reviewer):  # reviewer: not a member yet
            with pytest.raises(ApiError) as err:
                export(client, project_id, "jsonl")
            assert err.value.status == 404
        a.requester.request("PUT", f"/projects/{project_id}/members/{reviewer.me()['id']}")
        assert export(reviewer, project_id, "csv").startswith(b"task_id")
        assert export(a.admin, project_id, "csv").startswith(b"task_id")

    def test_unknown_format_is_422(self, a: Actors) -> None:
        project_id = a.requester.create_project(project_body())["id"]
        with pytest.raises(ApiError) as err:
            export(a.requester, project_id, "xml")
        assert err.value.status == 422
