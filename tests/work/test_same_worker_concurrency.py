"""One worker's concurrent requests (issue 11, finding 6): the same token asking for work
from several connections at once gets one lease, never a 500 or a 503, on both backends.
Real concurrency: a live uvicorn server and one thread per connection."""

from __future__ import annotations

import threading

import httpx

from crowdloop.accounts.models import Role
from crowdloop.config import Settings
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from tests.factories.accounts import make_token, make_user
from tests.factories.projects import make_project, make_tasks
from tests.live import live_server

CONNECTIONS = 3
ROUNDS = 12


def _seed(platform: Platform) -> tuple[int, str]:
    """A project whose workers get a control task about half the time."""
    with unit_of_work(platform.db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=2, quality={"control_rate": 0.5})
        make_tasks(session, project, ROUNDS)
        make_tasks(session, project, ROUNDS, gold="cat")
        token = make_token(session, make_user(session, role=Role.worker))
        return project.id, token


def _round(url: str, path: str, token: str) -> list[httpx.Response]:
    """CONNECTIONS requests released at the same instant, each on its own connection."""
    barrier = threading.Barrier(CONNECTIONS)
    answers: list[httpx.Response] = []

    def ask() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            barrier.wait()
            answers.append(http.post(path, headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=ask) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_one_worker_many_connections_get_one_lease(settings: Settings, platform: Platform) -> None:
    project_id, token = _seed(platform)
    statuses: list[int] = []
    with live_server(settings, platform) as url:
        for _ in range(ROUNDS):
            answers = _round(url, f"/api/v1/projects/{project_id}/next", token)
            statuses += [a.status_code for a in answers]
            assert [a.status_code for a in answers] == [200] * CONNECTIONS, [
                a.text for a in answers
            ]
            leases = {a.json()["id"] for a in answers}
            assert len(leases) == 1, f"one worker got {len(leases)} leases at once"
            done = httpx.post(
                f"{url}/api/v1/assignments/{leases.pop()}/submit",
                json={"answer": "cat"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert done.status_code == 200, done.text
    assert statuses == [200] * (CONNECTIONS * ROUNDS)
