"""The audit log, for admins: ``GET /api/v1/admin/audit``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from crowdloop.api.deps import CurrentAdmin, ReadSession
from crowdloop.audit import service
from crowdloop.audit.schemas import AuditEntryRead, AuditFilter

router = APIRouter(tags=["audit"])


@router.get("/admin/audit", response_model=list[AuditEntryRead])
def audit_log(
    _: CurrentAdmin, session: ReadSession, query: Annotated[AuditFilter, Query()]
) -> list[AuditEntryRead]:
    """Security-relevant actions, newest first: sign-ins (succeeded, failed, locked),
    sign-outs, user and role changes, forgotten users, API tokens issued and revoked,
    exports and quality actions. Page with ``before`` = the last id of a page."""
    return [AuditEntryRead.model_validate(e) for e in service.entries(session, query)]
