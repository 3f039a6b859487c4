"""Settings: built once per entry point (CLI command, server, test) and passed down."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crowdloop.outbound import OutboundPolicy

# Refused as CROWDLOOP_SECRET_KEY in every environment: strings that have been in the source
# or in examples (decision 0016). Without a secret, dev and test generate one per database.
PLACEHOLDER_SECRETS = frozenset(
    {"dev-insecure-secret-change-me", "change-me", "changeme", "secret", "crowdloop"}
)
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every setting is read from an environment variable prefixed with ``CROWDLOOP_``."""

    model_config = SettingsConfigDict(env_prefix="CROWDLOOP_", extra="ignore")

    env: Literal["dev", "test", "prod"] = Field(
        "dev", description="Deployment environment: dev, test or prod."
    )
    database_url: str = Field(
        "sqlite:///./crowdloop.db",
        description="SQLAlchemy URL; sqlite:///PATH or postgresql+psycopg://user@host/db.",
    )
    secret_key: str = Field(
        "",
        description="Server secret (signs the sign-in form's CSRF token); required in prod, "
        "generated and kept in the database when empty in dev and test.",
    )
    cookie_secure: bool | None = Field(
        None,
        description="Mark cookies Secure (https only); unset = on in prod or over https.",
    )
    session_hours: float = Field(
        12, gt=0, le=24 * 90, description="Lifetime of a web session, in hours."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins in a row on one username before it is locked "
        "(a client address gets four times as many).",
    )
    login_lockout_seconds: int = Field(
        30, ge=1, description="First lockout; it doubles with each further failure (1 h cap)."
    )
    host: str = Field("127.0.0.1", description="Address `crowdloop serve` binds to.")
    port: int = Field(8000, description="Port `crowdloop serve` listens on.")
    lease_seconds: int = Field(
        600, ge=10, description="Default lease of an assignment before it returns to the pool."
    )
    db_pool_size: int = Field(10, ge=1, description="Connection pool size (PostgreSQL).")
    db_lock_timeout_seconds: float = Field(
        15,
        ge=0,
        description="PostgreSQL: a request that waits longer than this for a lock gives up "
        "with 503 (nothing saved) instead of hanging; 0 = wait for ever.",
    )
    import_batch_size: int = Field(
        5000, ge=1, description="Rows written per INSERT batch when importing tasks."
    )
    refit_interval_seconds: float = Field(
        30, ge=0, description="How often the server re-fits truth inference; 0 turns it off."
    )
    ai_interval_seconds: float = Field(
        60,
        ge=0,
        description="How often the server audits and retrains AI-enabled projects; 0 = off.",
    )
    redis_url: str = Field(
        "",
        description="redis://HOST:PORT/DB: keep the job queue in Redis and send live updates "
        "through Redis pub/sub; empty = the database's own (SQLite file or PostgreSQL).",
    )
    jobs_embedded: bool = Field(
        True,
        description="Run job workers inside `crowdloop serve`; turn off when separate "
        "`crowdloop worker` processes run the jobs.",
    )
    jobs_queue: str = Field(
        "crowdloop",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="Name of the job queue; installations that share one Redis must each "
        "use their own (or their own Redis database number).",
    )
    jobs_workers: int = Field(2, ge=1, le=64, description="Job worker threads per process.")
    job_lease_seconds: int = Field(
        300,
        ge=1,
        description="How long a job worker owns an event handling or a webhook delivery; "
        "after that (the worker was killed) another worker takes it over.",
    )
    outbound_allow_private: bool = Field(
        False,
        description="Allow webhook and model-server URLs on loopback or private addresses "
        "(tests, a receiver on the same host or LAN); off by default against server-side "
        "request forgery.",
    )
    outbound_allowlist: str = Field(
        "",
        description="Comma-separated host names (*.domain wildcards) and networks (CIDR) that "
        "webhooks and model servers may call; when set, only these (private ones included).",
    )
    retention_days: int = Field(
        30,
        ge=2,
        description="Days handled events, finished webhook deliveries and failed job records "
        "are kept before the hourly housekeeping job deletes them.",
    )
    max_upload_mb: int = Field(2048, ge=1, description="Largest accepted import upload, MiB.")

    @model_validator(mode="after")
    def _enforce_real_secret(self) -> Settings:
        if self.secret_key and self.secret_key.strip().lower() in PLACEHOLDER_SECRETS:
            raise ValueError("CROWDLOOP_SECRET_KEY is a published placeholder: set a real secret")
        if self.env == "prod" and len(self.secret_key) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"CROWDLOOP_SECRET_KEY must be set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters when env=prod"
            )
        return self

    @model_validator(mode="after")
    def _parse_allowlist(self) -> Settings:
        OutboundPolicy.parse(self.outbound_allowlist)  # a malformed entry stops the start
        return self

    @property
    def outbound(self) -> OutboundPolicy:
        """Where webhooks and model-server calls may go (crowdloop.outbound)."""
        return OutboundPolicy.parse(
            self.outbound_allowlist, allow_private=self.outbound_allow_private
        )

    @property
    def secure_cookies(self) -> bool | None:
        """True or False when decided by the settings; None = decide per request (https)."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return True if self.env == "prod" else None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
