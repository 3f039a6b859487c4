"""Task import from CSV, JSONL and Label Studio JSON: through the API and the service."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdloop.accounts.models import Role
from crowdloop.client import ApiError, Client
from crowdloop.errors import InvalidInput
from crowdloop.projects.importing import ImportRejected, detect_format, import_tasks
from crowdloop.projects.models import Project, Task, TaskBatch
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import make_user
from tests.factories.projects import make_project
from tests.helpers import Actors, actors, client_for, project_body

DATA = Path(__file__).resolve().parents[1] / "data"


def upload(
    client: Client, project_id: int, tmp_path: Path, name: str, content: str | bytes, **kw: Any
) -> dict[str, Any]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return client.import_tasks(project_id, path, **kw)


def rejected(
    client: Client, project_id: int, tmp_path: Path, name: str, content: str | bytes, **kw: Any
) -> ApiError:
    with pytest.raises(ApiError) as err:
        upload(client, project_id, tmp_path, name, content, **kw)
    assert err.value.status == 422
    assert err.value.error == "InvalidInput"
    return err.value


def tasks(client: Client, project_id: int) -> list[dict[str, Any]]:
    page = client.request("GET", f"/projects/{project_id}/tasks", params={"limit": 1000})
    return list(page["items"])


def batches(client: Client, project_id: int) -> list[dict[str, Any]]:
    return list(client.request("GET", f"/projects/{project_id}/batches"))


@pytest.fixture
def a(app_client: TestClient, db: Database) -> Actors:
    return actors(app_client, db, n_workers=1)


@pytest.fixture
def pid(a: Actors) -> int:
    return int(a.requester.create_project(project_body())["id"])


class TestCsv:
    def test_reserved_columns_and_data_columns(self, a: Actors, pid: int, tmp_path: Path) -> None:
        content = (
            "id,text,image,difficulty,priority,deadline,reward_cents,required_skills,"
            "gold,gold_explanation,overlap\n"
            'a1,"Hello, world",x.png,0.5,7,2030-01-02T03:04:05+02:00,12,en;fr,cat,it purrs,4\n'
            'a2,second,y.png,,,,,"[""de""]",,,\n'
        )
        report = upload(a.requester, pid, tmp_path, "tasks.csv", content)
        assert (report["n_rows"], report["n_imported"], report["n_errors"]) == (2, 2, 0)
        assert report["format"] == "csv"
        first, second = tasks(a.requester, pid)
        assert first["external_id"] == "a1"
        assert first["data"] == {"text": "Hello, world", "image": "x.png"}
        assert first["difficulty"] == 0.5
        assert first["priority"] == 7
        assert first["deadline"].startswith("2030-01-02T01:04:05")
        assert first["reward_cents"] == 12
        assert first["required_skills"] == ["en", "fr"]
        assert (first["gold"], first["is_control"], first["overlap"]) == ("cat", True, 4)
        assert second["required_skills"] == ["de"]
        assert (second["gold"], second["is_control"], second["overlap"]) == (None, False, 2)
        [batch] = batches(a.requester, pid)
        assert batch["id"] == report["batch_id"]
        assert (batch["source"], batch["format"], batch["n_imported"]) == ("tasks.csv", "csv", 2)

    def test_json_data_column(self, a: Actors, pid: int, tmp_path: Path) -> None:
        content = 'data,external_id,note\n"{""text"": ""hi"", ""n"": 3}",e1,extra\n'
        upload(a.requester, pid, tmp_path, "t.csv", content)
        [task] = tasks(a.requester, pid)
        assert task["data"] == {"text": "hi", "n": 3, "note": "extra"}

    def test_multiple_choice_and_rating_gold(self, a: Actors, tmp_path: Path) -> None:
        multi = {"type": "multiple_choice", "labels": ["red", "green", "blue"]}
        p1 = a.requester.create_project(project_body(answer_schema=multi))["id"]
        upload(
            a.requester, p1, tmp_path, "m.csv", 'text,gold\nx,"[""red"",""blue""]"\ny,green;red\n'
        )
        assert [t["gold"] for t in tasks(a.requester, p1)] == [["red", "blue"], ["red", "green"]]
        rating = {"type": "rating", "min": 1, "max": 5, "step": 0.5}
        p2 = a.requester.create_project(project_body(answer_schema=rating))["id"]
        upload(a.requester, p2, tmp_path, "r.csv", "text,gold\nx,4.5\n")
        assert tasks(a.requester, p2)[0]["gold"] == 4.5

    def test_bad_rows_have_line_numbers(self, a: Actors, pid: int, tmp_path: Path) -> None:
        content = (
            "text,gold,priority\n"
            '"a quoted\nmulti-line text",cat,1\n'  # lines 2-3
            "ok,dog,x\n"  # line 4: priority not an integer
            "ok,horse,1\n"  # line 5: gold not a label
            "short\n"  # line 6: too few fields
            "\n"  # blank lines are skipped
            "fine,,2\n"
        )
        err = rejected(a.requester, pid, tmp_path, "t.csv", content)
        report = err.detail
        assert report["n_rows"] == 5
        assert report["n_errors"] == 3
        assert report["batch_id"] is None
        assert [(e["line"], e["index"]) for e in report["errors"]] == [(4, 1), (5, 2), (6, 3)]
        assert "priority" in report["errors"][0]["reason"]
        assert "gold" in report["errors"][1]["reason"]
        assert "horse" in report["errors"][1]["reason"]
        assert "fields" in report["errors"][2]["reason"]
        assert tasks(a.requester, pid) == []
        assert batches(a.requester, pid) == []

    def test_skip_imports_the_good_rows(self, a: Actors, pid: int, tmp_path: Path) -> None:
        content = "text,gold\none,cat\ntwo,zebra\nthree,\n"
        report = upload(a.requester, pid, tmp_path, "t.csv", content, on_error="skip")
        assert (report["n_rows"], report["n_imported"], report["n_errors"]) == (3, 2, 1)
        assert report["errors"][0]["line"] == 3
        assert [t["data"]["text"] for t in tasks(a.requester, pid)] == ["one", "three"]
        [batch] = batches(a.requester, pid)
        assert (batch["n_rows"], batch["n_imported"], batch["n_errors"]) == (3, 2, 1)


class TestJsonl:
    def test_task_shaped_and_flat_lines(self, a: Actors, pid: int, tmp_path: Path) -> None:
        lines = [
            json.dumps({"data": {"text": "a"}, "gold": "dog", "external_id": "x1", "priority": 3}),
            "",
            json.dumps({"text": "b", "n": 2}),
        ]
        report = upload(a.requester, pid, tmp_path, "t.jsonl", "\n".join(lines) + "\n")
        assert report["n_imported"] == 2
        first, second = tasks(a.requester, pid)
        assert (first["data"], first["gold"], first["external_id"]) == ({"text": "a"}, "dog", "x1")
        assert first["priority"] == 3
        assert second["data"] == {"text": "b", "n": 2}

    def test_bad_lines_have_line_numbers(self, a: Actors, pid: int, tmp_path: Path) -> None:
        content = (
            b'{"text": "ok"}\n'
            b"{not json\n"  # line 2
            b"\n"
            b"[1, 2]\n"  # line 4
            b'{"data": {"t": 1}, "colour": "red"}\n'  # line 5: unknown field
            b'{"data": {"t": 1}, "gold": "zebra"}\n'  # line 6: gold
            b'{"text": "\xff\xfe"}\n'  # line 7: not UTF-8
        )
        err = rejected(a.requester, pid, tmp_path, "t.jsonl", content)
        got = [(e["line"], e["index"]) for e in err.detail["errors"]]
        assert got == [(2, 1), (4, 2), (5, 3), (6, 4), (7, 5)]
        reasons = [e["reason"] for e in err.detail["errors"]]
        assert reasons[0].startswith("not JSON")
        assert "colour" in reasons[2]
        assert tasks(a.requester, pid) == []


class TestLabelStudio:
    def test_list_with_predictions_and_annotations(
        self, db: Database, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        report = upload(
            a.requester, pid, tmp_path, "ls.json", (DATA / "labelstudio.json").read_text()
        )
        assert (report["n_rows"], report["n_imported"]) == (3, 3)
        assert "2 Label Studio annotation(s) ignored" in report["notes"][0]
        first, second, third = tasks(a.requester, pid)
        assert first["external_id"] == "101"
        assert first["data"] == {"text": "A purring animal", "meta_info": {"n": 1}}
        assert (first["gold"], first["is_control"]) == ("cat", True)
        assert second["gold"] is None
        assert third["data"] == {"text": "A flat task"}
        with unit_of_work(db, write=False) as session:
            stored = session.get_one(Task, first["id"])
            assert stored.predictions is not None
            assert stored.predictions[0]["model_version"] == "model 1"

    def test_single_object(self, a: Actors, pid: int, tmp_path: Path) -> None:
        upload(a.requester, pid, tmp_path, "one.json", '\ufeff {"data": {"text": "solo"}}')
        assert tasks(a.requester, pid)[0]["data"] == {"text": "solo"}

    def test_bad_items_have_indexes(self, a: Actors, pid: int, tmp_path: Path) -> None:
        items = [
            {"data": {"text": "ok"}},
            "a string",
            {"data": [1]},
            {"data": {"t": 1}, "annotations": [{"ground_truth": True, "result": []}]},
        ]
        err = rejected(a.requester, pid, tmp_path, "ls.json", json.dumps(items))
        assert [(e["index"], e["line"]) for e in err.detail["errors"]] == [
            (1, None),
            (2, None),
            (3, None),
        ]
        assert "ground-truth" in err.detail["errors"][2]["reason"]
        report = upload(a.requester, pid, tmp_path, "ls.json", json.dumps(items), on_error="skip")
        assert (report["n_imported"], report["n_errors"]) == (1, 3)


class TestWholeFileErrors:
    @pytest.mark.parametrize(
        ("name", "content", "fmt", "message"),
        [
            ("t.csv", b"", None, "empty"),
            ("t.csv", b"text\n", None, "no tasks"),
            ("t.csv", "text\ncaf\u00e9\n".encode("utf-16"), None, "UTF-8"),
            ("t.csv", b"gold,priority\ncat,1\n", None, "no data columns"),
            ("t.csv", b"text,,x\n1,2,3\n", None, "empty column name"),
            ("t.jsonl", b"\n\n", None, "no tasks"),
            ("t.json", b"", None, "empty"),
            ("t.json", b"not json", None, "list of task objects"),
            ("t.json", b'"a string"', None, "list of task objects"),
            ("t.json", b'[{"data": {"t": 1}}, {"data": ', None, "invalid JSON"),
            ("t.txt", b"text\n1\n", None, "format"),
        ],
    )
    def test_clear_422_and_nothing_stored(
        self,
        a: Actors,
        pid: int,
        tmp_path: Path,
        name: str,
        content: bytes,
        fmt: str | None,
        message: str,
    ) -> None:
        err = rejected(a.requester, pid, tmp_path, name, content, fmt=fmt)
        assert message in str(err.detail)
        assert tasks(a.requester, pid) == []
        assert batches(a.requester, pid) == []

    def test_unknown_format_parameter(self, a: Actors, pid: int, tmp_path: Path) -> None:
        rejected(a.requester, pid, tmp_path, "t.csv", "text\n1\n", fmt="xml")

    def test_explicit_format_overrides_extension(self, a: Actors, pid: int, tmp_path: Path) -> None:
        report = upload(a.requester, pid, tmp_path, "t.txt", '{"text": 1}\n', fmt="jsonl")
        assert report["n_imported"] == 1


class TestPermissions:
    def test_only_the_manager_imports(
        self, app_client: TestClient, db: Database, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        for client in (a.workers[0], a.other_requester):
            with pytest.raises(ApiError) as err:
                upload(client, pid, tmp_path, "t.csv", "text\n1\n")
            assert err.value.status == 404
        reviewer = client_for(app_client, db, Role.reviewer)
        a.requester.request("PUT", f"/projects/{pid}/members/{reviewer.me()['id']}")
        with pytest.raises(ApiError) as err:
            upload(reviewer, pid, tmp_path, "t.csv", "text\n1\n")
        assert err.value.status == 403
        assert upload(a.admin, pid, tmp_path, "t.csv", "text\n1\n")["n_imported"] == 1
        assert len(tasks(a.requester, pid)) == 1


class TestService:
    def _project(self, db: Database) -> int:
        with unit_of_work(db) as session:
            return make_project(session, make_user(session, role=Role.requester), overlap=2).id

    def test_batches_and_progress(self, db: Database) -> None:
        project_id = self._project(db)
        content = "".join(json.dumps({"i": i}) + "\n" for i in range(23)).encode()
        seen: list[int] = []
        with unit_of_work(db) as session:
            project = session.get_one(Project, project_id)
            report = import_tasks(
                session,
                project,
                io.BytesIO(content),
                fmt=None,
                source="x.jsonl",
                on_error="reject",
                batch_size=5,
                progress=seen.append,
            )
        assert report.n_imported == 23
        assert seen == [5, 10, 15, 20, 23]

    def test_reject_raises_with_the_report_and_rolls_back(self, db: Database) -> None:
        project_id = self._project(db)
        content = b'{"i": 1}\n{"i": 2}\n{"data": {}, "gold": "nope"}\n'
        with pytest.raises(ImportRejected) as err:
            self._import(db, project_id, content)
        assert isinstance(err.value, InvalidInput)
        assert err.value.report.n_errors == 1
        assert "line 3" in err.value.detail
        with unit_of_work(db, write=False) as session:
            assert session.scalar(select(func.count()).select_from(Task)) == 0
            assert session.scalar(select(func.count()).select_from(TaskBatch)) == 0

    def _import(self, db: Database, project_id: int, content: bytes) -> None:
        with unit_of_work(db) as session:
            project = session.get_one(Project, project_id)
            import_tasks(
                session,
                project,
                io.BytesIO(content),
                fmt="jsonl",
                source="-",
                on_error="reject",
                batch_size=1,
            )

    def test_detect_format(self) -> None:
        assert detect_format("a/b/Tasks.CSV") == "csv"
        assert detect_format("x.ndjson") == "jsonl"
        assert detect_format("x.json") == "json"
        with pytest.raises(InvalidInput):
            detect_format("x.xlsx")
