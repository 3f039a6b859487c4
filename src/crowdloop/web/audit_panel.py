"""Admin page: the audit log, newest first, filtered by action or user, paged by id."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.audit.schemas import AuditFilter
from crowdloop.web.deps import ReadSession, WebRoute, WebUser, render, require_role

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 100


@router.get("/admin/audit")
def audit_page(
    request: Request,
    user: WebUser,
    session: ReadSession,
    action: str = "",
    user_id: str = "",
    before: int | None = None,
) -> Response:
    """``user_id`` is the form's text field: blank (or not a number) means everyone."""
    require_role(user, Role.admin)
    who = int(user_id) if user_id.strip().isdigit() else None
    query = AuditFilter(action=action or None, user_id=who, before=before, limit=PAGE)
    entries = audit.entries(session, query)
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    ids |= {e.subject_id for e in entries if e.subject_type == "user" and e.subject_id}
    context = {
        "entries": entries,
        "names": accounts.usernames(session, ids),
        "actions": [a.value for a in AuditAction],
        "chosen": action,
        "user_id": who,
        "next_before": entries[-1].id if len(entries) == PAGE else None,
    }
    return render(request, "admin/audit.html", context)
