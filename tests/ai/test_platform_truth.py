"""The model as a pseudo-worker in live truth inference (``ai_config.in_truth``): it votes
in re-fits and in the per-answer posterior, is estimated like anyone, is never paid, and
never votes on held-out, audit or control tasks."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdloop.ai.models import TaskMark
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work.models import Assignment
from tests.ai.conftest import synthetic_corpus
from tests.ai.platform import Setup, add_tasks, answer_all, configure, make_setup, new_worker, train


def _refit(setup: Setup) -> dict[str, Any]:
    out: dict[str, Any] = setup.owner.request("POST", f"/projects/{setup.project_id}/quality/refit")
    return out


def _batch(db: Database, setup: Setup, n: int, seed: int) -> list[int]:
    before = set(setup.truth)
    texts, labels = synthetic_corpus(n, seed=seed)
    add_tasks(db, setup, texts, labels)
    return sorted(set(setup.truth) - before)


def _one_answer_closed(db: Database, task_ids: list[int]) -> tuple[int, int]:
    """(tasks closed after one answer, tasks that asked for more), among unmarked tasks."""
    with unit_of_work(db, write=False) as session:
        marked = set(session.scalars(select(TaskMark.task_id)))
        rows = session.execute(select(Task.id, Task.overlap).where(Task.id.in_(task_ids)))
        overlaps = [o for t, o in rows if t not in marked]
    return sum(o == 1 for o in overlaps), sum(o > 1 for o in overlaps)


def test_model_votes_as_a_pseudo_worker(app_client: TestClient, db: Database) -> None:
    setup = make_setup(app_client, db, n_answered=80, n_open=60)
    open_ids = sorted(setup.truth)[80:]
    configure(setup, enabled=True, model="tfidf", in_truth=True)
    train(setup)  # predicts the 60 open tasks
    answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db))
    report = _refit(setup)
    assert report["answers"] == 140  # people's answers only: the votes are not answers
    with unit_of_work(db, write=False) as session:
        project = session.get(Project, setup.project_id)
        assert project is not None
        fitted = (project.quality_state or {})["model"]
        n_assignments = session.scalar(select(func.count()).select_from(Assignment))
        marked = session.scalar(select(func.count()).where(TaskMark.task_id.in_(open_ids)))
    assert fitted["votes"] == 60 - int(marked or 0)  # never on held-out tasks
    assert fitted["accuracy"] > 0.8
    assert n_assignments == 140  # no assignment, no payment for the model
    workers = setup.owner.request("GET", f"/projects/{setup.project_id}/workers")
    assert len(workers) == 2  # the pseudo-worker is not a worker
    status = setup.owner.request("GET", f"/projects/{setup.project_id}/ai/status")
    assert status["truth_votes"] == fitted["votes"]
    assert status["truth_accuracy"] == fitted["accuracy"]

    # Between re-fits the per-answer posterior counts the vote: with dynamic overlap at 0.9,
    # one answer that agrees with an accurate model closes the task; without it, it cannot.
    dynamic = {"min_answers": 1, "max_answers": 3, "target_confidence": 0.9}
    setup.owner.request(
        "PATCH",
        f"/projects/{setup.project_id}",
        json={"quality": {"control_rate": 0, "dynamic_overlap": dynamic}},
    )
    voted = _batch(db, setup, 30, seed=11)
    train(setup)
    answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db))
    closed, more = _one_answer_closed(db, voted)
    assert closed >= 0.8 * (closed + more)

    configure(setup, in_truth=False)
    alone = _batch(db, setup, 30, seed=12)
    train(setup)
    answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db))
    closed, more = _one_answer_closed(db, alone)
    assert closed == 0  # one 70% answer alone is not 90% sure
    assert more > 0
