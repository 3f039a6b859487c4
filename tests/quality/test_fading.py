"""Old evidence of a worker's accuracy fades (``ability_half_life_days``); the truth does not."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from crowdloop.algorithms.answers import Answers
from crowdloop.algorithms.truth import MajorityVote
from crowdloop.client import ApiError
from crowdloop.quality.fading import DAY, faded_accuracy
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.helpers import actors, project_body
from tests.quality.test_api import _quality

LABELS = ["cat", "dog", "bird"]


def test_faded_accuracy_weighs_recent_answers() -> None:
    # worker 0: wrong on tasks 0-9 a year ago, right on 10-19 now; workers 1, 2 always right
    truth = np.arange(20) % 3
    task = np.repeat(np.arange(20), 3)
    worker = np.tile([0, 1, 2], 20)
    label = np.where((worker == 0) & (task < 10), (truth[task] + 1) % 3, truth[task])
    answers = Answers(task, worker, label, 20, 3, 3)
    model = MajorityVote().fit(answers)
    now = 1_000_000_000.0
    finished = np.where((worker == 0) & (task < 10), now - 365 * DAY, now)
    faded, interval = faded_accuracy(model, answers, finished, 30 * DAY, now=now)
    # majority vote's posterior gives a lone dissenter's label 1/3 (soft agreement)
    assert model.worker_accuracy_[0] == pytest.approx((10 / 3 + 10 + 1) / 22)
    assert faded[0] == pytest.approx(11 / 12, abs=0.01)  # the year-old errors weigh 2^-12
    assert interval[0, 0] < faded[0] < interval[0, 1]
    same, _ = faded_accuracy(model, answers, np.full(task.size, now), 30 * DAY, now=now)
    np.testing.assert_allclose(same, model.worker_accuracy_)  # nothing old: nothing fades
    with pytest.raises(ValueError, match="half_life"):
        faded_accuracy(model, answers, finished, 0.0, now=now)


def test_refit_fades_a_workers_old_mistakes(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=3)
    project = a.requester.create_project(
        project_body(overlap=3, quality=_quality(ability_half_life_days=None))
    )
    pid = project["id"]
    for i in range(20):
        a.requester.create_task(pid, {"data": {"i": i, "truth": LABELS[i % 3]}})
    old: list[int] = []
    for n, worker in enumerate(a.workers):
        while True:
            try:
                job = worker.next_task(pid)
            except ApiError:
                break
            right = job["data"]["truth"]
            if n == 0 and job["data"]["i"] < 10:  # the improver's early, wrong answers
                old.append(job["id"])
                right = LABELS[(LABELS.index(right) + 1) % 3]
            worker.submit(job["id"], right)
    with unit_of_work(db) as session:
        session.execute(
            update(Assignment)
            .where(Assignment.id.in_(old))
            .values(finished_at=utcnow() - timedelta(days=365))
        )
    improver = a.workers[0].me()["id"]

    def accuracy() -> float:
        a.requester.request("POST", f"/projects/{pid}/quality/refit")
        rows = a.requester.request("GET", f"/projects/{pid}/workers")
        return float(next(w["accuracy"] for w in rows if w["worker_id"] == improver))

    assert accuracy() == pytest.approx(11 / 22, abs=0.02)  # no fading: every answer counts
    a.requester.request(
        "PATCH", f"/projects/{pid}", json={"quality": _quality(ability_half_life_days=30)}
    )
    assert accuracy() == pytest.approx(11 / 12, abs=0.02)  # a year old: almost forgotten
    results = {r["task_id"]: r["result"] for r in a.requester.results(pid)}
    tasks = a.requester.request("GET", f"/projects/{pid}/tasks")["items"]
    assert all(results[t["id"]] == t["data"]["truth"] for t in tasks)  # truth uses all answers


def test_half_life_must_be_positive(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=0)
    with pytest.raises(ApiError) as err:
        a.requester.create_project(project_body(quality=_quality(ability_half_life_days=0)))
    assert err.value.status == 422
    assert "ability_half_life_days" in str(err.value.detail)
