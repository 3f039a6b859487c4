"""The labelling loop over HTTP.

The hot endpoints (next, submit, skip, release) authenticate, open their unit of work, call
the service and serialise the answer inside one synchronous function: one thread-pool hop
and one database transaction per request (see bench/foundation/FINDINGS.md, F2 and F4).
They return the JSON themselves (:func:`json_of`): FastAPI would otherwise validate the
returned model again, on a second thread-pool hop, before serialising it (issue 12).
``response_model`` still documents the body in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from crowdloop.allocation import policy
from crowdloop.api.deps import (
    Credentials,
    CurrentWorker,
    DbDep,
    PathId,
    QueryId,
    ReadSession,
    worker_in,
)
from crowdloop.projects import access
from crowdloop.quality import service as quality
from crowdloop.storage.uow import unit_of_work
from crowdloop.work import service
from crowdloop.work.models import AssignmentStatus
from crowdloop.work.schemas import AnswerSubmit, AssignmentRead, SubmitResult

router = APIRouter(tags=["work"])


def json_of(model: BaseModel) -> Response:
    """The model's JSON as the response, serialised once (no second validation)."""
    return Response(model.model_dump_json(), media_type="application/json")


@router.post("/projects/{project_id}/next", response_model=AssignmentRead)
def next_task(project_id: PathId, db: DbDep, credentials: Credentials) -> Response:
    """Pull the next task: returns a leased assignment (your live one, if you have one)."""
    with unit_of_work(db) as session:
        worker = worker_in(session, credentials)
        project = access.for_worker(session, worker, project_id)
        read = service.to_read(session, policy.next_assignment(session, worker, project))
    return json_of(read)


@router.get("/assignments", response_model=list[AssignmentRead])
def mine(
    worker: CurrentWorker,
    session: ReadSession,
    project_id: QueryId = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[AssignmentRead]:
    found = service.list_assignments(session, worker, project_id=project_id, limit=limit)
    return [service.to_read(session, a) for a in found]


@router.get("/assignments/{assignment_id}", response_model=AssignmentRead)
def get(assignment_id: PathId, worker: CurrentWorker, session: ReadSession) -> AssignmentRead:
    return service.to_read(session, service.get_assignment(session, worker, assignment_id))


@router.post("/assignments/{assignment_id}/submit", response_model=SubmitResult)
def submit(
    assignment_id: PathId,
    body: AnswerSubmit,
    db: DbDep,
    credentials: Credentials,
    next: bool = Query(False, description="Also lease the next task of the project."),
) -> Response:
    with unit_of_work(db) as session:
        worker = worker_in(session, credentials)
        done = service.submit(session, worker, assignment_id, body.answer)
        feedback = quality.control_feedback(session, done)
        following = None
        if next:
            upcoming = policy.next_after_submit(session, worker, done.project_id)
            following = None if upcoming is None else service.to_read(session, upcoming)
        result = SubmitResult(
            assignment=service.to_read(session, done), feedback=feedback, next=following
        )
    return json_of(result)


def _give_back(
    db: DbDep, credentials: Credentials, assignment_id: int, status: AssignmentStatus
) -> Response:
    with unit_of_work(db) as session:
        worker = worker_in(session, credentials)
        done = service.give_back(session, worker, assignment_id, status)
        read = service.to_read(session, done)
    return json_of(read)


@router.post("/assignments/{assignment_id}/skip", response_model=AssignmentRead)
def skip(assignment_id: PathId, db: DbDep, credentials: Credentials) -> Response:
    """Decline this task for good; it goes back to the pool for others."""
    return _give_back(db, credentials, assignment_id, AssignmentStatus.skipped)


@router.post("/assignments/{assignment_id}/release", response_model=AssignmentRead)
def release(assignment_id: PathId, db: DbDep, credentials: Credentials) -> Response:
    """Hand the task back unanswered; it goes back to the pool for others."""
    return _give_back(db, credentials, assignment_id, AssignmentStatus.released)
