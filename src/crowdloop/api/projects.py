from __future__ import annotations

from fastapi import APIRouter, Query, status

from crowdloop.accounts import service as accounts
from crowdloop.api.deps import CurrentUser, Cursor, PathId, ReadSession, SettingsDep, WriteSession
from crowdloop.monitoring import service as monitoring
from crowdloop.monitoring.schemas import ProjectProgress
from crowdloop.projects import access, service
from crowdloop.projects.schemas import (
    BatchRead,
    ProjectCreate,
    ProjectRead,
    ProjectStats,
    ProjectUpdate,
    ProjectWorkerRead,
    TaskCreate,
    TaskPage,
    TaskRead,
)

router = APIRouter(tags=["projects"])


@router.post("/projects", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
def create(
    body: ProjectCreate, user: CurrentUser, session: WriteSession, settings: SettingsDep
) -> ProjectRead:
    project = service.create_project(session, user, body, default_lease=settings.lease_seconds)
    return ProjectRead.model_validate(project)


@router.get("/projects", response_model=list[ProjectRead] | list[ProjectWorkerRead])
def list_projects(
    user: CurrentUser, session: ReadSession
) -> list[ProjectRead] | list[ProjectWorkerRead]:
    """The projects you may see; a worker gets the worker's view (no rules, no budget)."""
    found = service.list_projects(session, user)
    if user.role.value == "worker":
        return [ProjectWorkerRead.model_validate(p) for p in found]
    return [ProjectRead.model_validate(p) for p in found]


@router.get("/projects/{project_id}", response_model=ProjectRead | ProjectWorkerRead)
def get(
    project_id: PathId, user: CurrentUser, session: ReadSession
) -> ProjectRead | ProjectWorkerRead:
    if user.role.value == "worker":
        return ProjectWorkerRead.model_validate(access.for_worker(session, user, project_id))
    return ProjectRead.model_validate(access.for_reader(session, user, project_id))


@router.patch("/projects/{project_id}", response_model=ProjectRead)
def update(
    project_id: PathId, body: ProjectUpdate, user: CurrentUser, session: WriteSession
) -> ProjectRead:
    project = access.for_manager(session, user, project_id)
    return ProjectRead.model_validate(service.update_project(session, project, body))


@router.get("/projects/{project_id}/stats", response_model=ProjectStats)
def stats(project_id: PathId, user: CurrentUser, session: ReadSession) -> ProjectStats:
    return service.project_stats(session, access.for_reader(session, user, project_id))


@router.get("/projects/{project_id}/progress", response_model=ProjectProgress)
def progress(project_id: PathId, user: CurrentUser, session: ReadSession) -> ProjectProgress:
    """Live figures: answers wanted and done, spend against budget, answers per hour, ETA,
    estimated accuracy (mean posterior confidence), control accuracy, confidence deciles."""
    return monitoring.progress(session, access.for_reader(session, user, project_id))


@router.put("/projects/{project_id}/members/{user_id}", status_code=204)
def add_member(
    project_id: PathId, user_id: PathId, user: CurrentUser, session: WriteSession
) -> None:
    project = access.for_manager(session, user, project_id)
    service.add_member(session, project, accounts.get_user(session, user_id))


@router.post("/projects/{project_id}/tasks", response_model=TaskRead, status_code=201)
def create_task(
    project_id: PathId, body: TaskCreate, user: CurrentUser, session: WriteSession
) -> TaskRead:
    project = access.for_manager(session, user, project_id)
    return TaskRead.model_validate(service.create_task(session, project, body))


@router.get("/projects/{project_id}/tasks", response_model=TaskPage)
def list_tasks(
    project_id: PathId,
    user: CurrentUser,
    session: ReadSession,
    after: Cursor = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> TaskPage:
    project = access.for_reader(session, user, project_id)
    tasks = service.list_tasks(session, project, after=after, limit=limit)
    items = [TaskRead.model_validate(t) for t in tasks]
    return TaskPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.get("/projects/{project_id}/tasks/{task_id}", response_model=TaskRead)
def get_task(
    project_id: PathId, task_id: PathId, user: CurrentUser, session: ReadSession
) -> TaskRead:
    project = access.for_reader(session, user, project_id)
    return TaskRead.model_validate(service.get_task(session, project, task_id))


@router.get("/projects/{project_id}/batches", response_model=list[BatchRead])
def batches(project_id: PathId, user: CurrentUser, session: ReadSession) -> list[BatchRead]:
    project = access.for_reader(session, user, project_id)
    return [BatchRead.model_validate(b) for b in service.list_batches(session, project)]
