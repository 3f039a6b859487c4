"""A small Python client for the crowdloop REST API.

from crowdloop.client import Client
with Client("http://127.0.0.1:8000", token="cl_...") as api:
    project = api.create_project({...})
    job = api.next_task(project["id"])
    api.submit(job["id"], "cat")
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

API = "/api/v1"


class ApiError(Exception):
    """A non-2xx answer: ``status``, ``error`` (class name) and ``detail``."""

    def __init__(self, status: int, error: str, detail: Any) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail


class Client:
    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        token: str | None = None,
        http: Any = None,
        timeout: float = 60.0,
        retries: int = 3,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        # A 503 "Busy" (a database conflict, rolled back whole) is sent again, after the
        # server's Retry-After (at most ``max_wait`` seconds), up to ``retries`` times.
        self.retries = retries
        self.max_wait = 5.0

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType]) -> None:
        self.http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, API + path, headers=self.headers, **kwargs)
        # Uploads are not re-sent: their file object has been read.
        for _ in range(0 if "files" in kwargs else self.retries):
            if response.status_code != 503:
                break
            time.sleep(min(float(response.headers.get("Retry-After", 1)), self.max_wait))
            response = self.http.request(method, API + path, headers=self.headers, **kwargs)
        if response.status_code >= 400:
            body = response.json() if response.content else {}
            raise ApiError(response.status_code, body.get("error", ""), body.get("detail"))
        return response.json() if response.content else None

    def login(self, username: str, password: str) -> str:
        token = self.request(
            "POST", "/auth/token", json={"username": username, "password": password}
        )
        self.headers = {"Authorization": f"Bearer {token['token']}"}
        return str(token["token"])

    def me(self) -> dict[str, Any]:
        return dict(self.request("GET", "/me"))

    def create_user(self, **fields: Any) -> dict[str, Any]:
        return dict(self.request("POST", "/users", json=fields))

    def create_project(self, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", "/projects", json=fields))

    def create_task(self, project_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", f"/projects/{project_id}/tasks", json=fields))

    def import_tasks(
        self, project_id: int, path: str | Path, *, fmt: str | None = None, on_error: str = "reject"
    ) -> dict[str, Any]:
        params = {"on_error": on_error, **({"format": fmt} if fmt else {})}
        with open(path, "rb") as fh:
            files = {"file": (Path(path).name, fh)}
            return dict(
                self.request("POST", f"/projects/{project_id}/import", params=params, files=files)
            )

    def next_task(self, project_id: int) -> dict[str, Any]:
        return dict(self.request("POST", f"/projects/{project_id}/next"))

    def submit(self, assignment_id: int, answer: Any, *, next: bool = False) -> dict[str, Any]:
        path = f"/assignments/{assignment_id}/submit"
        return dict(self.request("POST", path, json={"answer": answer}, params={"next": next}))

    def upload_file(self, assignment_id: int, filename: str, content: bytes) -> dict[str, Any]:
        """Upload a file answer; submit ``{"upload_id": <returned id>}`` afterwards."""
        files = {"file": (filename, content)}
        return dict(self.request("POST", f"/assignments/{assignment_id}/files", files=files))

    def download_file(self, upload_id: int) -> bytes:
        response = self.http.get(f"{API}/uploads/{upload_id}/content", headers=self.headers)
        if response.status_code >= 400:
            body = response.json() if response.content else {}
            raise ApiError(response.status_code, body.get("error", ""), body.get("detail"))
        return bytes(response.content)

    def skip(self, assignment_id: int) -> dict[str, Any]:
        return dict(self.request("POST", f"/assignments/{assignment_id}/skip"))

    def release(self, assignment_id: int) -> dict[str, Any]:
        return dict(self.request("POST", f"/assignments/{assignment_id}/release"))

    def results(self, project_id: int) -> Iterator[dict[str, Any]]:
        after = 0
        while True:
            page = self.request("GET", f"/projects/{project_id}/results", params={"after": after})
            yield from page["items"]
            if page["next_cursor"] is None:
                return
            after = page["next_cursor"]

    def export(self, project_id: int, fmt: str = "jsonl") -> Iterator[bytes]:
        path = f"{API}/projects/{project_id}/export"
        with self.http.stream("GET", path, params={"format": fmt}, headers=self.headers) as r:
            if r.status_code >= 400:
                body = r.read()
                raise ApiError(r.status_code, "export", body.decode(errors="replace"))
            yield from r.iter_bytes()
