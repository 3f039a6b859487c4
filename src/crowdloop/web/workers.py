"""The requester's workers view and the actions the quality rules allow on it: block a
worker by hand (with a reason), unblock, and undo a rule's event (discard -> restore,
block -> unblock). Every action goes through ``crowdloop.quality.service``; the events are
the audit trail, listed on the same page (an undone event stays, marked undone)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import User
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import Conflict, NotFound
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.quality import inference
from crowdloop.quality import service as quality
from crowdloop.quality.models import EventKind
from crowdloop.storage.types import utcnow
from crowdloop.web import charts
from crowdloop.web import repository as reads
from crowdloop.web.deps import (
    FormDep,
    PostingUser,
    ReadSession,
    WebRoute,
    WebUser,
    WriteSession,
    render,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MANUAL_RULE = "manual"
DONE = {
    "blocked": "The worker is blocked; the reason is shown to them.",
    "unblocked": "The worker is unblocked and can take tasks again.",
    "reverted": "Undone: the event is kept in the audit trail, marked undone.",
}
UNDO_LABELS = {EventKind.block: "Unblock", EventKind.discard: "Restore answers"}


class ManualBlock(BaseModel):
    """The "block by hand" form."""

    worker_id: int
    reason: str = Field(min_length=3, max_length=500)
    hours: float = Field(gt=0, le=24 * 365)


def _workers(session: Session, project: Project) -> tuple[list[charts.WorkerRow], dict[int, Any]]:
    rows = reads.answer_rows(session, project.id)
    names = reads.usernames(session, {int(r[0]) for r in rows})
    scores = {q.worker_id: q for q in quality.project_workers(session, project)}
    names.update(reads.usernames(session, set(scores) - set(names)))
    found = charts.worker_rows(rows, names)
    seen = {w.worker_id for w in found}
    found += [
        charts.WorkerRow(i, names.get(i, f"user {i}"), 0, None, None)
        for i in scores
        if i not in seen
    ]
    return found, scores


def _page(
    request: Request,
    session: Session,
    user: User,
    project: Project,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    workers, scores = _workers(session, project)
    names = {w.worker_id: w.username for w in workers}
    events = quality.project_events(session, project)
    for uid in {e.reverted_by for e in events if e.reverted_by is not None} - set(names):
        with suppress(NotFound):  # a deleted account: shown as "user N"
            names[uid] = accounts.get_user(session, uid).username
    context = {
        "project": project,
        "workers": workers,
        "quality": scores,
        "now": utcnow(),
        "can_manage": access.can_manage(user, project),
        "events": events,
        "names": names,
        "undo": UNDO_LABELS,
        "done": DONE.get(request.query_params.get("done", "")),
        "f": form or {"worker_id": "", "reason": "", "hours": "24"},
        "errors": errors or {},
    }
    return render(request, "requester/workers.html", context, status=422 if errors else 200)


def _back(project: Project, done: str) -> RedirectResponse:
    return RedirectResponse(f"/console/projects/{project.id}/workers?done={done}", status_code=303)


@router.get("/console/projects/{project_id}/workers")
def workers(request: Request, project_id: int, user: WebUser, session: ReadSession) -> Response:
    """Per worker: answers, agreement, median time, quality, standing; and the audit trail."""
    return _page(request, session, user, access.for_reader(session, user, project_id))


def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "form"
        errors.setdefault(field, str(err.get("msg", "invalid value")).removeprefix("Value error, "))
    return errors


@router.post("/console/projects/{project_id}/workers/block")
def block(
    request: Request, project_id: int, user: PostingUser, session: WriteSession, form: FormDep
) -> Response:
    """Block a worker of this project by hand, for some hours, with a reason they will see."""
    project = access.for_manager(session, user, project_id)
    values = {k: str(form.get(k) or "").strip() for k in ("worker_id", "reason", "hours")}
    try:
        data = ManualBlock.model_validate(values)
    except ValidationError as exc:
        return _page(request, session, user, project, form=values, errors=_form_errors(exc))
    if data.worker_id not in {w.worker_id for w in _workers(session, project)[0]}:
        errors = {"worker_id": "choose a worker who has worked on this project"}
        return _page(request, session, user, project, form=values, errors=errors)
    wq = inference.ensure(session, project.id, data.worker_id)
    reason = f"{data.reason} (blocked by {user.username})"
    event = quality.block(
        session, project, wq, hours=data.hours, reason=reason, rule=MANUAL_RULE, now=utcnow()
    )
    detail = {"quality_event_id": event.id, "worker_id": data.worker_id, "hours": data.hours}
    audit.record(
        session,
        AuditAction.quality_blocked,
        actor_id=user.id,
        subject=("project", project.id),
        detail=detail,
    )
    return _back(project, "blocked")


@router.post("/console/projects/{project_id}/workers/{worker_id}/unblock")
def unblock(project_id: int, worker_id: int, user: PostingUser, session: WriteSession) -> Response:
    """Undo every standing block event of the worker (by a rule or by hand)."""
    project = access.for_manager(session, user, project_id)
    events = quality.project_events(session, project, worker_id)
    standing = [e for e in events if e.kind == EventKind.block and not e.reverted]
    if not standing:
        raise Conflict(f"worker {worker_id} has no block to undo in this project")
    for event in standing:
        quality.revert(session, project, event.id, by=user.id)
    return _back(project, "unblocked")


@router.post("/console/projects/{project_id}/events/{event_id}/revert")
def revert(project_id: int, event_id: int, user: PostingUser, session: WriteSession) -> Response:
    """Undo one event: a discard restores the answers, a block unblocks (warnings stay)."""
    project = access.for_manager(session, user, project_id)
    quality.revert(session, project, event_id, by=user.id)
    return _back(project, "reverted")
