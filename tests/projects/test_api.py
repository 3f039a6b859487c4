from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body


class TestProjects:
    @pytest.mark.parametrize(
        "schema",
        [
            {"type": "single_choice", "labels": ["yes", "no"]},
            {"type": "multiple_choice", "labels": ["a", "b", "c"], "max_selected": 2},
            {"type": "rating", "min": 0, "max": 10, "step": 0.5},
            {"type": "text", "max_length": 200},
        ],
    )
    def test_create_each_task_type(
        self, app_client: TestClient, db: Database, schema: dict[str, Any]
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        body = project_body(
            answer_schema=schema,
            instructions="# Read me\nCarefully.",
            reward_cents=7,
            budget_cents=1000,
            deadline="2030-01-01T00:00:00Z",
            priority=5,
            required_skills=["english"],
        )
        project = a.requester.create_project(body)
        assert project["task_type"] == schema["type"]
        assert project["answer_schema"]["type"] == schema["type"]
        assert project["required_skills"] == ["english"]
        assert project["deadline"].startswith("2030-01-01")

    @pytest.mark.parametrize(
        "overrides",
        [
            {"answer_schema": {"type": "single_choice", "labels": ["only"]}},
            {"answer_schema": {"type": "single_choice", "labels": ["a", "a"]}},
            {"answer_schema": {"type": "rating", "min": 5, "max": 1}},
            {"answer_schema": {"type": "hologram"}},
            {"overlap": 0},
            {"reward_cents": -1},
            {"name": ""},
            {"deadline": "2030-01-01T00:00:00"},
            {"unknown_field": 1},
        ],
    )
    def test_invalid_project_is_422(
        self, app_client: TestClient, db: Database, overrides: dict[str, Any]
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        with pytest.raises(ApiError) as err:
            a.requester.create_project(project_body(**overrides))
        assert err.value.status == 422
        assert a.requester.request("GET", "/projects") == []

    def test_requester_sees_only_own_projects(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        mine = a.requester.create_project(project_body(name="mine"))
        theirs = a.other_requester.create_project(project_body(name="theirs"))
        assert [p["name"] for p in a.requester.request("GET", "/projects")] == ["mine"]
        for path in (f"/projects/{theirs['id']}", f"/projects/{theirs['id']}/tasks"):
            with pytest.raises(ApiError) as err:
                a.requester.request("GET", path)
            assert err.value.status == 404
        with pytest.raises(ApiError):
            a.requester.request("PATCH", f"/projects/{theirs['id']}", json={"name": "hijack"})
        assert len(a.admin.request("GET", "/projects")) == 2
        assert a.requester.request("GET", f"/projects/{mine['id']}")["name"] == "mine"

    def test_workers_cannot_create_projects(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        with pytest.raises(ApiError) as err:
            a.workers[0].create_project(project_body())
        assert err.value.status == 403

    def test_update_and_stats(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {"q": 1}, "gold": "cat"})
        a.requester.create_task(project["id"], {"data": {"q": 2}})
        job = a.workers[0].next_task(project["id"])
        a.workers[0].submit(job["id"], "dog")
        stats = a.requester.request("GET", f"/projects/{project['id']}/stats")
        assert stats["tasks"] == 2
        assert stats["control_tasks"] == 1
        assert stats["answers"] == 1
        assert stats["tasks_complete"] == 1
        updated = a.requester.request(
            "PATCH", f"/projects/{project['id']}", json={"status": "paused"}
        )
        assert updated["status"] == "paused"
        with pytest.raises(ApiError) as err:
            a.workers[0].next_task(project["id"])
        assert err.value.status == 403


class TestWorkerVisibility:
    def test_worker_never_sees_gold(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(
            project["id"], {"data": {"q": 1}, "gold": "cat", "gold_explanation": "whiskers"}
        )
        job = a.workers[0].next_task(project["id"])
        assert "gold" not in job
        assert "cat" not in str(job)
        assert "whiskers" not in str(job)
        for path in (f"/projects/{project['id']}/tasks", f"/projects/{project['id']}/results"):
            with pytest.raises(ApiError) as err:
                a.workers[0].request("GET", path)
            assert err.value.status in (403, 404)

    def test_members_only_and_skills(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=2)
        closed = a.requester.create_project(project_body(visibility="members"))
        skilled = a.requester.create_project(project_body(required_skills=["german"]))
        for p in (closed, skilled):
            a.requester.create_task(p["id"], {"data": {}})
        w0 = a.workers[0]
        assert w0.request("GET", "/projects") == []
        with pytest.raises(ApiError) as err:
            w0.next_task(closed["id"])
        assert err.value.status == 404
        w0_id = w0.me()["id"]
        a.requester.request("PUT", f"/projects/{closed['id']}/members/{w0_id}")
        assert w0.next_task(closed["id"])["project_id"] == closed["id"]
        a.admin.request("PATCH", f"/users/{w0_id}", json={"skills": ["german"]})
        assert {p["id"] for p in w0.request("GET", "/projects")} == {closed["id"], skilled["id"]}
        with pytest.raises(ApiError):
            a.workers[1].next_task(skilled["id"])

    def test_task_required_skills_filter_tasks(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {"n": 1}, "required_skills": ["medical"]})
        plain = a.requester.create_task(project["id"], {"data": {"n": 2}})
        job = a.workers[0].next_task(project["id"])
        assert job["task_id"] == plain["id"]
        a.workers[0].submit(job["id"], "cat")
        with pytest.raises(ApiError):
            a.workers[0].next_task(project["id"])


class TestTasks:
    def test_invalid_gold_is_422_and_nothing_stored(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body())
        with pytest.raises(ApiError) as err:
            a.requester.create_task(project["id"], {"data": {}, "gold": "unicorn"})
        assert err.value.status == 422
        assert a.requester.request("GET", f"/projects/{project['id']}/tasks")["items"] == []

    def test_a_task_id_names_one_task_of_its_project(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body())
        other = a.requester.create_project(project_body())
        first = a.requester.create_task(project["id"], {"data": {"n": 1}, "external_id": "q-7"})
        with pytest.raises(ApiError) as err:
            a.requester.create_task(project["id"], {"data": {"n": 2}, "external_id": "q-7"})
        assert err.value.status == 409
        assert f"already task {first['id']}" in str(err.value)
        # Another project may use the same id; tasks without an id are many.
        a.requester.create_task(other["id"], {"data": {"n": 3}, "external_id": "q-7"})
        a.requester.create_task(project["id"], {"data": {"n": 4}})
        a.requester.create_task(project["id"], {"data": {"n": 5}})
        items = a.requester.request("GET", f"/projects/{project['id']}/tasks")["items"]
        assert [t["data"]["n"] for t in items] == [1, 4, 5]

    def test_priority_orders_the_stream(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(overlap=1))
        a.requester.create_task(project["id"], {"data": {"n": 1}})
        urgent = a.requester.create_task(project["id"], {"data": {"n": 2}, "priority": 10})
        assert a.workers[0].next_task(project["id"])["task_id"] == urgent["id"]

    def test_budget_stops_handing_out_work(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(
            project_body(overlap=3, reward_cents=10, budget_cents=20)
        )
        a.requester.create_task(project["id"], {"data": {}})
        a.workers[0].submit(a.workers[0].next_task(project["id"])["id"], "cat")
        job = a.workers[1].next_task(project["id"])
        with pytest.raises(ApiError) as err:
            a.workers[2].next_task(project["id"])
        assert "budget" in err.value.detail
        a.workers[1].release(job["id"])
        assert a.workers[2].next_task(project["id"])["task_id"] == job["task_id"]
        project_now = a.requester.request("GET", f"/projects/{project['id']}")
        assert project_now["committed_cents"] == 20

    def test_past_deadline_hands_out_nothing(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(project_body(deadline="2001-01-01T00:00:00Z"))
        a.requester.create_task(project["id"], {"data": {}})
        with pytest.raises(ApiError) as err:
            a.workers[0].next_task(project["id"])
        assert "deadline" in err.value.detail

    def test_api_errors_are_json_never_500(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        r = app_client.post(
            "/api/v1/projects",
            content=b"{not json",
            headers={**a.requester.headers, "content-type": "application/json"},
        )
        assert r.status_code == 422
        assert r.json()["error"] == "InvalidInput"
        r = app_client.get("/api/v1/projects/abc", headers=a.requester.headers)
        assert r.status_code == 422
        r = app_client.get("/api/v1/nowhere")
        assert r.status_code == 404
        assert set(r.json()) == {"error", "detail"}
        spec = app_client.get("/api/v1/openapi.json").json()
        assert "/api/v1/projects/{project_id}/next" in spec["paths"]
