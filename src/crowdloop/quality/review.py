"""Review of submitted work: accept, reject with a reason, or send back for rework."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.errors import Conflict, InvalidInput, NotFound
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.quality import inference, repository
from crowdloop.storage.types import utcnow
from crowdloop.work.models import Assignment, AssignmentStatus

Verdict = Literal["accept", "reject", "rework"]


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    reason: str | None = Field(None, max_length=5000)


def pending(session: Session, project: Project, *, limit: int = 100) -> Sequence[Assignment]:
    """Submitted answers that nobody has reviewed yet, oldest first."""
    query = (
        select(Assignment)
        .where(
            Assignment.project_id == project.id,
            Assignment.status == AssignmentStatus.submitted,
            Assignment.review.is_(None),
        )
        .order_by(Assignment.id)
        .limit(limit)
    )
    return session.scalars(query).all()


def _reviewable(session: Session, reviewer: User, assignment_id: int) -> tuple[Assignment, Project]:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"assignment {assignment_id} not found")
    if reviewer.role == Role.reviewer:
        project = access.for_reader(session, reviewer, assignment.project_id)
    else:
        project = access.for_manager(session, reviewer, assignment.project_id)
    if assignment.status != AssignmentStatus.submitted or assignment.review is not None:
        raise Conflict(f"assignment {assignment_id} is not waiting for review")
    return assignment, project


def review(
    session: Session,
    reviewer: User,
    assignment_id: int,
    verdict: ReviewIn,
    *,
    now: datetime | None = None,
) -> Assignment:
    now = now or utcnow()
    if verdict.verdict != "accept" and not (verdict.reason or "").strip():
        raise InvalidInput("a reason is required to reject or send back for rework")
    assignment, project = _reviewable(session, reviewer, assignment_id)
    wq = inference.ensure(session, project.id, assignment.worker_id)
    assignment.review, assignment.review_reason = verdict.verdict + "ed", verdict.reason
    assignment.reviewer_id, assignment.reviewed_at = reviewer.id, now
    if verdict.verdict == "accept":
        assignment.review = "accepted"
        wq.n_accepted += 1
    elif verdict.verdict == "reject":
        assignment.review, assignment.status = "rejected", AssignmentStatus.rejected
        wq.n_rejected += 1
        repository.shift_answers(session, assignment.task_id, -1)
    else:
        # Back to the worker, who keeps the task (and its slot) and answers again.
        assignment.review, assignment.status = "rework", AssignmentStatus.rework
        assignment.lease_expires_at = now + timedelta(seconds=project.lease_seconds)
        repository.rework(session, assignment.task_id)
    session.flush()
    found = inference.aggregate_task(session, project, assignment.task_id)
    result, confidence = found if found is not None else (None, None)
    repository.set_results(
        session, [{"id": assignment.task_id, "result": result, "confidence": confidence}]
    )
    publish(
        session,
        EventType.review_decided,
        project_id=project.id,
        actor_id=reviewer.id,
        assignment_id=assignment.id,
        task_id=assignment.task_id,
        worker_id=assignment.worker_id,
        decision=assignment.review,
    )
    return assignment
