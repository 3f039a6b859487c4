"""Account roles: a plain enum, importable without SQLAlchemy (the CLI's options use it)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    admin = "admin"
    requester = "requester"
    worker = "worker"
    reviewer = "reviewer"
