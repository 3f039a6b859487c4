"""Imports of inputs outside their range (issue 11, finding 7): a CSV quote that is never
closed, task ids that are already taken, and one size limit per record for every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crowdloop.projects.importing.readers import MAX_RECORD_BYTES
from crowdloop.storage.engine import Database
from tests.helpers import Actors, actors, project_body
from tests.projects.test_import import rejected, tasks, upload


@pytest.fixture
def a(app_client: TestClient, db: Database) -> Actors:
    return actors(app_client, db, n_workers=1)


@pytest.fixture
def pid(a: Actors) -> int:
    return int(a.requester.create_project(project_body())["id"])


class TestBrokenQuote:
    def test_a_quote_never_closed_refuses_the_file_naming_its_line(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        rows = "".join(f"t{i},item {i}\n" for i in range(50))
        content = 'external_id,text\nt-1,fine\nbad,"this quote is never closed\n' + rows
        err = rejected(a.requester, pid, tmp_path, "t.csv", content, on_error="skip")
        assert "line 3" in str(err.detail)
        assert "not closed" in str(err.detail)
        assert tasks(a.requester, pid) == []

    def test_a_quote_closed_rows_later_refuses_the_file(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = 'external_id,text\nx1,"opens here\nx2,plain\nx3,"closed" late\nx4,ok\n'
        err = rejected(a.requester, pid, tmp_path, "t.csv", content)
        assert "line 2" in str(err.detail)
        assert tasks(a.requester, pid) == []

    def test_quoted_fields_over_several_lines_are_still_fine(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = 'external_id,text\nm1,"two\nlines"\nm2,"a ""quoted"" word"\n'
        report = upload(a.requester, pid, tmp_path, "t.csv", content)
        assert report["n_imported"] == 2
        texts = sorted(t["data"]["text"] for t in tasks(a.requester, pid))
        assert texts == ['a "quoted" word', "two\nlines"]


class TestDuplicateIds:
    def test_reimporting_the_same_file_is_refused_row_by_row(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = "external_id,text\nd1,one\nd2,two\n"
        assert upload(a.requester, pid, tmp_path, "t.csv", content)["n_imported"] == 2
        err = rejected(a.requester, pid, tmp_path, "t.csv", content)
        reasons = [e["reason"] for e in err.detail["errors"]]  # type: ignore[index]
        assert len(reasons) == 2
        assert all("is already task" in r for r in reasons)
        assert len(tasks(a.requester, pid)) == 2

    def test_skip_imports_only_the_new_rows(self, a: Actors, pid: int, tmp_path: Path) -> None:
        upload(a.requester, pid, tmp_path, "t.jsonl", '{"external_id": "j1", "data": {"x": 1}}\n')
        grown = '{"external_id": "j1", "data": {"x": 1}}\n{"external_id": "j2", "data": {}}\n'
        report = upload(a.requester, pid, tmp_path, "t.jsonl", grown, on_error="skip")
        assert (report["n_imported"], report["n_errors"]) == (1, 1)
        assert report["errors"][0]["line"] == 1
        assert sorted(t["external_id"] for t in tasks(a.requester, pid)) == ["j1", "j2"]

    def test_an_id_repeated_within_one_file_is_refused(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = "external_id,text\nr1,one\nr1,again\n"
        err = rejected(a.requester, pid, tmp_path, "t.csv", content)
        errors = err.detail["errors"]  # type: ignore[index]
        assert errors[0]["line"] == 3
        assert "repeats the row at line 2" in errors[0]["reason"]

    def test_rows_without_ids_are_never_duplicates(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = "text\nsame\nsame\n"
        upload(a.requester, pid, tmp_path, "t.csv", content)
        assert upload(a.requester, pid, tmp_path, "t.csv", content)["n_imported"] == 2


class TestOneSizeLimit:
    """A record over MAX_RECORD_BYTES is a bad row in every format; smaller ones pass."""

    BIG = "x" * (MAX_RECORD_BYTES + 10)
    FITS = "y" * (MAX_RECORD_BYTES - 100)

    @pytest.mark.parametrize(
        ("name", "make"),
        [
            ("t.jsonl", lambda text: json.dumps({"text": text}) + "\n"),
            ("t.csv", lambda text: f"text\n{text}\n"),
            ("t.json", lambda text: json.dumps([{"data": {"text": text}}])),
        ],
    )
    def test_a_record_over_the_limit_is_a_bad_row(
        self, a: Actors, pid: int, tmp_path: Path, name: str, make: object
    ) -> None:
        assert callable(make)
        err = rejected(a.requester, pid, tmp_path, name, make(self.BIG))
        reasons = [e["reason"] for e in err.detail["errors"]]  # type: ignore[index]
        assert reasons == ["the record is larger than 1 MiB, the limit for one task"]
        assert upload(a.requester, pid, tmp_path, name, make(self.FITS))["n_imported"] == 1

    def test_a_long_jsonl_line_is_skipped_and_the_next_lines_read(
        self, a: Actors, pid: int, tmp_path: Path
    ) -> None:
        content = json.dumps({"text": self.BIG * 10}) + '\n{"text": "after"}\n'
        report = upload(a.requester, pid, tmp_path, "t.jsonl", content, on_error="skip")
        assert (report["n_rows"], report["n_imported"], report["n_errors"]) == (2, 1, 1)
        assert report["errors"][0]["line"] == 1
        assert [t["data"] for t in tasks(a.requester, pid)] == [{"text": "after"}]
