"""What a requester sees about a project's model: version, certificate, audit, server."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session

from crowdloop.ai import acceptance, repository, training
from crowdloop.ai.backends.http import HttpPrelabeler, ServerStatus
from crowdloop.ai.models import ModelStatus, ModelVersion, TaskRole
from crowdloop.ai.schemas import AiConfig, AiState, AiStatus, AuditRead
from crowdloop.ai.service import config_of, state_of
from crowdloop.ai.truth import MODEL_KEY
from crowdloop.projects.models import Project

HEALTH_TIMEOUT = 2.0
HEALTH_TTL = 15.0


class HealthCache:
    """A model server's ``/health`` answer, kept ``ttl`` seconds per URL, so a status page
    opened again and again (or by many requesters) does not wait on the server each time.
    Per process: each app process asks for itself, at most once per ``ttl``."""

    def __init__(self, ttl: float = HEALTH_TTL, clock: Callable[[], float] = time.monotonic):
        self.ttl, self._clock = ttl, clock
        self._seen: dict[str, tuple[float, ServerStatus]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, check: Callable[[], ServerStatus]) -> ServerStatus:
        now = self._clock()
        with self._lock:
            hit = self._seen.get(url)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        found = check()
        with self._lock:
            self._seen[url] = (now, found)
        return found


_health = HealthCache()


def status(session: Session, project: Project, *, check_server: bool = True) -> AiStatus:
    config, state = config_of(project), state_of(project)
    latest = repository.latest_version(session, project.id, ready=False)
    ready = repository.latest_version(session, project.id)
    out = AiStatus(
        project_id=project.id,
        enabled=config.enabled,
        model=config.model,
        state="never trained" if latest is None else latest.status.value,
        auto_accept=config.auto_accept,
        n_heldout=repository.count_role(session, project.id, TaskRole.heldout),
        n_heldout_labelled=repository.count_labelled_heldout(session, project.id),
        n_auto_accepted=repository.count_role(session, project.id, TaskRole.auto),
        n_audit=repository.count_role(session, project.id, TaskRole.audit),
        new_labels_since_training=max(
            repository.count_trainable(session, project.id) - state.labels_at_training, 0
        ),
        auto_accept_stopped=state.stopped_reason is not None,
        stopped_reason=state.stopped_reason,
        certificate_status="no model trained yet",
    )
    if latest is not None:
        _version_fields(out, latest, ready)
    fitted = (project.quality_state or {}).get(MODEL_KEY)
    if config.in_truth and fitted:
        out.truth_votes, out.truth_accuracy = int(fitted["votes"]), float(fitted["accuracy"])
    _audit_fields(out, session, project, config, state)
    if config.model == "http" and check_server:
        _server_fields(out, project, config)
    return out


def _version_fields(out: AiStatus, latest: ModelVersion, ready: ModelVersion | None) -> None:
    out.detail = latest.detail
    if latest.status == ModelStatus.training:
        out.detail = f"predicting: {latest.n_predicted} tasks done"
    current = ready or latest
    out.version = current.version
    out.model_version = f"v{current.version} {current.name}"
    out.trained_at, out.n_train, out.n_predicted = (
        current.trained_at,
        current.n_train,
        current.n_predicted,
    )
    cert = current.certificate or {}
    out.certified = bool(cert.get("certified"))
    out.certificate_status = str(cert.get("status", "not certified yet"))
    out.threshold = current.threshold


def _audit_fields(
    out: AiStatus, session: Session, project: Project, config: AiConfig, state: AiState
) -> None:
    result = acceptance.audit_result(session, project, config, state)
    out.audit = AuditRead(
        n_audited=result.n_audited,
        n_correct=result.n_correct,
        accuracy=None if math.isnan(result.accuracy) else result.accuracy,
        lower_bound=result.lower_bound,
        upper_bound=result.upper_bound,
        stop=result.stop,
        status=result.status,
    )


def _server_fields(out: AiStatus, project: Project, config: AiConfig) -> None:
    labels, url = training.project_labels(project), str(config.url)
    health = _health.get(url, HttpPrelabeler(url, labels, timeout=HEALTH_TIMEOUT).health)
    out.server_state, out.server_detail = health.state, health.detail
