"""Who may see or manage a project. One place for the rules, used by every adapter."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.errors import NotFound, PermissionDenied
from crowdloop.projects import repository
from crowdloop.projects.models import Project, ProjectStatus, Visibility


def can_manage(user: User, project: Project) -> bool:
    return user.role == Role.admin or project.owner_id == user.id


def worker_is_eligible(session: Session, worker: User, project: Project) -> bool:
    """A worker may work on a project that is offered to them and whose skills they have."""
    if worker.role != Role.worker or not worker.is_active:
        return False
    if project.visibility == Visibility.members and not repository.is_member(
        session, project.id, worker.id
    ):
        return False
    return set(project.required_skills) <= set(worker.skills)


def load(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


def for_manager(session: Session, user: User, project_id: int) -> Project:
    """The project, if the user owns it (or is admin). Others get 404, not a hint it exists."""
    project = load(session, project_id)
    if can_manage(user, project):
        return project
    if user.role == Role.reviewer and repository.is_member(session, project.id, user.id):
        raise PermissionDenied("reviewers can read results but not change the project")
    raise NotFound(f"project {project_id} not found")


def for_reader(session: Session, user: User, project_id: int) -> Project:
    """The project, for its owner, an admin or one of its reviewers (results, tasks, export)."""
    project = load(session, project_id)
    if can_manage(user, project):
        return project
    if user.role == Role.reviewer and repository.is_member(session, project.id, user.id):
        return project
    raise NotFound(f"project {project_id} not found")


def for_worker(session: Session, worker: User, project_id: int) -> Project:
    project = load(session, project_id)
    if not worker_is_eligible(session, worker, project):
        raise NotFound(f"project {project_id} not found")
    if project.status != ProjectStatus.active:
        raise PermissionDenied(f"project {project_id} is {project.status.value}, not active")
    return project
