from __future__ import annotations

from fastapi import APIRouter, Query

from crowdloop.api.deps import CurrentUser, Cursor, PathId, ReadSession
from crowdloop.projects import access
from crowdloop.results import service
from crowdloop.results.schemas import ResultPage, TaskAnswers

router = APIRouter(tags=["results"])


@router.get("/projects/{project_id}/results", response_model=ResultPage)
def results(
    project_id: PathId,
    user: CurrentUser,
    session: ReadSession,
    after: Cursor = 0,
    limit: int = Query(100, ge=1, le=1000),
) -> ResultPage:
    project = access.for_reader(session, user, project_id)
    return service.results_page(session, project, after=after, limit=limit)


@router.get("/projects/{project_id}/tasks/{task_id}/answers", response_model=TaskAnswers)
def answers(
    project_id: PathId, task_id: PathId, user: CurrentUser, session: ReadSession
) -> TaskAnswers:
    project = access.for_reader(session, user, project_id)
    return service.task_answers(session, project, task_id)
