"""The install's own values, kept in its database: today the generated server secret.

Without ``CROWDLOOP_SECRET_KEY`` (allowed in dev and test only), the first process that
needs the secret generates a random one and stores it here; every later process, on any
host, reads the same row. No two installs share a secret, and nothing of it is in the
source (decision 0016).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from crowdloop.storage.base import Base
from crowdloop.storage.dialect import insert_if_absent
from crowdloop.storage.types import UTCDateTime, utcnow

SECRET_KEY = "secret_key"


class InstanceValue(Base):
    __tablename__ = "instance_values"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def generated_secret(session: Session) -> str:
    """The install's generated secret, created on first use (a concurrent first use by
    another process keeps whichever row was written first)."""
    fresh = {"name": SECRET_KEY, "value": secrets.token_urlsafe(48), "created_at": utcnow()}
    insert_if_absent(session, InstanceValue, fresh)
    value = session.scalar(select(InstanceValue.value).where(InstanceValue.name == SECRET_KEY))
    assert value is not None  # inserted above or by the concurrent winner
    return value
