"""The dashboard's live stream over real HTTP: events reach open pages in every process.

The cross-process test runs two real uvicorn processes on the PostgreSQL test database (the
case of several ``crowdloop serve`` processes); the others run a uvicorn server in a thread
over the test's own platform. Timeouts are generous: arrival is asserted, never speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from crowdloop.accounts.models import Role, User
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.wiring import Platform
from tests.factories.accounts import make_token, make_user, make_web_session
from tests.factories.projects import make_project, make_tasks
from tests.live import free_port, live_server

WAIT = 90.0  # a server process starting on a loaded 2-core CI machine
HOUR = 3600.0
ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: str


@dataclass(frozen=True)
class Scene:
    project_id: int
    other_project_id: int
    owner: User
    owner_cookie: str
    worker_token: str


@pytest.fixture
def scene(db: Database) -> Scene:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1)
        make_tasks(session, project, 3)
        other = make_project(session, owner, overlap=1)
        make_tasks(session, other, 1)
        token = make_token(session, make_user(session, role=Role.worker))
        cookie = make_web_session(session, owner)
        session.expunge(owner)
        return Scene(project.id, other.id, owner, cookie, token)


def messages(response: httpx.Response) -> Iterator[Message]:
    """Parse a ``text/event-stream`` body as it arrives."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in response.iter_lines():
        if not line:
            if data:
                yield Message(fields.get("id"), fields.get("event", "message"), "\n".join(data))
            fields, data = {}, []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            else:
                fields[name] = value


def next_message(stream: Iterator[Message], event: str, contains: str = "") -> Message:
    deadline = time.monotonic() + WAIT
    for message in stream:
        if message.event == event and contains in message.data:
            return message
        assert time.monotonic() < deadline, f"no {event!r} message with {contains!r}"
    raise AssertionError("the stream ended")


@contextmanager
def page(
    url: str, cookie: str, project_id: int, last_event_id: int | None = None
) -> Iterator[Iterator[Message]]:
    """A dashboard's event stream, signed in with the session ``cookie``."""
    headers = {} if last_event_id is None else {"Last-Event-ID": str(last_event_id)}
    with (
        httpx.Client(base_url=url, cookies={cookies.COOKIE: cookie}, timeout=WAIT) as http,
        http.stream("GET", f"/console/projects/{project_id}/events", headers=headers) as response,
    ):
        assert response.status_code == 200
        yield messages(response)


def answer(url: str, token: str, project_id: int) -> int:
    """Lease a task and answer it through the API; the assignment's id."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=WAIT) as http:
        job = http.post(f"/api/v1/projects/{project_id}/next")
        assert job.status_code == 200, job.text
        assignment_id = int(job.json()["id"])
        done = http.post(f"/api/v1/assignments/{assignment_id}/submit", json={"answer": "cat"})
        assert done.status_code == 200, done.text
    return assignment_id


def submitted(message: Message) -> int:
    """The assignment of an ``answer.submitted`` change message."""
    body = json.loads(message.data)
    assert body["type"] == "answer.submitted"
    assert int(message.id or 0) == body["id"]
    return int(body["payload"]["assignment_id"])


@contextmanager
def server_process(settings: Settings) -> Iterator[str]:
    """``crowdloop serve`` as it runs in production, without embedded job workers."""
    port = free_port()
    env = {
        **os.environ,
        "CROWDLOOP_DATABASE_URL": settings.database_url,
        "CROWDLOOP_SECRET_KEY": settings.secret_key,
        "CROWDLOOP_ENV": "test",
        "CROWDLOOP_JOBS_EMBEDDED": "0",
        "CROWDLOOP_REDIS_URL": "",
        "CROWDLOOP_REFIT_INTERVAL_SECONDS": "0",
        "CROWDLOOP_AI_INTERVAL_SECONDS": "0",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "crowdloop.app:app_from_env"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT
        while True:
            assert process.poll() is None, "the server process exited"
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server process did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class TestAcrossProcesses:
    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_an_answer_through_one_process_reaches_a_page_on_another(
        self, settings: Settings, scene: Scene
    ) -> None:
        with (
            server_process(settings) as a,
            server_process(settings) as b,
            page(b, scene.owner_cookie, scene.project_id) as stream,
        ):
            first = next_message(stream, "stats")
            assert first.id is not None
            assignment_id = answer(a, scene.worker_token, scene.project_id)
            change = next_message(stream, "change", '"answer.submitted"')
            assert submitted(change) == assignment_id
            assert int(change.id or 0) > int(first.id)
            next_message(stream, "stats", 'data-stat="answers">1<')


class TestOneProcess:
    def test_an_answer_wakes_an_open_page_without_polling(
        self, settings: Settings, platform: Platform, scene: Scene
    ) -> None:
        """SQLite: in-process (the commit's callback); PostgreSQL: that or its NOTIFY."""
        platform.live.poll_seconds = platform.live.safety_poll_seconds = HOUR
        with (
            live_server(settings, platform) as url,
            page(url, scene.owner_cookie, scene.project_id) as stream,
        ):
            next_message(stream, "stats")
            assignment_id = answer(url, scene.worker_token, scene.project_id)
            assert submitted(next_message(stream, "change", '"answer.submitted"')) == assignment_id
            next_message(stream, "stats", 'data-stat="answers">1<')

    def test_last_event_id_replays_what_was_missed(
        self, settings: Settings, db: Database, platform: Platform, scene: Scene
    ) -> None:
        with live_server(settings, platform) as url:
            answer(url, scene.worker_token, scene.other_project_id)
            first = answer(url, scene.worker_token, scene.project_id)
            second = answer(url, scene.worker_token, scene.project_id)
            with unit_of_work(db, write=False) as session:
                mine = events.events_after(session, 0, project_id=scene.project_id)
                seen = next(e.id for e in mine if e.payload.get("assignment_id") == first)
            missed = [e for e in mine if e.id > seen]
            assert missed
            with page(url, scene.owner_cookie, scene.project_id, last_event_id=seen) as stream:
                replayed = [next(stream) for _ in missed]
                panel = next(stream)
        assert [(m.event, m.id) for m in replayed] == [("change", str(e.id)) for e in missed]
        assert [json.loads(m.data)["type"] for m in replayed] == [e.type for e in missed]
        assert second in {json.loads(m.data)["payload"].get("assignment_id") for m in replayed}
        assert (panel.event, panel.id) == ("stats", None)
        assert 'data-stat="answers">2<' in panel.data


class TestAccess:
    @pytest.mark.parametrize("role", [Role.worker, Role.reviewer, Role.requester])
    def test_only_readers_of_the_project_may_subscribe(
        self, settings: Settings, platform: Platform, db: Database, scene: Scene, role: Role
    ) -> None:
        with unit_of_work(db) as session:
            cookie = make_web_session(session, make_user(session, role=role))
        with (
            live_server(settings, platform) as url,
            httpx.Client(base_url=url, cookies={cookies.COOKIE: cookie}) as http,
        ):
            response = http.get(
                f"/console/projects/{scene.project_id}/events", headers={"Last-Event-ID": "0"}
            )
        assert response.status_code == 404
        assert "answer.submitted" not in response.text
