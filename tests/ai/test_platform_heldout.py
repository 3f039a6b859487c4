"""The AI held-out slice is labelled to a stricter posterior than ordinary tasks: its human
labels judge the model, so their errors would cap what the certificate can claim."""

from __future__ import annotations

from fastapi.testclient import TestClient

from crowdloop.ai.acceptance import is_heldout
from crowdloop.client import ApiError
from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body
from tests.quality.test_api import _quality

TARGET = 0.6  # held-out tasks ask 1 - 0.4 / 5 = 0.92
ANSWERS = ("cat", "dog", "cat", "cat", "cat")  # worker i's answer to every task


def test_heldout_tasks_collect_more_answers(app_client: TestClient, db: Database) -> None:
    a = actors(app_client, db, n_workers=5)
    dynamic = {"min_answers": 2, "max_answers": 5, "target_confidence": TARGET}
    project = a.requester.create_project(
        project_body(overlap=3, quality=_quality(dynamic_overlap=dynamic, control_rate=0))
    )
    pid = project["id"]
    a.requester.request("PUT", f"/projects/{pid}/ai", json={"enabled": True, "holdout_share": 0.5})
    ids = [a.requester.create_task(pid, {"data": {"text": f"item {i}"}})["id"] for i in range(12)]
    heldout = {t for t in ids if is_heldout(pid, t, 0.5)}
    assert heldout
    assert heldout != set(ids)
    for worker, label in zip(a.workers, ANSWERS, strict=True):
        while True:
            try:
                job = worker.next_task(pid)
            except ApiError:
                break
            worker.submit(job["id"], label)
    tasks = {t["id"]: t for t in a.requester.request("GET", f"/projects/{pid}/tasks")["items"]}
    for task_id in ids:
        # cat, dog, cat: 2/3 >= 0.6 stops an ordinary task; a held-out one goes to the max.
        expected = 5 if task_id in heldout else 3
        assert tasks[task_id]["n_answers"] == expected, tasks[task_id]
