from __future__ import annotations

from fastapi import APIRouter

from crowdloop.api.deps import (
    CurrentUser,
    CurrentWorker,
    PathId,
    QueryId,
    ReadSession,
    WriteSession,
)
from crowdloop.projects import access
from crowdloop.quality import inference, metrics, review, service
from crowdloop.quality.metrics import Agreement
from crowdloop.quality.schemas import (
    AnswerForReview,
    MyStanding,
    QualityEventRead,
    RefitReport,
    WorkerQualityRead,
)

router = APIRouter(tags=["quality"])


@router.get("/projects/{project_id}/workers", response_model=list[WorkerQualityRead])
def workers(project_id: PathId, user: CurrentUser, session: ReadSession) -> list[WorkerQualityRead]:
    """Every worker's quality in the project, with credible intervals."""
    return service.project_workers(session, access.for_reader(session, user, project_id))


@router.get("/projects/{project_id}/quality/events", response_model=list[QualityEventRead])
def events(
    project_id: PathId, user: CurrentUser, session: ReadSession, worker_id: QueryId = None
) -> list[QualityEventRead]:
    project = access.for_reader(session, user, project_id)
    found = service.project_events(session, project, worker_id)
    return [QualityEventRead.model_validate(e) for e in found]


@router.post(
    "/projects/{project_id}/quality/events/{event_id}/revert", response_model=QualityEventRead
)
def revert(
    project_id: PathId, event_id: PathId, user: CurrentUser, session: WriteSession
) -> QualityEventRead:
    """Undo a block or a discard."""
    project = access.for_manager(session, user, project_id)
    return QualityEventRead.model_validate(service.revert(session, project, event_id, by=user.id))


@router.post("/projects/{project_id}/quality/refit", response_model=RefitReport)
def refit(project_id: PathId, user: CurrentUser, session: WriteSession) -> RefitReport:
    """Re-run truth inference over the whole project now."""
    project = access.for_manager(session, user, project_id)
    report = inference.refit(session, project)
    service.evaluate_all(session, project)
    return report


@router.get("/me/quality", response_model=MyStanding)
def my_quality(worker: CurrentWorker, session: ReadSession) -> MyStanding:
    return service.my_standing(session, worker.id)


@router.get("/projects/{project_id}/agreement", response_model=Agreement)
def project_agreement(project_id: PathId, user: CurrentUser, session: ReadSession) -> Agreement:
    """Pairwise agreement, Fleiss' kappa, Krippendorff's alpha, and per-worker agreement."""
    return metrics.agreement(session, access.for_reader(session, user, project_id))


@router.get("/projects/{project_id}/review", response_model=list[AnswerForReview])
def review_queue(
    project_id: PathId, user: CurrentUser, session: ReadSession
) -> list[AnswerForReview]:
    """Answers waiting for review (owner, admin or the project's reviewers)."""
    project = access.for_reader(session, user, project_id)
    return [AnswerForReview.model_validate(a) for a in review.pending(session, project)]


@router.post("/assignments/{assignment_id}/review", response_model=AnswerForReview)
def review_answer(
    assignment_id: PathId, body: review.ReviewIn, user: CurrentUser, session: WriteSession
) -> AnswerForReview:
    """Accept, reject (re-queues the task) or send back for rework; the worker sees why."""
    return AnswerForReview.model_validate(review.review(session, user, assignment_id, body))
