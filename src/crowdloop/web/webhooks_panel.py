"""The requester's Webhooks tab: endpoints, the add form, one endpoint's delivery log with
its status codes, redelivery, test events and secret rotation. A thin adapter over
``crowdloop.webhooks.service``: the URL and event-type checks are the service's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from crowdloop.errors import InvalidInput
from crowdloop.events.types import DESCRIPTIONS
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.web.deps import (
    FormDep,
    PostingUser,
    ReadSession,
    SettingsDep,
    WebRoute,
    WebUser,
    WriteSession,
    render,
)
from crowdloop.webhooks import service
from crowdloop.webhooks.schemas import EndpointCreate, EndpointUpdate
from crowdloop.wiring import Platform

router = APIRouter(route_class=WebRoute, include_in_schema=False)
BASE = "/console/projects/{project_id}/webhooks"
TYPES = [(str(t), text) for t, text in DESCRIPTIONS.items()]
FIELDS = ("url", "event_types", "description")


def _list_page(
    request: Request,
    session: Session,
    project: Project,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    context = {
        "project": project,
        "endpoints": service.list_endpoints(session, project),
        "types": TYPES,
        "v": values or {"url": "", "description": "", "event_types": []},
        "errors": errors or {},
        "removed": request.query_params.get("removed"),
    }
    return render(request, "requester/webhooks.html", context, status=status)


def _endpoint_page(
    request: Request,
    session: Session,
    project: Project,
    webhook_id: int,
    *,
    secret: str | None = None,
) -> Response:
    query = request.query_params
    context = {
        "project": project,
        "endpoint": service.get_endpoint(session, project, webhook_id),
        "deliveries": service.deliveries(session, project, webhook_id, limit=50),
        "secret": secret,
        "tested": query.get("tested"),
        "redelivered": query.get("redelivered"),
        "saved": query.get("saved") == "1",
    }
    return render(request, "requester/webhook.html", context)


def error_at(detail: str) -> dict[str, str]:
    """The service's one-line ``InvalidInput`` ("field: message") placed at its field."""
    head, _, rest = detail.partition(": ")
    return {head: rest} if head in FIELDS else {"form": detail}


@router.get(BASE)
def webhooks_tab(
    request: Request, project_id: int, user: WebUser, session: ReadSession
) -> Response:
    """The project's endpoints and the form to add one (owner or admin)."""
    return _list_page(request, session, access.for_manager(session, user, project_id))


@router.post(BASE)
def add(
    request: Request,
    project_id: int,
    user: PostingUser,
    session: WriteSession,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Register an endpoint; its page shows the signing secret once."""
    project = access.for_manager(session, user, project_id)
    values = {
        "url": str(form.get("url") or "").strip(),
        "description": str(form.get("description") or "").strip(),
        "event_types": [str(t) for t in form.getlist("event_types")],
    }
    try:
        body = EndpointCreate.model_validate(values)
        allow = settings.outbound
        created = service.create_endpoint(
            session, project, body, created_by=user.id, outbound=allow
        )
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors() if e["loc"]}
        return _list_page(request, session, project, values=values, errors=errors, status=422)
    except InvalidInput as exc:
        errors = error_at(exc.detail)
        return _list_page(request, session, project, values=values, errors=errors, status=422)
    return _endpoint_page(request, session, project, created.id, secret=created.secret)


@router.get(BASE + "/{webhook_id}")
def endpoint(
    request: Request, project_id: int, webhook_id: int, user: WebUser, session: ReadSession
) -> Response:
    """One endpoint: its settings, actions and delivery log."""
    project = access.for_manager(session, user, project_id)
    return _endpoint_page(request, session, project, webhook_id)


@router.post(BASE + "/{webhook_id}/rotate")
def rotate(
    request: Request, project_id: int, webhook_id: int, user: PostingUser, session: WriteSession
) -> Response:
    project = access.for_manager(session, user, project_id)
    rotated = service.rotate_secret(session, project, webhook_id)
    return _endpoint_page(request, session, project, webhook_id, secret=rotated.secret)


@router.post(BASE + "/{webhook_id}/active")
def set_active(
    project_id: int,
    webhook_id: int,
    user: PostingUser,
    session: WriteSession,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Pause or resume deliveries to the endpoint."""
    project = access.for_manager(session, user, project_id)
    update = EndpointUpdate(active=form.get("active") == "1")
    allow = settings.outbound
    service.update_endpoint(session, project, webhook_id, update, outbound=allow)
    target = f"/console/projects/{project_id}/webhooks/{webhook_id}?saved=1"
    return RedirectResponse(target, status_code=303)


@router.post(BASE + "/{webhook_id}/test")
def send_test(
    project_id: int, webhook_id: int, user: PostingUser, session: WriteSession
) -> Response:
    project = access.for_manager(session, user, project_id)
    sent = service.send_test(session, project, webhook_id, actor_id=user.id)
    target = f"/console/projects/{project_id}/webhooks/{webhook_id}?tested={sent.msg_id}"
    return RedirectResponse(target, status_code=303)


@router.post(BASE + "/{webhook_id}/delete")
def remove(project_id: int, webhook_id: int, user: PostingUser, session: WriteSession) -> Response:
    service.delete_endpoint(session, access.for_manager(session, user, project_id), webhook_id)
    return RedirectResponse(f"/console/projects/{project_id}/webhooks?removed=1", status_code=303)


@router.post(BASE + "/deliveries/{delivery_id}/redeliver")
def redeliver(
    request: Request,
    project_id: int,
    delivery_id: int,
    user: PostingUser,
    session: WriteSession,
    tasks: BackgroundTasks,
) -> Response:
    """Send a delivery again (same webhook-id); the sender wakes after commit."""
    project = access.for_manager(session, user, project_id)
    found = service.redeliver(session, project, delivery_id)
    platform: Platform = request.app.state.platform
    tasks.add_task(platform.wake_webhooks)
    target = f"/console/projects/{project_id}/webhooks/{found.endpoint_id}?redelivered={found.id}"
    return RedirectResponse(target, status_code=303)
