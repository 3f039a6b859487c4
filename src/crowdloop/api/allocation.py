"""Allocation over HTTP: push assignment, the project's allocation status, task difficulty."""

from __future__ import annotations

from fastapi import APIRouter

from crowdloop.allocation import service, status
from crowdloop.allocation.schemas import (
    AllocationStatus,
    AssignRequest,
    AssignResult,
    TaskDifficulty,
)
from crowdloop.api.deps import CurrentUser, PathId, ReadSession, WriteSession
from crowdloop.projects import access

router = APIRouter(tags=["allocation"])


@router.post("/projects/{project_id}/assign", response_model=AssignResult)
def push_assign(
    project_id: PathId, body: AssignRequest, user: CurrentUser, session: WriteSession
) -> AssignResult:
    """Lease open tasks to workers, maximising the total matching score (owner or admin)."""
    return service.push(session, user, project_id, body)


@router.get("/projects/{project_id}/allocation", response_model=AllocationStatus)
def allocation_status(
    project_id: PathId, user: CurrentUser, session: ReadSession
) -> AllocationStatus:
    """Open tasks, eligible workers, and what nobody can take (with the reason)."""
    return status.status(session, access.for_manager(session, user, project_id))


@router.get("/projects/{project_id}/tasks/{task_id}/difficulty", response_model=TaskDifficulty)
def task_difficulty(
    project_id: PathId, task_id: PathId, user: CurrentUser, session: ReadSession
) -> TaskDifficulty:
    """How hard the task looks, from its answers, their time and the requester's prior."""
    return status.difficulty(session, access.for_reader(session, user, project_id), task_id)
