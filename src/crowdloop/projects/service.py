"""Projects and tasks: create, read, update, list; the task-row builder the importer shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects import access, repository
from crowdloop.projects.answer_schema import Schema, check_answer, parse_schema
from crowdloop.projects.models import Project, ProjectMember, Task, TaskBatch
from crowdloop.projects.schemas import (
    ProjectCreate,
    ProjectStats,
    ProjectUpdate,
    TaskCreate,
    TaskFields,
)
from crowdloop.storage.types import utcnow

DEFAULT_LEASE_SECONDS = 600


def create_project(
    session: Session, owner: User, data: ProjectCreate, *, default_lease: int = 600
) -> Project:
    if owner.role not in (Role.requester, Role.admin):
        raise PermissionDenied("only requesters and admins create projects")
    schema = data.answer_schema
    project = Project(
        owner_id=owner.id,
        name=data.name,
        instructions=data.instructions,
        task_type=schema.type,
        answer_schema=schema.model_dump(),
        overlap=data.overlap,
        reward_cents=data.reward_cents,
        budget_cents=data.budget_cents,
        committed_cents=0,
        deadline=data.deadline,
        priority=data.priority,
        required_skills=sorted(set(data.required_skills)),
        lease_seconds=data.lease_seconds or default_lease,
        visibility=data.visibility,
        status=data.status,
        review_required=data.review_required,
        quality_config=data.quality.model_dump(),
        quality_state={},
    )
    session.add(project)
    session.flush()
    return project


def update_project(session: Session, project: Project, data: ProjectUpdate) -> Project:
    for field, value in data.model_dump(exclude_unset=True).items():
        if value is None and field not in ("budget_cents", "deadline"):
            continue
        if field == "required_skills":
            value = sorted(set(value))
        if field == "quality":
            field = "quality_config"
        setattr(project, field, value)
    session.flush()
    return project


def list_projects(session: Session, user: User) -> Sequence[Project]:
    if user.role == Role.admin:
        return repository.list_owned(session, None)
    if user.role == Role.requester:
        return repository.list_owned(session, user.id)
    if user.role == Role.reviewer:
        return repository.list_memberships(session, user.id)
    visible = repository.list_visible_to_member(session, user)
    return [p for p in visible if access.worker_is_eligible(session, user, p)]


def add_member(session: Session, project: Project, user: User) -> None:
    if user.role not in (Role.worker, Role.reviewer):
        raise InvalidInput("only workers and reviewers can be project members")
    if not repository.is_member(session, project.id, user.id):
        session.add(ProjectMember(project_id=project.id, user_id=user.id))
        session.flush()


def project_stats(session: Session, project: Project) -> ProjectStats:
    tasks, complete, control, answers, active = repository.task_counts(session, project.id)
    return ProjectStats(
        project_id=project.id,
        tasks=tasks,
        tasks_complete=complete,
        control_tasks=control,
        answers=answers,
        active_assignments=active,
        committed_cents=project.committed_cents,
        budget_cents=project.budget_cents,
    )


def initial_overlap(project: Project) -> int:
    """Slots a new task starts with: the fixed overlap, or the dynamic minimum."""
    dynamic = (project.quality_config or {}).get("dynamic_overlap")
    return int(dynamic["min_answers"]) if dynamic else project.overlap


TaskValues = Callable[[TaskFields], dict[str, Any]]


def task_values(project: Project, item: TaskFields, *, batch_id: int | None) -> dict[str, Any]:
    """Validate one task against its project and return the column values to insert."""
    return task_builder(project, batch_id=batch_id, created_at=utcnow())(item)


def task_builder(project: Project, *, batch_id: int | None, created_at: datetime) -> TaskValues:
    """``task_values`` for many tasks of one project: what the project decides is read once.

    The import builds one for the whole file; its tasks share ``created_at``.
    """
    project_id, default_overlap, schema = (
        project.id,
        initial_overlap(project),
        project.answer_schema,
    )
    parsed: list[Schema] = []  # parsed when the first gold answer comes

    def values(item: TaskFields) -> dict[str, Any]:
        gold = None
        if item.gold is not None:
            if not parsed:
                parsed.append(parse_schema(schema))
            gold = check_answer(parsed[0], item.gold)
        overlap = item.overlap or default_overlap
        skills = item.required_skills
        return {
            "project_id": project_id,
            "batch_id": batch_id,
            "external_id": item.external_id,
            "data": item.data,
            "difficulty": item.difficulty,
            "priority": item.priority,
            "deadline": item.deadline,
            "reward_cents": item.reward_cents,
            "required_skills": sorted(set(skills)) if skills else [],
            "gold": gold,
            "is_control": gold is not None,
            "gold_explanation": item.gold_explanation,
            "predictions": item.predictions,
            "overlap": overlap,
            # Control tasks stay out of the overlap pool; they are mixed in at the control rate.
            "slots": 0 if gold is not None else overlap,
            "n_answers": 0,
            "n_active": 0,
            "created_at": created_at,
        }

    return values


def create_task(session: Session, project: Project, item: TaskCreate) -> Task:
    if item.external_id is not None:
        taken = repository.task_with_external_id(session, project.id, item.external_id)
        if taken is not None:
            raise Conflict(
                f"external_id {item.external_id!r} is already task {taken} of this project"
            )
    task = Task(**task_values(project, item, batch_id=None))
    session.add(task)
    session.flush()
    publish(
        session,
        EventType.tasks_created,
        project_id=project.id,
        batch_id=None,
        count=1,
        task_id=task.id,
    )
    return task


def get_task(session: Session, project: Project, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or task.project_id != project.id:
        raise NotFound(f"task {task_id} not found in project {project.id}")
    return task


def list_tasks(
    session: Session, project: Project, *, after: int = 0, limit: int = 100
) -> Sequence[Task]:
    return repository.tasks_page(session, project.id, after=after, limit=limit)


def list_batches(session: Session, project: Project) -> Sequence[TaskBatch]:
    return repository.list_batches(session, project.id)
