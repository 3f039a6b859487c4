from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.client import ApiError, Client
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body


def _quality(**overrides: Any) -> dict[str, Any]:
    return {"control_rate": 0.0, "rules": [], **overrides}


def _answer_all(worker: Client, project_id: int, label: str) -> list[dict[str, Any]]:
    out = []
    while True:
        try:
            job = worker.next_task(project_id)
        except ApiError as err:
            if err.error == "NoTaskAvailable":
                return out
            raise
        out.append(worker.submit(job["id"], label))


def _next_or_none(worker: Client, project_id: int) -> dict[str, Any] | None:
    try:
        job: dict[str, Any] = worker.next_task(project_id)
    except ApiError as err:
        if err.error == "NoTaskAvailable":
            return None
        raise
    return job


class TestControlTasks:
    def test_controls_mixed_in_and_wrong_answer_gets_feedback(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(control_rate=1.0))
        )
        pid = project["id"]
        a.requester.create_task(
            pid, {"data": {"q": "c"}, "gold": "cat", "gold_explanation": "ears"}
        )
        a.requester.create_task(pid, {"data": {"q": "plain"}})
        first = a.workers[0].next_task(pid)
        assert first["data"] == {"q": "c"}  # rate 1.0: the control comes first
        assert set(first) == set(a.workers[0].next_task(pid))  # same shape as any task
        out = a.workers[0].submit(first["id"], "dog")
        assert out["feedback"] == {"correct": False, "expected": "cat", "explanation": "ears"}
        plain = a.workers[0].next_task(pid)  # no unseen control left: a normal task
        assert plain["data"] == {"q": "plain"}
        assert a.workers[0].submit(plain["id"], "dog")["feedback"] is None
        (seen,) = a.requester.request("GET", f"/projects/{pid}/workers")
        assert seen["n_control"] == 1
        assert seen["n_control_correct"] == 0
        low, high = seen["control_accuracy_interval"]
        assert 0.0 <= low < high < 1.0  # uncertainty, not a bare 0/1 ratio

    def test_a_worker_cannot_tell_controls_from_their_standing(
        self, app_client: TestClient, db: Database
    ) -> None:
        """Issue 11, finding 3: control counters changed right after each submit."""
        a = actors(app_client, db, n_workers=1)
        rules = [{"kind": "fast_answers", "threshold": 2.0, "action": "warn"}]
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(control_rate=0.5, rules=rules))
        )
        pid = project["id"]
        a.requester.create_task(pid, {"data": {"q": "c"}, "gold": "cat"})
        for i in range(3):
            a.requester.create_task(pid, {"data": {"q": f"plain {i}"}})
        worker = a.workers[0]
        before = worker.request("GET", "/me/quality")
        views = []
        for job in iter(lambda: _next_or_none(worker, pid), None):
            worker.submit(job["id"], "cat")
            views.append(worker.request("GET", "/me/quality")["projects"])
        assert len(views) == 4
        for view in [before["projects"], *views]:
            for row in view:
                assert not {"n_control", "n_control_correct", "control_accuracy"} & set(row)
        # Only the answer count moves between answers: nothing tells the control apart.
        moving = [[{k: v for k, v in r.items() if k != "n_answers"} for r in v] for v in views]
        assert all(m == moving[0] for m in moving)
        seen = worker.request("GET", f"/projects/{pid}")
        assert "quality_config" not in seen
        assert "budget_cents" not in seen
        listed = worker.request("GET", "/projects")
        assert all("quality_config" not in p for p in listed)

    def test_control_tasks_do_not_use_overlap(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(control_rate=1.0))
        )
        a.requester.create_task(project["id"], {"data": {}, "gold": "cat"})
        for worker in a.workers:
            job = worker.next_task(project["id"])
            assert worker.submit(job["id"], "cat")["feedback"] is None

    def test_three_right_controls_are_not_100_percent(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(control_rate=1.0))
        )
        for i in range(3):
            a.requester.create_task(project["id"], {"data": {"i": i}, "gold": "cat"})
        _answer_all(a.workers[0], project["id"], "cat")
        row = a.requester.request("GET", f"/projects/{project['id']}/workers")[0]
        assert row["n_control_correct"] == 3
        assert row["control_accuracy"] < 0.9
        assert row["control_accuracy_interval"][0] < 0.6


class TestRules:
    def test_control_accuracy_rule_blocks_and_requester_reverts(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=1)
        rule = {"kind": "control_accuracy", "threshold": 0.6, "min_answers": 2, "action": "block"}
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(control_rate=1.0, rules=[rule]))
        )
        pid = project["id"]
        for i in range(2):
            a.requester.create_task(pid, {"data": {"i": i}, "gold": "cat"})
        a.requester.create_task(pid, {"data": {"plain": True}})
        worker = a.workers[0]
        for _ in range(2):
            worker.submit(worker.next_task(pid)["id"], "dog")
        with pytest.raises(ApiError) as err:
            worker.next_task(pid)
        assert err.value.status == 403
        assert "control accuracy" in err.value.detail
        events = a.requester.request("GET", f"/projects/{pid}/quality/events")
        assert [e["kind"] for e in events] == ["block"]
        assert worker.request("GET", "/me/quality")["events"][0]["reason"] == events[0]["reason"]
        undone = a.requester.request(
            "POST", f"/projects/{pid}/quality/events/{events[0]['id']}/revert"
        )
        assert undone["reverted"] is True
        assert undone["reverted_by"] == a.requester.request("GET", "/me")["id"]
        assert undone["reverted_at"] is not None
        assert worker.next_task(pid)["data"] == {"plain": True}
        with pytest.raises(ApiError) as err:
            a.requester.request("POST", f"/projects/{pid}/quality/events/{events[0]['id']}/revert")
        assert err.value.status == 409

    def test_skips_in_row_discard_requeues_and_restores(
        self, app_client: TestClient, db: Database
    ) -> None:
        a = actors(app_client, db, n_workers=2)
        rule = {"kind": "skips_in_row", "threshold": 2, "action": "discard"}
        project = a.requester.create_project(
            project_body(overlap=1, quality=_quality(rules=[rule]))
        )
        pid = project["id"]
        for i in range(4):
            a.requester.create_task(pid, {"data": {"i": i}})
        w0, w1 = a.workers
        w0.submit(w0.next_task(pid)["id"], "cat")
        w0.skip(w0.next_task(pid)["id"])
        w0.skip(w0.next_task(pid)["id"])
        stats = a.requester.request("GET", f"/projects/{pid}/stats")
        assert stats["answers"] == 0  # w0's answer was discarded and its task re-queued
        event = a.requester.request("GET", f"/projects/{pid}/quality/events")[0]
        assert event["kind"] == "discard"
        assert "2 skips in a row" in event["reason"]
        a.requester.request("POST", f"/projects/{pid}/quality/events/{event['id']}/revert")
        assert a.requester.request("GET", f"/projects/{pid}/stats")["answers"] == 1
        assert len(_answer_all(w1, pid, "dog")) == 3

    def test_invalid_rule_is_422(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        bad = {"kind": "too_slow", "threshold": 1, "action": "warn"}
        with pytest.raises(ApiError) as err:
            a.requester.create_project(project_body(quality=_quality(rules=[bad])))
        assert err.value.status == 422


class TestRefit:
    def test_refit_weights_reliable_workers(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=5)
        project = a.requester.create_project(project_body(overlap=5, quality=_quality()))
        pid = project["id"]
        truth = ["cat", "dog", "bird", "cat", "dog", "bird"] * 3
        for i, label in enumerate(truth):
            a.requester.create_task(
                pid, {"data": {"i": i}, "gold": label} if i < 6 else {"data": {"i": i}}
            )
        # Three spammers always say "bird"; two good workers are always right.
        project2 = a.requester.create_project(project_body(overlap=5, quality=_quality()))
        for i, label in enumerate(truth):
            a.requester.create_task(project2["id"], {"data": {"i": i, "truth": label}})
        for n, worker in enumerate(a.workers):
            while True:
                try:
                    job = worker.next_task(project2["id"])
                except ApiError:
                    break
                answer = job["data"]["truth"] if n < 2 else "bird"
                worker.submit(job["id"], answer)
        report = a.requester.request("POST", f"/projects/{project2['id']}/quality/refit")
        assert report["answers"] == 5 * len(truth)
        results = {r["task_id"]: r["result"] for r in a.requester.results(project2["id"])}
        tasks = a.requester.request("GET", f"/projects/{project2['id']}/tasks")["items"]
        correct = sum(results[t["id"]] == t["data"]["truth"] for t in tasks)
        assert correct == len(truth)  # majority vote would get only the "bird" tasks right
        workers = a.requester.request("GET", f"/projects/{project2['id']}/workers")
        good = [w for w in workers if w["agreement"] == 1.0]
        assert len(good) == 2

    def test_refit_of_text_project_is_422(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        project = a.requester.create_project(project_body(answer_schema={"type": "text"}))
        with pytest.raises(ApiError) as err:
            a.requester.request("POST", f"/projects/{project['id']}/quality/refit")
        assert err.value.status == 422


class TestAgreementAndJobs:
    def test_agreement_endpoint(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=3)
        project = a.requester.create_project(project_body(overlap=3, quality=_quality()))
        for i in range(4):
            a.requester.create_task(project["id"], {"data": {"i": i}})
        for n, worker in enumerate(a.workers):
            _answer_all(worker, project["id"], "bird" if n == 2 else "cat")
        stats = a.requester.request("GET", f"/projects/{project['id']}/agreement")
        assert stats["answers"] == 12
        assert stats["pairwise"] == pytest.approx(1 / 3)
        assert stats["fleiss_kappa"] < 0.1
        odd = a.workers[2].me()["id"]
        assert stats["workers"][str(odd)] == 0.0

    def test_background_refit_picks_up_new_answers(
        self, app_client: TestClient, db: Database
    ) -> None:
        from crowdloop.quality.jobs import refit_due

        a = actors(app_client, db, n_workers=2)
        project = a.requester.create_project(project_body(overlap=2, quality=_quality()))
        a.requester.create_task(project["id"], {"data": {}})
        assert refit_due(db) == []
        for worker in a.workers:
            _answer_all(worker, project["id"], "dog")
        reports = refit_due(db)
        assert [r.project_id for r in reports] == [project["id"]]
        assert refit_due(db) == []  # nothing new since
        state = a.requester.request("GET", f"/projects/{project['id']}")["quality_config"]
        assert state["method"] == "auto"


def test_submit_with_next_keeps_the_answer_when_it_gets_the_worker_blocked(
    app_client: TestClient, db: Database
) -> None:
    a = actors(app_client, db, n_workers=1)
    rule = {"kind": "control_accuracy", "threshold": 0.9, "min_answers": 1, "action": "block"}
    project = a.requester.create_project(
        project_body(overlap=1, quality=_quality(control_rate=1.0, rules=[rule]))
    )
    a.requester.create_task(project["id"], {"data": {}, "gold": "cat"})
    a.requester.create_task(project["id"], {"data": {}})
    job = a.workers[0].next_task(project["id"])
    out = a.workers[0].submit(job["id"], "dog", next=True)
    assert out["next"] is None
    assert out["feedback"]["expected"] == "cat"
    assert (
        a.requester.request("GET", f"/projects/{project['id']}/quality/events")[0]["kind"]
        == "block"
    )


def test_big_projects_rest_between_refits() -> None:
    from datetime import timedelta

    from crowdloop.quality.jobs import _rested
    from crowdloop.storage.types import utcnow

    now = utcnow()
    fitted = (now - timedelta(seconds=30)).isoformat()
    assert _rested({}, now)
    assert _rested({"fitted_at": fitted, "fit_seconds": 2.0}, now)
    assert not _rested({"fitted_at": fitted, "fit_seconds": 5.0}, now)


def test_refit_and_agreement_on_an_empty_project_are_sane(
    app_client: TestClient, db: Database
) -> None:
    a = actors(app_client, db, n_workers=1)
    project = a.requester.create_project(project_body(quality=_quality()))
    pid = project["id"]
    a.requester.create_task(pid, {"data": {}})
    report = a.requester.request("POST", f"/projects/{pid}/quality/refit")
    assert report["answers"] == 0
    assert report["workers"] == 0
    stats = a.requester.request("GET", f"/projects/{pid}/agreement")
    assert stats["pairwise"] == 1.0
    # One worker, one answer, one class used: still finite numbers everywhere.
    a.workers[0].submit(a.workers[0].next_task(pid)["id"], "cat")
    a.requester.request("POST", f"/projects/{pid}/quality/refit")
    row = a.requester.request("GET", f"/projects/{pid}/workers")[0]
    assert 0.0 <= row["accuracy_low"] <= row["accuracy"] <= row["accuracy_high"] <= 1.0
