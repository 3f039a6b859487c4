"""The requester's AI tab: the model's status (version, certificate, auto-acceptance,
audit), its settings and "Train now". A thin adapter over ``crowdloop.ai.service`` and
``crowdloop.ai.status``: validation is ``AiConfigUpdate``/``AiConfig``'s and the service's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.ai import service as ai
from crowdloop.ai import status as ai_status
from crowdloop.ai.schemas import AiConfig, AiConfigUpdate
from crowdloop.errors import Conflict, InvalidInput
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.storage.uow import unit_of_work
from crowdloop.web.deps import (
    DbDep,
    FormDep,
    PostingUser,
    ReadSession,
    SettingsDep,
    WebRoute,
    WebUser,
    WriteSession,
    render,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
CHECKS = ("enabled", "show_suggestions", "auto_accept", "in_truth")
TEXTS = ("model", "url", "target_accuracy", "holdout_share", "audit_share", "retrain_after")
MODELS = [
    ("tfidf", "TF-IDF + logistic regression (built in)"),
    ("embeddings", "Sentence embeddings (needs the ai extra)"),
    ("http", "Model server (Label Studio ML backend)"),
]


def _text(value: Any) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def values_from(config: AiConfig) -> dict[str, str]:
    """The form fields showing a stored config (ticked boxes are "1")."""
    found = {name: _text(getattr(config, name)) for name in TEXTS}
    found.update({name: "1" if getattr(config, name) else "" for name in CHECKS})
    return found


def values_of(form: Mapping[str, Any]) -> dict[str, str]:
    found = {}
    for name in (*TEXTS, *CHECKS):
        raw = form.get(name)
        found[name] = raw.strip() if isinstance(raw, str) else ""
    return found


def update_of(values: dict[str, str]) -> dict[str, Any]:
    """The ``AiConfigUpdate`` body the fields describe (not yet validated)."""
    body: dict[str, Any] = {name: values[name] for name in TEXTS}
    body["url"] = values["url"] or None
    body.update({name: bool(values[name]) for name in CHECKS})
    return body


def field_of(loc: tuple[Any, ...], message: str) -> str:
    """The form field an error belongs to (whole-config checks name the field they test)."""
    if loc and str(loc[0]) in (*TEXTS, *CHECKS):
        return str(loc[0])
    if "url" in message:
        return "url"
    return "model" if "embeddings" in message or "model" in message else "form"


def errors_of(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.setdefault(field_of(tuple(err.get("loc", ())), message), message)
    return errors


def service_error(detail: str) -> dict[str, str]:
    """The service's one-line ``InvalidInput`` ("field: message") placed at its field."""
    head, _, rest = detail.partition(": ")
    if head in TEXTS or head in CHECKS:
        return {head: rest}
    return {field_of((), detail): detail}


def _page(
    request: Request,
    session: Session,
    project: Project,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    train_error: str | None = None,
    status: int = 200,
) -> Response:
    query = request.query_params
    context = {
        "project": project,
        "s": ai_status.status(session, project),
        "v": values or values_from(ai.config_of(project)),
        "errors": errors or {},
        "models": MODELS,
        "train_error": train_error,
        "saved": query.get("saved") == "1",
        "trained": query.get("trained", "").isdigit(),
    }
    return render(request, "requester/ai.html", context, status=status)


@router.get("/console/projects/{project_id}/ai")
def ai_tab(request: Request, project_id: int, user: WebUser, session: ReadSession) -> Response:
    """The model's status and settings (owner or admin)."""
    return _page(request, session, access.for_manager(session, user, project_id))


def _validated(
    project: Project, values: dict[str, str]
) -> tuple[AiConfigUpdate | None, dict[str, str]]:
    """The update, or the fields' messages (every field at once, by the schemas' own rules)."""
    try:
        update = AiConfigUpdate.model_validate(update_of(values))
        merged = {**ai.config_of(project).model_dump(), **update.model_dump(exclude_unset=True)}
        AiConfig.model_validate(merged)
    except ValidationError as exc:
        return None, errors_of(exc)
    return update, {}


@router.post("/console/projects/{project_id}/ai")
def save(
    request: Request,
    project_id: int,
    user: PostingUser,
    session: WriteSession,
    form: FormDep,
    settings: SettingsDep,
) -> Response:
    """Replace the AI settings; a bad value changes nothing and is shown at its field."""
    project = access.for_manager(session, user, project_id)
    values = values_of(form)
    update, errors = _validated(project, values)
    if update is not None:
        try:
            allow = settings.outbound
            ai.update_config(session, project, update, outbound=allow)
        except InvalidInput as exc:
            errors = service_error(exc.detail)
    if errors:
        return _page(request, session, project, values=values, errors=errors, status=422)
    return RedirectResponse(f"/console/projects/{project.id}/ai?saved=1", status_code=303)


def _train(db: DbDep, user: User, project_id: int) -> int:
    """Train in a unit of its own: a refused run rolls back whatever it started."""
    with unit_of_work(db) as session:
        project = access.for_manager(session, user, project_id)
        return ai.run(session, project).version


@router.post("/console/projects/{project_id}/ai/train")
def train(request: Request, project_id: int, user: PostingUser, db: DbDep) -> Response:
    """Train now, predict open tasks, certify and auto-accept (when enabled)."""
    try:
        version = _train(db, user, project_id)
    except (Conflict, InvalidInput) as exc:
        with unit_of_work(db, write=False) as session:
            project = access.for_manager(session, user, project_id)
            code = exc.status_code
            return _page(request, session, project, train_error=exc.detail, status=code)
    target = f"/console/projects/{project_id}/ai?trained={version}"
    return RedirectResponse(target, status_code=303)
