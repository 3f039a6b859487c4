"""Webhook endpoints of a project, their delivery log, redelivery and test events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response

from crowdloop.api.deps import CurrentUser, PathId, ReadSession, SettingsDep, WriteSession
from crowdloop.projects import access
from crowdloop.webhooks import service
from crowdloop.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    PingSent,
)
from crowdloop.wiring import Platform

router = APIRouter(tags=["webhooks"])
BASE = "/projects/{project_id}/webhooks"


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


@router.get(BASE, response_model=list[EndpointRead])
def list_endpoints(
    project_id: PathId, user: CurrentUser, session: ReadSession
) -> list[EndpointRead]:
    """The project's endpoints (owner or admin); secrets are not shown."""
    return service.list_endpoints(session, access.for_manager(session, user, project_id))


@router.post(BASE, response_model=EndpointWithSecret, status_code=201)
def create_endpoint(
    project_id: PathId,
    body: EndpointCreate,
    user: CurrentUser,
    session: WriteSession,
    settings: SettingsDep,
) -> EndpointWithSecret:
    """Register an endpoint; the answer shows its signing secret (here and on rotation)."""
    project = access.for_manager(session, user, project_id)
    allow = settings.outbound
    return service.create_endpoint(session, project, body, created_by=user.id, outbound=allow)


@router.get(BASE + "/{webhook_id}", response_model=EndpointRead)
def get_endpoint(
    project_id: PathId, webhook_id: PathId, user: CurrentUser, session: ReadSession
) -> EndpointRead:
    project = access.for_manager(session, user, project_id)
    return service.get_endpoint(session, project, webhook_id)


@router.patch(BASE + "/{webhook_id}", response_model=EndpointRead)
def update_endpoint(
    project_id: PathId,
    webhook_id: PathId,
    body: EndpointUpdate,
    user: CurrentUser,
    session: WriteSession,
    settings: SettingsDep,
) -> EndpointRead:
    """Change the URL, event types, description or ``active``; others keep their values."""
    project = access.for_manager(session, user, project_id)
    allow = settings.outbound
    return service.update_endpoint(session, project, webhook_id, body, outbound=allow)


@router.delete(BASE + "/{webhook_id}", status_code=204)
def delete_endpoint(
    project_id: PathId, webhook_id: PathId, user: CurrentUser, session: WriteSession
) -> Response:
    """Remove the endpoint with its deliveries and their log."""
    service.delete_endpoint(session, access.for_manager(session, user, project_id), webhook_id)
    return Response(status_code=204)


@router.post(BASE + "/{webhook_id}/rotate-secret", response_model=EndpointWithSecret)
def rotate_secret(
    project_id: PathId, webhook_id: PathId, user: CurrentUser, session: WriteSession
) -> EndpointWithSecret:
    """A new signing secret, shown once; the old one stops at once."""
    project = access.for_manager(session, user, project_id)
    return service.rotate_secret(session, project, webhook_id)


@router.get(BASE + "/{webhook_id}/deliveries", response_model=list[DeliveryRead])
def deliveries(
    project_id: PathId,
    webhook_id: PathId,
    user: CurrentUser,
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[DeliveryRead]:
    """The delivery log, newest first: status, attempts with status codes and errors."""
    project = access.for_manager(session, user, project_id)
    return service.deliveries(session, project, webhook_id, limit=limit)


@router.post(BASE + "/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead)
def redeliver(
    project_id: PathId,
    delivery_id: PathId,
    user: CurrentUser,
    session: WriteSession,
    platform: PlatformDep,
    tasks: BackgroundTasks,
) -> DeliveryRead:
    """Send the delivery again with the same webhook-id; the sender wakes after commit."""
    project = access.for_manager(session, user, project_id)
    found = service.redeliver(session, project, delivery_id)
    tasks.add_task(platform.wake_webhooks)
    return found


@router.post(BASE + "/{webhook_id}/test", response_model=PingSent, status_code=202)
def send_test(
    project_id: PathId, webhook_id: PathId, user: CurrentUser, session: WriteSession
) -> PingSent:
    """Publish a ``webhook.test`` event for this endpoint; watch its delivery in the log."""
    project = access.for_manager(session, user, project_id)
    return service.send_test(session, project, webhook_id, actor_id=user.id)
