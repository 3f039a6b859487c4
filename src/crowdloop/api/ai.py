"""AI endpoints: a project's model config, its status, and training on demand."""

from __future__ import annotations

from fastapi import APIRouter

from crowdloop.ai import service, status
from crowdloop.ai.schemas import AiConfig, AiConfigUpdate, AiStatus
from crowdloop.api.deps import CurrentUser, PathId, ReadSession, SettingsDep, WriteSession
from crowdloop.projects import access

router = APIRouter(tags=["ai"])


@router.get("/projects/{project_id}/ai", response_model=AiConfig)
def get_config(project_id: PathId, user: CurrentUser, session: ReadSession) -> AiConfig:
    """The project's AI configuration (owner or admin)."""
    return service.config_of(access.for_manager(session, user, project_id))


@router.put("/projects/{project_id}/ai", response_model=AiConfig)
def put_config(
    project_id: PathId,
    body: AiConfigUpdate,
    user: CurrentUser,
    session: WriteSession,
    settings: SettingsDep,
) -> AiConfig:
    """Change some settings; the others keep their values. Bad values change nothing. A
    model server's URL must be a public address unless the operator allows private ones."""
    project = access.for_manager(session, user, project_id)
    return service.update_config(session, project, body, outbound=settings.outbound)


@router.get("/projects/{project_id}/ai/status", response_model=AiStatus)
def get_status(project_id: PathId, user: CurrentUser, session: ReadSession) -> AiStatus:
    """Model version, certificate, auto-acceptance, audit and model-server health."""
    return status.status(session, access.for_manager(session, user, project_id))


@router.post("/projects/{project_id}/ai/train", response_model=AiStatus)
def train(project_id: PathId, user: CurrentUser, session: WriteSession) -> AiStatus:
    """Train now, predict open tasks, certify and auto-accept (when enabled)."""
    project = access.for_manager(session, user, project_id)
    service.run(session, project)
    return status.status(session, project)
