"""Background re-inference: re-fit projects that received answers since their last fit.

Runs in every server process (``PeriodicJob``) or once from the CLI. On PostgreSQL a
transaction-level advisory lock per project makes concurrent processes skip a project that
another process is already re-fitting.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.projects.models import Project, ProjectStatus
from crowdloop.quality import inference, repository, service
from crowdloop.quality.schemas import RefitReport
from crowdloop.storage.dialect import try_advisory_xact_lock
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work

REFITTABLE = ("single_choice", "rating")
LOCK_NAMESPACE = 7_301  # arbitrary, keeps our advisory locks apart from others'
REST_FACTOR = 10


def due_projects(session: Session) -> list[int]:
    query = select(Project).where(
        Project.status == ProjectStatus.active, Project.task_type.in_(REFITTABLE)
    )
    due = []
    now = utcnow()
    for project in session.scalars(query):
        state = project.quality_state or {}
        if not _rested(state, now):
            continue
        if repository.last_answer_id(session, project.id) > int(state.get("last_answer_id", 0)):
            due.append(project.id)
    return due


def _rested(state: dict[str, object], now: datetime) -> bool:
    """A big project's re-fit takes a while: wait ten times its last duration between fits,
    so re-inference never takes more than about a tenth of a core per project."""
    fitted_at, seconds = state.get("fitted_at"), state.get("fit_seconds")
    if not isinstance(fitted_at, str) or not isinstance(seconds, int | float):
        return True
    return (now - datetime.fromisoformat(fitted_at)).total_seconds() >= REST_FACTOR * seconds


def refit_due(db: Database) -> list[RefitReport]:
    """Re-fit every project with new answers; one unit of work per project."""
    with unit_of_work(db, write=False) as session:
        due = due_projects(session)
    reports = []
    for project_id in due:
        # Fit in a read-only unit (no write lock held while the maths runs), then store
        # the results in a short write unit.
        with unit_of_work(db, write=False) as session:
            project = session.get(Project, project_id)
            if project is None:
                continue
            started = time.perf_counter()
            fit = inference.compute(session, project)
            fit.state["fit_seconds"] = round(time.perf_counter() - started, 3)
        with unit_of_work(db) as session:
            project = session.get(Project, project_id)
            # Another process re-fitting this project now skips it (PostgreSQL).
            if project is None or not try_advisory_xact_lock(session, LOCK_NAMESPACE, project_id):
                continue
            inference.store(session, project, fit)
            service.evaluate_all(session, project)
            reports.append(fit.report)
    return reports
