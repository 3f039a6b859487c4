from __future__ import annotations

import json

from crowdloop.accounts.models import Role
from crowdloop.allocation import policy
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service as work
from tests.cli.conftest import Run
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks


def _project_with_answers(db: Database) -> int:
    with unit_of_work(db) as session:
        owner = make_user(session, role=Role.requester)
        project = make_project(session, owner, overlap=2, quality={"control_rate": 0})
        make_tasks(session, project, 3)
        for label in ("cat", "dog"):
            worker = make_user(session, role=Role.worker)
            for _ in range(3):
                job = policy.next_assignment(session, worker, project)
                work.submit(session, worker, job.id, label)
        return project.id


def test_refit_agreement_and_workers(run: Run, db: Database) -> None:
    project_id = _project_with_answers(db)
    refit = run("quality", "refit", str(project_id))
    assert refit.exit_code == 0, refit.output
    assert json.loads(refit.stdout)["answers"] == 6
    agreement = run("quality", "agreement", str(project_id))
    assert json.loads(agreement.stdout)["pairwise"] == 0.0
    workers = run("quality", "workers", str(project_id))
    lines = [json.loads(line) for line in workers.stdout.splitlines()]
    assert len(lines) == 2
    assert all(row["accuracy_low"] <= row["accuracy"] <= row["accuracy_high"] for row in lines)


def test_unknown_project_is_one_error_line(run: Run, db: Database) -> None:
    del db
    result = run("quality", "refit", "999")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: project 999 not found"
