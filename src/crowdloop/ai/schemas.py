"""AI configuration of a project, its status, and the suggestion a worker may see."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

ModelKind = Literal["tfidf", "embeddings", "http"]


class AiConfig(BaseModel):
    """Stored as ``projects.ai_config`` (plus the service's ``state`` key)."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    model: ModelKind = "tfidf"
    url: str | None = Field(None, description="Model server base URL (model 'http').")
    target_accuracy: float = Field(0.95, gt=0, lt=1, description="Certified accuracy target.")
    delta: float = Field(0.05, gt=0, lt=1, description="Allowed chance the certificate is wrong.")
    holdout_share: float = Field(0.1, gt=0, lt=1, description="Share of tasks held out.")
    audit_share: float = Field(0.02, ge=0, lt=1, description="Share of auto-accepts audited.")
    retrain_after: int = Field(50, ge=1, description="Retrain after this many new labels.")
    show_suggestions: bool = Field(False, description="Show the model's label to workers.")
    auto_accept: bool = Field(False, description="Close certified tasks with the model label.")
    text_key: str = Field("text", min_length=1, description="Task data key holding the text.")
    in_truth: bool = Field(
        False,
        description="The model votes in truth inference as a pseudo-worker whose quality is "
        "estimated like anyone's (never a paid answer; see docs/ai.md).",
    )

    @model_validator(mode="after")
    def _url_for_http(self) -> Self:
        if self.model == "http" and not (self.url or "").startswith(("http://", "https://")):
            raise ValueError("model 'http' needs a url starting with http:// or https://")
        return self


class AiConfigUpdate(BaseModel):
    """A partial update: only the given fields change."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    model: ModelKind | None = None
    url: str | None = None
    target_accuracy: float | None = None
    delta: float | None = None
    holdout_share: float | None = None
    audit_share: float | None = None
    retrain_after: int | None = None
    show_suggestions: bool | None = None
    auto_accept: bool | None = None
    text_key: str | None = None
    in_truth: bool | None = None


class AiState(BaseModel):
    """The service's bookkeeping, stored next to the config."""

    stopped_reason: str | None = None
    stopped_at: datetime | None = None
    labels_at_training: int = 0
    marked_through: int = 0  # highest task id considered for the held-out slice
    audit_after_version_id: int = 0  # the audit counts items of later model versions only
    server_state: str | None = None
    server_detail: str | None = None


class Suggestion(BaseModel):
    """The model's label for a task, shown to a worker when the project allows it."""

    label: str
    confidence: float
    model_version: str


class AuditRead(BaseModel):
    n_audited: int
    n_correct: int
    accuracy: float | None
    lower_bound: float
    upper_bound: float
    stop: bool
    status: str


class AiStatus(BaseModel):
    project_id: int
    enabled: bool
    model: ModelKind
    model_version: str | None = Field(None, description="e.g. 'v3 tfidf-lr-1-0a1b2c3d'.")
    version: int | None = None
    state: str = Field(description="never trained, training, ready or failed.")
    detail: str = ""
    trained_at: datetime | None = None
    n_train: int = 0
    n_predicted: int = 0
    n_heldout: int = 0
    n_heldout_labelled: int = 0
    new_labels_since_training: int = 0
    certified: bool = False
    certificate_status: str = ""
    threshold: float | None = None
    auto_accept: bool = False
    n_auto_accepted: int = 0
    n_audit: int = 0
    audit: AuditRead | None = None
    auto_accept_stopped: bool = False
    stopped_reason: str | None = None
    server_state: str | None = Field(None, description="Model server health ('http' only).")
    truth_votes: int | None = Field(
        None, description="Votes the model cast as a pseudo-worker in the last re-fit."
    )
    truth_accuracy: float | None = Field(
        None, description="The pseudo-worker's accuracy as the last re-fit estimated it."
    )
    server_detail: str | None = None
