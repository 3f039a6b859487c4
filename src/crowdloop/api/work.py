from __future__ import annotations

from fastapi import APIRouter, Query

from crowdloop.api.deps import CurrentWorker, ReadSession, WriteSession
from crowdloop.projects import access
from crowdloop.work import service
from crowdloop.work.models import AssignmentStatus
from crowdloop.work.schemas import AnswerSubmit, AssignmentRead, SubmitResult

router = APIRouter(tags=["work"])


@router.post("/projects/{project_id}/next", response_model=AssignmentRead)
def next_task(project_id: int, worker: CurrentWorker, session: WriteSession) -> AssignmentRead:
    """Pull the next task: returns a leased assignment (your live one, if you have one)."""
    project = access.for_worker(session, worker, project_id)
    return service.to_read(session, service.next_assignment(session, worker, project))


@router.get("/assignments", response_model=list[AssignmentRead])
def mine(
    worker: CurrentWorker,
    session: ReadSession,
    project_id: int | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[AssignmentRead]:
    found = service.list_assignments(session, worker, project_id=project_id, limit=limit)
    return [service.to_read(session, a) for a in found]


@router.get("/assignments/{assignment_id}", response_model=AssignmentRead)
def get(assignment_id: int, worker: CurrentWorker, session: ReadSession) -> AssignmentRead:
    return service.to_read(session, service.get_assignment(session, worker, assignment_id))


@router.post("/assignments/{assignment_id}/submit", response_model=SubmitResult)
def submit(
    assignment_id: int,
    body: AnswerSubmit,
    worker: CurrentWorker,
    session: WriteSession,
    next: bool = Query(False, description="Also lease the next task of the project."),
) -> SubmitResult:
    done, feedback = service.submit(session, worker, assignment_id, body.answer)
    following = None
    if next:
        project = access.for_worker(session, worker, done.project_id)
        upcoming = service.next_or_none(session, worker, project)
        following = None if upcoming is None else service.to_read(session, upcoming)
    return SubmitResult(
        assignment=service.to_read(session, done), feedback=feedback, next=following
    )


@router.post("/assignments/{assignment_id}/skip", response_model=AssignmentRead)
def skip(assignment_id: int, worker: CurrentWorker, session: WriteSession) -> AssignmentRead:
    """Decline this task for good; it goes back to the pool for others."""
    done = service.give_back(session, worker, assignment_id, AssignmentStatus.skipped)
    return service.to_read(session, done)


@router.post("/assignments/{assignment_id}/release", response_model=AssignmentRead)
def release(assignment_id: int, worker: CurrentWorker, session: WriteSession) -> AssignmentRead:
    """Hand the task back unanswered; it goes back to the pool for others."""
    done = service.give_back(session, worker, assignment_id, AssignmentStatus.released)
    return service.to_read(session, done)
