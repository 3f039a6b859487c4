"""Background AI work: audit checks, retraining after new labels, batched prediction.

Like ``crowdloop.quality.jobs``: run in every server process (``PeriodicJob``) when
``ai_interval_seconds`` > 0. A cycle fits in a read-only unit (no write lock held while
the maths runs), then writes predictions in short units of one page each, so the status
shows progress and human work never waits on the model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from crowdloop.ai import acceptance, repository, service, training
from crowdloop.ai.models import ModelVersion
from crowdloop.errors import CrowdloopError
from crowdloop.projects.models import Project, ProjectStatus
from crowdloop.storage.dialect import session_advisory_lock
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

log = logging.getLogger(__name__)
# What one project's cycle may raise without stopping the others: its data, a concurrent
# writer (another process trained the same project), an unusable model backend.
JOB_ERRORS = (CrowdloopError, SQLAlchemyError, RuntimeError, OSError)


@contextmanager
def project_lock(db: Database, project_id: int) -> Iterator[bool]:
    """On PostgreSQL, a session advisory lock held for a whole cycle (several units of
    work), so two server processes never train the same project at once; True if ours.
    SQLite serialises writers itself and runs one server process: always True."""
    with session_advisory_lock(db.engine, repository.TRAINING_LOCK, project_id) as got:
        yield got


def enabled_projects(session: Session) -> list[int]:
    query = select(Project.id, Project.ai_config).where(
        Project.status == ProjectStatus.active, Project.task_type == "single_choice"
    )
    return [r.id for r in session.execute(query) if (r.ai_config or {}).get("enabled")]


def due_for_training(session: Session, project: Project) -> bool:
    config, state = service.config_of(project), service.state_of(project)
    latest = repository.latest_version(session, project.id, ready=False)
    if config.model == "http":
        return latest is None
    new = repository.count_trainable(session, project.id) - state.labels_at_training
    return new >= config.retrain_after


def check_audit(db: Database, project_id: int) -> None:
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        if project is None:
            return
        config, state = service.config_of(project), service.state_of(project)
        acceptance.check_audit(session, project, config, state)
        service.save(project, config, state)


def cycle(db: Database, project_id: int) -> int | None:
    """One retraining of a project, split into short units; returns the version id."""
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        if project is None or not due_for_training(session, project):
            return None
        config, state = service.config_of(project), service.state_of(project)
        upto = acceptance.mark_heldout(session, project, config, state)
        service.save(project, config, state)
    with unit_of_work(db, write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        fitted = training.fit(session, project, config)
    with unit_of_work(db) as session:
        project = session.get(Project, project_id)
        assert project is not None
        version_id = training.start_version(session, project, fitted).id
    try:
        _predict_and_finish(db, project_id, version_id, fitted, upto)
    except (*JOB_ERRORS, ValueError) as exc:  # the version must not stay "training"
        with unit_of_work(db) as session:
            training.fail(session, version_id, getattr(exc, "detail", str(exc)))
        raise
    return version_id


def _predict_and_finish(
    db: Database, project_id: int, version_id: int, fitted: training.Fitted, upto: int
) -> None:
    after: int | None = 0
    while after is not None:
        with unit_of_work(db) as session:
            version = session.get(ModelVersion, version_id)
            assert version is not None
            after = acceptance.predict_page(session, version, fitted.model, after, upto)
    with unit_of_work(db) as session:
        project, version = session.get(Project, project_id), session.get(ModelVersion, version_id)
        assert project is not None
        assert version is not None
        config, state = service.config_of(project), service.state_of(project)
        acceptance.finish(session, project, version, config, state)
        state.labels_at_training = fitted.n_trainable
        service.save(project, config, state)


def run_due(db: Database) -> list[int]:
    """Audit every AI project, retrain those with enough new labels; new version ids."""
    with unit_of_work(db, write=False) as session:
        due = enabled_projects(session)
    made = []
    for project_id in due:
        try:
            with project_lock(db, project_id) as ours:
                if not ours:  # another process is on it
                    continue
                check_audit(db, project_id)
                version_id = cycle(db, project_id)
        except (*JOB_ERRORS, ValueError) as exc:
            log.warning("AI cycle of project %s failed: %s", project_id, exc)
            continue
        if version_id is not None:
            made.append(version_id)
    return made
