"""Real kills: a job worker killed mid-job, a server killed right after its commits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from crowdloop.accounts.models import Role
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.events.models import Event, EventHandling, HandlingStatus
from crowdloop.events.types import EventType
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from crowdloop.work.models import Assignment, AssignmentStatus
from tests.factories.accounts import make_token, make_user
from tests.factories.projects import LABELS, make_project, make_tasks
from tests.live import free_port

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.slow


def _env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CROWDLOOP_DATABASE_URL=settings.database_url,
        CROWDLOOP_JOB_LEASE_SECONDS="2",
        CROWDLOOP_REFIT_INTERVAL_SECONDS="0",
        CROWDLOOP_AI_INTERVAL_SECONDS="0",
        **extra,
    )
    return env


def _wait_for(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def _status(platform: Platform) -> tuple[HandlingStatus, int] | None:
    with unit_of_work(platform.db, write=False) as session:
        row = session.execute(
            select(EventHandling.status, EventHandling.attempts).where(
                EventHandling.subscriber == "tests.kill"
            )
        ).first()
    return None if row is None else (row[0], row[1])


def test_a_worker_killed_mid_job_leaves_the_job_to_be_retried(
    platform: Platform, settings: Settings, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    env = _env(settings)
    script = [sys.executable, str(HERE / "kill_worker.py"), str(marker)]
    hanging = subprocess.Popen([*script, "hang"], env=env, stderr=subprocess.DEVNULL)
    try:
        with unit_of_work(platform.db) as session:  # the commit wakes the relay job
            published = events.publish(session, EventType.webhook_test, project_id=1)
        assert _wait_for(lambda: marker.exists()), "the worker never started the job"
        assert marker.read_text() == f"hang {published.id}"
        assert _status(platform) == (HandlingStatus.running, 0)
        hanging.send_signal(signal.SIGKILL)
        hanging.wait(10)
    finally:
        hanging.kill()
    marker.unlink()
    finishing = subprocess.Popen([*script, "done"], env=env, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2.5)  # let the dead worker's lease lapse, then wake a relay
        platform.jobs.enqueue("events.relay")
        assert _wait_for(lambda: _status(platform) == (HandlingStatus.done, 1))
        assert marker.read_text() == f"done {published.id}"
    finally:
        finishing.terminate()
        finishing.wait(20)


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    embedded = "true" if settings.is_sqlite else "false"
    cmd = [sys.executable, "-m", "crowdloop", "serve", "--port", str(port)]
    server = subprocess.Popen(
        cmd, env=_env(settings, CROWDLOOP_JOBS_EMBEDDED=embedded), stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/api/v1/health"

    def up() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    assert _wait_for(up), "the server did not start"
    return server


def _answer_until_killed(
    base: str, token: str, project_id: int, server: subprocess.Popen[bytes], n: int
) -> int:
    """Answer n tasks, then kill -9 the server at once (right after a commit)."""
    acked = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        for _ in range(n):
            job = http.post(f"/api/v1/projects/{project_id}/next")
            if job.status_code != 200:
                break
            done = http.post(
                f"/api/v1/assignments/{job.json()['id']}/submit", json={"answer": LABELS[acked % 3]}
            )
            acked += done.status_code == 200
    server.send_signal(signal.SIGKILL)
    server.wait(10)
    return acked


def test_killing_the_server_after_its_commits_loses_no_event(
    platform: Platform, settings: Settings
) -> None:
    with unit_of_work(platform.db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1)
        make_tasks(session, project, 30)
        token = make_token(session, make_user(session, role=Role.worker))
        project_id = project.id
    acked = 0
    for _ in range(2):
        port = free_port()
        server = _serve(settings, port)
        acked += _answer_until_killed(f"http://127.0.0.1:{port}", token, project_id, server, 5)
    assert acked == 10
    with unit_of_work(platform.db, write=False) as session:
        submitted = session.scalar(
            select(func.count())
            .select_from(Assignment)
            .where(Assignment.status == AssignmentStatus.submitted)
        )
        announced = session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "answer.submitted")
        )
    assert submitted == announced == acked
    events.relay(platform.db, platform.bus)  # what no wake-up reached is relayed now
    with unit_of_work(platform.db, write=False) as session:
        left = session.scalar(
            select(func.count()).select_from(Event).where(Event.dispatched_at.is_(None))
        )
    assert left == 0
