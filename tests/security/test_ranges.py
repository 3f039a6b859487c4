"""Numbers beyond what the database holds (issue 11, finding 7): ids past 64 bits and money
past its column are refused as invalid input (422, or a 404 page), never a 500, on both
backends; the largest values the columns hold are accepted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role
from crowdloop.storage.base import INT32_MAX, INT64_MAX
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import make_token, make_user
from tests.helpers import project_body
from tests.web.conftest import Browser

TOO_BIG = INT64_MAX + 1


@pytest.fixture
def owner(app_client: TestClient, db: Database) -> dict[str, str]:
    with unit_of_work(db) as session:
        token = make_token(session, make_user(session, role=Role.requester))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def worker(db: Database) -> dict[str, str]:
    with unit_of_work(db) as session:
        token = make_token(session, make_user(session, role=Role.worker))
    return {"Authorization": f"Bearer {token}"}


def _status(app_client: TestClient, method: str, path: str, headers: Any, **kw: Any) -> int:
    return app_client.request(method, "/api/v1" + path, headers=headers, **kw).status_code


class TestIds:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/projects/{big}"),
            ("GET", "/projects/{big}/tasks/1"),
            ("GET", "/projects/1/tasks/{big}"),
            ("DELETE", "/me/tokens/{big}"),
            ("GET", "/uploads/{big}"),
            ("GET", "/projects/1/webhooks/{big}"),
            ("GET", "/projects/{big}/tasks?after={big}"),
            ("GET", "/projects/1/quality/events?worker_id={big}"),
        ],
    )
    def test_an_id_past_64_bits_is_invalid_input(
        self, app_client: TestClient, owner: dict[str, str], method: str, path: str
    ) -> None:
        found = app_client.request(
            method, "/api/v1" + path.format(big=TOO_BIG), headers=owner, json={}
        )
        assert found.status_code == 422, found.text
        assert found.json()["error"] == "InvalidInput"

    def test_the_largest_id_is_just_not_found(
        self, app_client: TestClient, owner: dict[str, str]
    ) -> None:
        assert _status(app_client, "GET", f"/projects/{INT64_MAX}", owner) == 404

    def test_a_worker_id_past_64_bits_in_a_body_is_invalid(
        self, app_client: TestClient, owner: dict[str, str]
    ) -> None:
        pid = app_client.post("/api/v1/projects", json=project_body(), headers=owner).json()["id"]
        body = {"worker_ids": [TOO_BIG]}
        assert _status(app_client, "POST", f"/projects/{pid}/assign", owner, json=body) == 422

    def test_a_worker_asking_with_a_huge_project_filter(
        self, app_client: TestClient, worker: dict[str, str]
    ) -> None:
        path = f"/assignments?project_id={TOO_BIG}"
        assert _status(app_client, "GET", path, worker) == 422
        assert _status(app_client, "POST", f"/projects/{TOO_BIG}/next", worker) == 422

    def test_a_page_with_a_huge_id_is_a_404_page(
        self, app_client: TestClient, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            user = make_user(session, role=Role.requester)
            session.expunge(user)
        browser = Browser(app_client, user)
        for path in (f"/console/projects/{TOO_BIG}", f"/console/projects/1/tasks/{TOO_BIG}"):
            page = browser.get(path)
            assert page.status_code == 404, path
            assert "text/html" in page.headers["content-type"]


class TestMoney:
    @pytest.mark.parametrize(
        ("field", "largest"),
        [("reward_cents", INT32_MAX), ("budget_cents", INT64_MAX)],
    )
    def test_money_past_its_column_is_refused_and_the_largest_kept(
        self, app_client: TestClient, owner: dict[str, str], field: str, largest: int
    ) -> None:
        too_much = project_body(**{field: largest + 1})
        refused = app_client.post("/api/v1/projects", json=too_much, headers=owner)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", field]
        kept = app_client.post("/api/v1/projects", json=project_body(**{field: largest}))
        assert kept.status_code == 401  # (no token) the route, not the number, refused it
        kept = app_client.post(
            "/api/v1/projects", json=project_body(**{field: largest}), headers=owner
        )
        assert kept.status_code == 201, kept.text
        assert kept.json()[field] == largest

    def test_a_task_reward_past_32_bits_is_refused(
        self, app_client: TestClient, owner: dict[str, str]
    ) -> None:
        pid = app_client.post("/api/v1/projects", json=project_body(), headers=owner).json()["id"]
        path = f"/projects/{pid}/tasks"
        body = {"data": {"x": 1}, "reward_cents": INT32_MAX + 1}
        assert _status(app_client, "POST", path, owner, json=body) == 422
        update = {"reward_cents": INT32_MAX + 1}
        assert _status(app_client, "PATCH", f"/projects/{pid}", owner, json=update) == 422
