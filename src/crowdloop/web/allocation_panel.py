"""The requester's allocation tab: open tasks, eligible workers, what nobody can take (the
status's ``problems``), and push assignment (plan = dry run, or assign now). A thin adapter
over ``crowdloop.allocation.status`` and ``crowdloop.allocation.service.push``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.allocation import service as allocation
from crowdloop.allocation import status as allocation_status
from crowdloop.allocation.schemas import MAX_CAPACITY, AssignRequest, AssignResult
from crowdloop.errors import Conflict, InvalidInput
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import repository as reads
from crowdloop.web.deps import DbDep, FormDep, PostingUser, ReadSession, WebRoute, WebUser, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _plan_rows(session: Session, result: AssignResult) -> list[tuple[str, int]]:
    """Leases per worker of a plan, by worker name."""
    per = Counter(a.worker_id for a in result.assignments)
    names = reads.usernames(session, set(per))
    return sorted(((names.get(i, f"user {i}"), n) for i, n in per.items()), key=lambda r: r[0])


def _page(
    request: Request,
    session: Session,
    project: Project,
    *,
    capacity: str = "1",
    errors: dict[str, str] | None = None,
    result: AssignResult | None = None,
    status: int = 200,
) -> Response:
    query = request.query_params
    context: dict[str, Any] = {
        "project": project,
        "s": allocation_status.status(session, project),
        "capacity": capacity,
        "max_capacity": MAX_CAPACITY,
        "errors": errors or {},
        "result": result,
        "plan": _plan_rows(session, result) if result is not None else [],
        "created": query.get("created") if query.get("created", "").isdigit() else None,
        "lost": query.get("lost", "0"),
    }
    return render(request, "requester/allocation.html", context, status=status)


@router.get("/console/projects/{project_id}/allocation")
def allocation_tab(
    request: Request, project_id: int, user: WebUser, session: ReadSession
) -> Response:
    """Who can take what, and why not; the push-assignment form (owner or admin)."""
    return _page(request, session, access.for_manager(session, user, project_id))


def _request(capacity: str, *, dry_run: bool) -> tuple[AssignRequest | None, dict[str, str]]:
    try:
        return AssignRequest.model_validate({"capacity": capacity, "dry_run": dry_run}), {}
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, {"capacity": str(first.get("msg", "invalid value"))}


def _push(db: DbDep, user: User, project_id: int, body: AssignRequest) -> AssignResult:
    """Push in a unit of its own: a refused push rolls back whatever it started."""
    with unit_of_work(db) as session:
        return allocation.push(session, user, project_id, body)


def _error(exc: Conflict | InvalidInput) -> dict[str, str]:
    """A 422 is about the capacity field; a 409 (no open tasks, no worker) is the form's."""
    return {"capacity" if isinstance(exc, InvalidInput) else "form": exc.detail}


@router.post("/console/projects/{project_id}/allocation/assign")
def assign(
    request: Request, project_id: int, user: PostingUser, db: DbDep, form: FormDep
) -> Response:
    """``action=plan``: the dry run, shown on the page; ``action=assign``: lease now."""
    capacity = str(form.get("capacity") or "").strip()
    body, errors = _request(capacity, dry_run=form.get("action") != "assign")
    result = None
    if body is not None:
        try:
            result = _push(db, user, project_id, body)
        except (Conflict, InvalidInput) as exc:
            errors = _error(exc)
    if result is not None and not result.dry_run:
        target = f"/console/projects/{project_id}/allocation?created={result.created}"
        return RedirectResponse(f"{target}&lost={result.lost_races}", status_code=303)
    with unit_of_work(db, write=False) as session:
        project = access.for_manager(session, user, project_id)
        code = 422 if errors.get("capacity") else 409 if errors else 200
        return _page(
            request, session, project, capacity=capacity, errors=errors, result=result, status=code
        )
