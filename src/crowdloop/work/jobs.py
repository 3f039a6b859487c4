"""Background lease expiry: return every lapsed lease of every active project to the pool.

A worker asking for a task also expires lapsed leases when nothing else is open, so this
job only keeps the counts honest between requests (dashboards, dynamic overlap).
"""

from __future__ import annotations

from sqlalchemy import select

from crowdloop.projects.models import Project, ProjectStatus
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service


def expire_all(db: Database) -> int:
    """Expire lapsed leases project by project, one short unit of work each; how many."""
    with unit_of_work(db, write=False) as session:
        ids = list(
            session.scalars(select(Project.id).where(Project.status == ProjectStatus.active))
        )
    expired = 0
    for project_id in ids:
        with unit_of_work(db) as session:
            project = session.get(Project, project_id)
            if project is not None:
                expired += service.expire_leases(session, project)
    return expired
