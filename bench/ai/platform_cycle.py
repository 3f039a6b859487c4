"""Time one AI cycle (mark held-out, train, predict, certify, auto-accept) in the platform.

    python bench/ai/platform_cycle.py --tasks 50000 --labelled 0.8 [--database-url URL]

Builds a fresh database, a single_choice project whose tasks are synthetic 3-topic texts;
a share of them carries a human-inferred result (n_answers=1, confidence 0.9) written
directly with INSERTs (truth inference is not what is measured). Prints one JSON line:
seconds per stage of ``crowdloop.ai.service.run`` and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import insert

from crowdloop.accounts.models import Role, User
from crowdloop.ai import service
from crowdloop.ai.schemas import AiConfigUpdate
from crowdloop.config import Settings
from crowdloop.projects.models import Project, Task
from crowdloop.storage import migrate
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import build

VOCAB = {
    "food": ["pasta", "salad", "bake", "recipe", "spicy", "dinner", "sauce", "cheese"],
    "sport": ["goal", "match", "team", "score", "coach", "league", "player", "referee"],
    "tech": ["laptop", "python", "server", "cloud", "code", "kernel", "browser", "chip"],
}
FILLER = ["the", "a", "today", "really", "new", "about", "my", "very", "good", "some"]


def _rows(project_id: int, n: int, labelled: float, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    names, now, rows = sorted(VOCAB), utcnow(), []
    for _ in range(n):
        label = names[int(rng.integers(3))]
        words = [*rng.choice(VOCAB[label], 3), *rng.choice(FILLER, 3)]
        done = bool(rng.random() < labelled)
        rows.append(
            {
                "project_id": project_id, "data": {"text": " ".join(map(str, words))},
                "priority": 0, "required_skills": [], "is_control": False, "overlap": 1,
                "slots": 0 if done else 1, "n_answers": int(done), "n_active": 0,
                "result": label if done else None, "confidence": 0.9 if done else None,
                "created_at": now,
            }
        )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--labelled", type=float, default=0.8)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    db = build(Settings(database_url=url, refit_interval_seconds=0, ai_interval_seconds=0)).db
    migrate.upgrade(db.engine)
    with unit_of_work(db) as session:
        owner = User(username="bench", password_hash="x", role=Role.requester, is_active=True)
        session.add(owner)
        session.flush()
        schema = {"type": "single_choice", "labels": sorted(VOCAB)}
        project = Project(
            owner_id=owner.id, name="bench", task_type="single_choice", answer_schema=schema
        )
        session.add(project)
        session.flush()
        rows = _rows(project.id, args.tasks, args.labelled, seed=0)
        for start in range(0, len(rows), 5000):
            session.execute(insert(Task), rows[start : start + 5000])
        update = AiConfigUpdate(enabled=True, auto_accept=True, target_accuracy=0.95)
        service.update_config(session, project, update)
        project_id = project.id
    del rows
    stages: dict[str, float] = {}
    last = [time.perf_counter(), ""]

    def progress(stage: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        if stage != last[1]:
            last[:] = [now, stage]
        stages[stage] = round(now - float(last[0]), 3)

    started = time.perf_counter()
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        assert project is not None
        version = service.run(session, project, progress=progress)
        cert = version.certificate or {}
        n_train, n_pred = version.n_train, version.n_predicted
        roles = service.role_counts(session, project_id)
    total = round(time.perf_counter() - started, 3)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "backend": db.engine.dialect.name, "tasks": args.tasks, "n_train": n_train,
        "n_predicted": n_pred, "marks": roles, "total_seconds": total, "stage_seconds": stages,
        "certificate": cert.get("status"), "threshold": cert.get("threshold"),
        "peak_rss_mb": round(peak_mb, 1),
    }  # fmt: skip
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    db.dispose()


if __name__ == "__main__":
    main()
