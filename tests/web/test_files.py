"""File answers: the schema kind, upload and download over the API and in the browser, and
that nobody but the uploading worker, the owner and admins ever reads a file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from crowdloop.accounts.models import Role
from crowdloop.client import ApiError, Client
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectCreate
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.factories.accounts import make_token
from tests.helpers import actors
from tests.web.conftest import Browser, assignment_of

FILE_SCHEMA = {"type": "file", "extensions": [".pdf", ".txt"], "max_bytes": 1000}
Make = Callable[..., Browser]


def _project(requester: Client, n_tasks: int = 2) -> dict[str, Any]:
    body = {"name": "Reports", "answer_schema": FILE_SCHEMA, "overlap": 2}
    project = requester.create_project(body)
    for i in range(n_tasks):
        requester.create_task(project["id"], {"data": {"brief": f"write report {i}"}})
    return project


def _token_client(http: TestClient, db: Database, browser: Browser) -> Client:
    with unit_of_work(db) as session:
        token = make_token(session, session.merge(browser.user))
    return Client(token=token, http=http)


class TestSchema:
    @pytest.mark.parametrize(
        ("schema", "message"),
        [
            ({"extensions": []}, "at least 1 item"),
            ({"extensions": ["pdf"]}, "should match pattern"),
            ({"extensions": [".pdf"], "max_bytes": 0}, "greater than or equal to 1"),
            ({"extensions": [".pdf"], "max_bytes": 10**9}, "less than or equal to"),
        ],
    )
    def test_bad_file_schemas(self, schema: dict[str, Any], message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            ProjectCreate.model_validate({"name": "x", "answer_schema": {"type": "file", **schema}})


class TestApi:
    def test_upload_submit_download(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project = _project(a.requester)
        mine, other = a.workers
        job = mine.next_task(project["id"])
        up = mine.upload_file(job["id"], "report.PDF", b"%PDF-1.4 hello")
        assert (up["filename"], up["size"], up["content_type"]) == (
            "report.PDF",
            14,
            "application/pdf",
        )
        assert len(up["sha256"]) == 64
        done = mine.submit(job["id"], {"upload_id": up["id"]})
        assert done["assignment"]["answer"] == {
            "upload_id": up["id"],
            "filename": "report.PDF",
            "size": 14,
        }
        assert a.requester.download_file(up["id"]) == b"%PDF-1.4 hello"
        assert a.admin.download_file(up["id"]) == b"%PDF-1.4 hello"
        assert mine.download_file(up["id"]) == b"%PDF-1.4 hello"
        for outsider in (other, a.other_requester):  # never another worker or requester
            with pytest.raises(ApiError) as info:
                outsider.download_file(up["id"])
            assert info.value.status == 404
            with pytest.raises(ApiError):
                outsider.request("GET", f"/uploads/{up['id']}")

    def test_download_is_an_attachment(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = _project(a.requester)
        job = a.workers[0].next_task(project["id"])
        up = a.workers[0].upload_file(job["id"], "x.txt", b"<script>alert(1)</script>")
        response = app_client.get(
            f"/api/v1/uploads/{up['id']}/content", headers=a.requester.headers
        )
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "sandbox"

    @pytest.mark.parametrize(
        ("filename", "content", "status", "message"),
        [
            ("evil.exe", b"MZ", 422, "takes .pdf, .txt files"),
            ("noext", b"abc", 422, "takes .pdf, .txt files"),
            ("big.pdf", b"x" * 1001, 422, "larger than the limit of 1000 bytes"),
            ("empty.txt", b"", 422, "is empty"),
        ],
    )
    def test_type_and_size_are_checked(
        self,
        app_client: TestClient,
        db: Database,
        filename: str,
        content: bytes,
        status: int,
        message: str,
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = _project(a.requester)
        job = a.workers[0].next_task(project["id"])
        with pytest.raises(ApiError) as info:
            a.workers[0].upload_file(job["id"], filename, content)
        assert info.value.status == status
        assert message in str(info.value.detail)

    def test_only_on_your_own_live_assignment(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        project = _project(a.requester)
        mine, other = a.workers
        job = mine.next_task(project["id"])
        with pytest.raises(ApiError) as info:
            other.upload_file(job["id"], "r.pdf", b"x")
        assert info.value.status == 404
        with pytest.raises(ApiError) as info:
            a.requester.upload_file(job["id"], "r.pdf", b"x")
        assert info.value.status == 403
        mine.skip(job["id"])
        with pytest.raises(ApiError) as info:
            mine.upload_file(job["id"], "r.pdf", b"x")
        assert info.value.status == 409
        assert "already skipped" in str(info.value.detail)

    def test_an_expired_lease_is_explained(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = _project(a.requester)
        job = a.workers[0].next_task(project["id"])
        with unit_of_work(db) as session:
            found = session.get(Assignment, job["id"])
            assert found is not None
            found.lease_expires_at = utcnow() - timedelta(seconds=1)
        with pytest.raises(ApiError) as info:
            a.workers[0].upload_file(job["id"], "late.pdf", b"x")
        assert info.value.status == 410
        assert "expired" in str(info.value.detail)

    def test_answer_must_name_your_upload_on_that_assignment(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        project = _project(a.requester)
        mine, other = a.workers
        job = mine.next_task(project["id"])
        theirs = other.next_task(project["id"])
        up = other.upload_file(theirs["id"], "theirs.pdf", b"secret")
        for answer in ({"upload_id": up["id"]}, {"upload_id": 10**9}):
            with pytest.raises(ApiError) as info:
                mine.submit(job["id"], answer)
            assert info.value.status == 422
            assert "not a file you uploaded on this assignment" in str(info.value.detail)
        with pytest.raises(ApiError) as info:
            mine.submit(job["id"], "theirs.pdf")
        assert "must name an upload" in str(info.value.detail)


class TestBrowser:
    def test_worker_uploads_and_requester_sees_the_link(
        self, make_browser: Make, app_client: TestClient, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = _project(_token_client(app_client, db, owner))
        worker = make_browser()
        page = worker.get(f"/work/projects/{project['id']}").text
        assert 'type="file" name="file" accept=".pdf,.txt"' in page
        assert 'enctype="multipart/form-data"' in page
        job = assignment_of(page)
        files = {"file": ("notes.txt", b"my notes")}
        bad = worker.post(f"/work/assignments/{job}/submit", files={"file": ("a.exe", b"MZ")})
        assert bad.status_code == 422
        assert "takes .pdf, .txt files" in bad.text
        none = worker.post(f"/work/assignments/{job}/submit")
        assert "choose a file first" in none.text
        done = worker.post(f"/work/assignments/{job}/submit", files=files)
        assert done.status_code == 200
        assert assignment_of(done.text) != job
        detail = owner.get(f"/console/projects/{project['id']}/tasks/{_task_of(db, job)}").text
        assert "notes.txt</a>" in detail
        link = detail.split('<a href="/files/')[1].split('"')[0]
        assert owner.get(f"/files/{link}").content == b"my notes"
        assert worker.get(f"/files/{link}").content == b"my notes"
        reviewer = make_browser(Role.reviewer)
        with unit_of_work(db) as session:
            found = session.get(Project, project["id"])
            assert found is not None
            projects.add_member(session, found, session.merge(reviewer.user))
        seen = reviewer.get(f"/console/projects/{project['id']}/tasks/{_task_of(db, job)}").text
        assert "notes.txt" in seen
        assert "/files/" not in seen
        assert reviewer.get(f"/files/{link}").status_code == 404
        snoop = make_browser()
        response = snoop.get(f"/files/{link}")
        assert response.status_code == 404
        assert b"my notes" not in response.content


def _task_of(db: Database, assignment_id: int) -> int:
    with unit_of_work(db, write=False) as session:
        found = session.get(Assignment, assignment_id)
        assert found is not None
        return found.task_id
