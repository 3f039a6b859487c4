"""The AI loop *in the live platform*: simulated workers answer through the work service
(next task, submit, dynamic overlap), while re-fits and model cycles run between phases.

    python bench/ai/live_loop.py --dataset stackoverflow --items 3000 --seed 0 \
        --arms off on [--model tfidf] [--database-url URL]

Unlike ``crowdloop simulate`` (the pure loop), every answer here goes through the real
database and services. Arms: ``off`` = the model's probabilities only order the work and
auto-accept certified tasks; ``on`` = also ``ai_config.in_truth`` (the model votes in truth
inference). The crowd: 30 workers with error rates uniform in [0.05, 0.30] plus 10%
spammers, errors uniform over wrong labels. Dynamic overlap min 1, max 5, target 0.95; AI
target 0.95, auto-accept on. ``--control S``: the first S of the items are control tasks
(gold), mixed in at rate S; every answer, control ones included, counts as a paid answer,
and the figures are over the other items. Prints one JSON line per arm.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from crowdloop.accounts.models import Role, User
from crowdloop.ai import jobs
from crowdloop.ai import service as ai
from crowdloop.ai.models import TaskMark, TaskRole
from crowdloop.ai.schemas import AiConfigUpdate
from crowdloop.allocation import policy
from crowdloop.config import Settings
from crowdloop.errors import Conflict, NoTaskAvailable
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project, Task
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.quality import inference
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build
from crowdloop.work import service as work
from crowdloop.work.models import Assignment, AssignmentStatus

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "text"
N_WORKERS, SPAMMERS = 30, 3
PHASE_SHARE = 0.05  # answers per phase, as a share of the items


@dataclass
class Crowd:
    ids: list[int]
    error: np.ndarray  # per worker; NaN = spammer


def read(name: str, items: int, seed: int) -> tuple[list[str], list[str]]:
    with (DATA / name / "train.tsv").open(newline="", encoding="utf-8") as fh:
        rows = [(r["text"], r["label"]) for r in csv.DictReader(fh, dialect="excel-tab")]
    order = np.random.default_rng(seed).permutation(len(rows))[:items]
    return [rows[i][0] for i in order], [rows[i][1] for i in order]


def setup(db: Database, texts: list[str], truth: list[str], args: argparse.Namespace) -> int:
    """The project; the first ``control`` share of the items become control tasks (gold)."""
    labels, n_control = sorted(set(truth)), int(args.control * len(texts))
    with unit_of_work(db) as session:
        owner = User(username="req", password_hash="x", role=Role.requester, is_active=True)
        session.add(owner)
        session.flush()
        body = {
            "name": "live loop",
            "answer_schema": {"type": "single_choice", "labels": labels},
            "overlap": 1,
            "quality": {
                "control_rate": args.control,
                "dynamic_overlap": {"min_answers": 1, "max_answers": 5, "target_confidence": 0.95},
            },
        }
        project = projects.create_project(session, owner, ProjectCreate.model_validate(body))
        for i, text in enumerate(texts):
            gold = truth[i] if i < n_control else None
            projects.create_task(session, project, TaskCreate(data={"text": text}, gold=gold))
        update = AiConfigUpdate(
            enabled=True,
            model=args.model,
            auto_accept=True,
            in_truth=args.arm == "on",
            retrain_after=args.retrain_after,
        )
        ai.update_config(session, project, update)
        return int(project.id)


def crowd(db: Database, seed: int) -> Crowd:
    rng = np.random.default_rng([seed, 2])
    error = rng.uniform(0.05, 0.30, N_WORKERS)
    error[:SPAMMERS] = np.nan
    with unit_of_work(db) as session:
        users = [
            User(username=f"w{i}", password_hash="x", role=Role.worker, skills=[], is_active=True)
            for i in range(N_WORKERS)
        ]
        session.add_all(users)
        session.flush()
        return Crowd([u.id for u in users], error)


def answer(truth: str, labels: list[str], error: float, rng: np.random.Generator) -> str:
    if np.isnan(error):
        return labels[int(rng.integers(len(labels)))]
    if rng.random() >= error:
        return truth
    others = [x for x in labels if x != truth]
    return others[int(rng.integers(len(others)))]


def phase(
    db: Database, pid: int, people: Crowd, truth: dict[int, str], budget: int, rng: Any
) -> int:
    """Workers in turn answer one task each until ``budget`` answers or nothing is left."""
    given, idle = 0, set()
    labels = sorted(set(truth.values()))
    while given < budget and len(idle) < len(people.ids):
        for w, error in zip(people.ids, people.error, strict=True):
            if w in idle or given >= budget:
                continue
            with unit_of_work(db) as session:
                project, worker = session.get(Project, pid), session.get(User, w)
                assert project is not None
                assert worker is not None
                try:
                    job = policy.next_assignment(session, worker, project)
                except NoTaskAvailable:
                    idle.add(w)
                    continue
                work.submit(session, worker, job.id, answer(truth[job.task_id], labels, error, rng))
                given += 1
    return given


def cycle(db: Database, pid: int) -> None:
    with unit_of_work(db) as session:
        project = session.get(Project, pid)
        assert project is not None
        inference.refit(session, project)
    with unit_of_work(db) as session:
        project = session.get(Project, pid)
        assert project is not None
        if not jobs.due_for_training(session, project):  # as the background job decides
            return
        with suppress(Conflict):  # nothing confident to train on yet
            ai.run(session, project)


def measure(db: Database, pid: int, truth: dict[int, str]) -> dict[str, Any]:
    """Figures over the items (control tasks excluded); answers include control answers."""
    with unit_of_work(db, write=False) as session:
        answers = session.scalar(
            select(func.count()).where(
                Assignment.project_id == pid, Assignment.status == AssignmentStatus.submitted
            )
        )
        query = select(Task.id, Task.result).where(Task.project_id == pid)
        results = {row.id: row.result for row in session.execute(query)}
        auto = set(session.scalars(select(TaskMark.task_id).where(TaskMark.role == TaskRole.auto)))
        status = ai.role_counts(session, pid)
    right = [results[t] == truth[t] for t in truth]
    auto_right = [results[t] == truth[t] for t in auto]
    return {
        "items": len(truth),
        "human_answers": int(answers or 0),
        "human_answers_per_item": round(int(answers or 0) / len(truth), 4),
        "answers_on_control": int(answers or 0) - _answers_on(db, pid, truth),
        "auto_accepted_fraction": round(len(auto) / len(truth), 4),
        "auto_accepted_accuracy": round(float(np.mean(auto_right)), 4) if auto else None,
        "final_accuracy": round(float(np.mean(right)), 4),
        "unlabelled": sum(results[t] is None for t in truth),
        "marks": status,
    }


def _answers_on(db: Database, pid: int, tasks: dict[int, str]) -> int:
    with unit_of_work(db, write=False) as session:
        query = select(func.count()).where(
            Assignment.project_id == pid,
            Assignment.status == AssignmentStatus.submitted,
            Assignment.task_id.in_(list(tasks)),
        )
        return int(session.scalar(query) or 0)


def run_arm(args: argparse.Namespace, arm: str) -> dict[str, Any]:
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'live.db'}"
    db = build(Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0)).db
    migrate.upgrade(db.engine)
    texts, labels = read(args.dataset, args.items, args.seed)
    args.arm = arm
    pid = setup(db, texts, labels, args)
    with unit_of_work(db, write=False) as session:
        ids = list(session.scalars(select(Task.id).where(Task.project_id == pid).order_by(Task.id)))
    truth = dict(zip(ids, labels, strict=True))
    n_control = int(args.control * len(ids))
    people, rng = crowd(db, args.seed), np.random.default_rng([args.seed, 3])
    started, phases = time.perf_counter(), 0
    budget = max(int(PHASE_SHARE * args.items), 1)
    while phase(db, pid, people, truth, budget, rng) > 0:
        phases += 1
        cycle(db, pid)
    out = {"arm": arm, "dataset": args.dataset, "seed": args.seed, "model": args.model}
    items = {t: label for t, label in truth.items() if t not in set(ids[:n_control])}
    out |= {"control_tasks": n_control} | measure(db, pid, items)
    out |= {"phases": phases, "seconds": round(time.perf_counter() - started, 1)}
    db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dataset", default="stackoverflow")
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="tfidf", choices=["tfidf", "embeddings"])
    parser.add_argument("--arms", nargs="+", default=["off", "on"], choices=["off", "on"])
    parser.add_argument("--database-url", default=None)
    parser.add_argument(
        "--control", type=float, default=0.0, help="share of items that are control tasks"
    )
    parser.add_argument(
        "--retrain-after",
        type=int,
        default=1,
        help="ai_config.retrain_after: new confident labels before a model cycle retrains",
    )
    args = parser.parse_args()
    for arm in args.arms:
        json.dump(run_arm(args, arm), sys.stdout)
        sys.stdout.write("\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
