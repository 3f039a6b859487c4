"""Over real HTTP: a write is committed before its response is sent (read-your-writes)."""

from __future__ import annotations

import httpx

from crowdloop.accounts.models import Role
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from tests.factories.accounts import make_token, make_user
from tests.factories.projects import make_project, make_tasks
from tests.live import live_server

N = 60


def test_submit_right_after_next_never_misses(
    settings: Settings, db: Database, platform: Platform
) -> None:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=1)
        make_tasks(session, project, N)
        token = make_token(session, make_user(session, role=Role.worker))
        project_id = project.id
    statuses = []
    with live_server(settings, platform) as url, httpx.Client(base_url=url) as http:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(N):
            job = http.post(f"/api/v1/projects/{project_id}/next", headers=headers)
            statuses.append(job.status_code)
            done = http.post(
                f"/api/v1/assignments/{job.json()['id']}/submit",
                json={"answer": "cat"},
                headers=headers,
            )
            statuses.append(done.status_code)
        last = http.post(f"/api/v1/projects/{project_id}/next", headers=headers)
    assert statuses == [200] * (2 * N)
    assert last.status_code == 404
