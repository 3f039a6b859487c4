"""The live notifier's queries: the heads (id, project) of events, never their payloads."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.events.models import Event

Head = tuple[int, int | None]


def heads_after(session: Session, after_id: int, *, limit: int) -> list[Head]:
    """Events newer than the cursor, oldest first (``events`` primary key)."""
    query = select(Event.id, Event.project_id).where(Event.id > after_id)
    rows = session.execute(query.order_by(Event.id).limit(limit)).all()
    return [(row[0], row[1]) for row in rows]


def heads_among(session: Session, ids: Collection[int]) -> list[Head]:
    """Which of these ids exist now (gaps below the cursor whose transaction committed late)."""
    if not ids:
        return []
    query = select(Event.id, Event.project_id).where(Event.id.in_(sorted(ids)))
    return [(row[0], row[1]) for row in session.execute(query).all()]
