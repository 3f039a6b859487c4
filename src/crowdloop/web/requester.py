"""The requester's console: the project list, the create-project wizard, markdown preview."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from crowdloop.accounts.models import Role, User
from crowdloop.projects import service as projects
from crowdloop.projects.schemas import ProjectCreate
from crowdloop.web import forms, quality_form
from crowdloop.web.deps import (
    FormDep,
    PostingUser,
    ReadSession,
    SettingsDep,
    WebRoute,
    WebUser,
    WriteSession,
    render,
    require_role,
)
from crowdloop.web.markup import render_markdown

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CONSOLE_ROLES = (Role.requester, Role.admin, Role.reviewer)
CREATOR_ROLES = (Role.requester, Role.admin)
TASK_TYPES = [
    ("single_choice", "Single choice", "Pick one label (keys 1-9, one keystroke)."),
    ("multiple_choice", "Multiple choice", "Pick any number of labels."),
    ("rating", "Rating", "A number on a scale, e.g. 1 to 5."),
    ("text", "Free text", "A short written answer."),
    ("file", "File upload", "A file per task: a report, a spreadsheet, a ZIP..."),
]
WIZARD_DEFAULTS = {
    "task_type": "single_choice",
    "overlap": "3",
    "reward_cents": "0",
    "rating_min": "1",
    "rating_max": "5",
    "rating_step": "1",
    "text_max_length": "1000",
    "file_extensions": ".pdf, .zip",
    "file_max_mb": "10",
}


@router.get("/console")
def console(request: Request, user: WebUser, session: ReadSession) -> Response:
    require_role(user, *CONSOLE_ROLES)
    found = projects.list_projects(session, user)
    rows = [(p, projects.project_stats(session, p)) for p in found]
    can_create = user.role in CREATOR_ROLES
    return render(request, "requester/projects.html", {"rows": rows, "can_create": can_create})


def _wizard(
    request: Request, values: dict[str, str], errors: dict[str, str], *, status: int = 200
) -> Response:
    context: dict[str, Any] = {
        "v": values,
        "errors": errors,
        "task_types": TASK_TYPES,
        "rule_kinds": quality_form.RULE_KINDS,
        "actions": quality_form.ACTIONS,
        "step_no": 5,
    }
    return render(request, "requester/new.html", context, status=status)


@router.get("/console/projects/new")
def new_project(request: Request, user: WebUser) -> Response:
    require_role(user, *CREATOR_ROLES)
    values = forms.form_values({})
    values.update(WIZARD_DEFAULTS)
    values.update(quality_form.DEFAULTS)
    return _wizard(request, values, {})


def _create(
    user: User, values: dict[str, str], session: Any, lease: int
) -> tuple[int | None, dict[str, str]]:
    try:
        data = ProjectCreate.model_validate(forms.project_body(values))
    except ValidationError as exc:
        return None, forms.field_errors(exc, values)
    project = projects.create_project(session, user, data, default_lease=lease)
    return project.id, {}


@router.post("/console/projects/new")
def create_project(
    request: Request, user: PostingUser, session: WriteSession, settings: SettingsDep, form: FormDep
) -> Response:
    """Validate with the API's own schema; show each message next to its field."""
    require_role(user, *CREATOR_ROLES)
    values = forms.form_values(form)
    project_id, errors = _create(user, values, session, settings.lease_seconds)
    if project_id is None:
        return _wizard(request, values, errors, status=422)
    return RedirectResponse(f"/console/projects/{project_id}?created=1", status_code=303)


@router.post("/console/preview")
def preview(_: PostingUser, form: FormDep) -> HTMLResponse:
    """Render instructions markdown exactly as workers will see it (raw HTML disabled)."""
    text = form.get("instructions")
    html = render_markdown(text if isinstance(text, str) else "")
    return HTMLResponse(str(html) or "<p class='muted'>Nothing to preview yet.</p>")
