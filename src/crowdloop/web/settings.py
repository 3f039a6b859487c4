"""A project's quality settings after creation: check-question share, dynamic overlap and
quality rules, validated by ``ProjectUpdate`` (``QualityConfig``), messages next to fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from crowdloop.projects import access
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.quality_config import QualityConfig
from crowdloop.projects.schemas import ProjectUpdate
from crowdloop.web import quality_form
from crowdloop.web.deps import FormDep, PostingUser, ReadSession, WebRoute, WebUser, WriteSession
from crowdloop.web.deps import render as render_page

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _page(
    request: Request,
    project: Project,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "project": project,
        "v": values,
        "errors": errors,
        "rule_kinds": quality_form.RULE_KINDS,
        "actions": quality_form.ACTIONS,
        "saved": request.query_params.get("saved") == "1",
    }
    return render_page(request, "requester/settings.html", context, status=status)


@router.get("/console/projects/{project_id}/settings")
def settings(request: Request, project_id: int, user: WebUser, session: ReadSession) -> Response:
    project = access.for_manager(session, user, project_id)
    return _page(request, project, quality_form.values_from(project.quality_config), {})


@router.post("/console/projects/{project_id}/settings")
def save(
    request: Request, project_id: int, user: PostingUser, session: WriteSession, form: FormDep
) -> Response:
    """Replace the quality settings; the truth-inference method is kept as it was."""
    project = access.for_manager(session, user, project_id)
    values = quality_form.values_of(form)
    body = quality_form.body(values)
    body.setdefault("dynamic_overlap", None)  # unticked: stored as off, not left out
    body["method"] = QualityConfig.model_validate(project.quality_config or {}).method
    try:
        data = ProjectUpdate.model_validate({"quality": body})
    except ValidationError as exc:
        return _page(request, project, values, quality_form.errors_of(exc, values), status=422)
    projects.update_project(session, project, data)
    return RedirectResponse(f"/console/projects/{project.id}/settings?saved=1", status_code=303)
