"""The bus: who reacts to which event, built once in the wiring and attached to a database.

Two kinds of listener:

- a *reaction* runs inside the publishing transaction (it must be fast and may raise to
  refuse the whole change); the labelling loop's own bookkeeping (quality counters,
  dynamic overlap) reacts this way;
- a *subscriber* runs after commit, from the outbox, in its own transaction, retried with
  backoff and parked as failed after its last attempt (webhooks, notifications, ...).

The bus is carried in ``Session.info`` of the database's write sessions, so services
publish with nothing but their session and never import the domains that react.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from crowdloop.storage.dialect import notify
from crowdloop.storage.engine import Database

log = logging.getLogger(__name__)
BUS_KEY = "crowdloop.bus"
PUBLISHED_KEY = "crowdloop.published"
NOTIFY_CHANNEL = "crowdloop_events"


@dataclass(frozen=True)
class Published:
    """An event as listeners see it."""

    id: int
    uid: str
    type: str
    project_id: int | None
    actor_id: int | None
    payload: dict[str, Any]
    occurred_at: datetime


Reaction = Callable[[Session, Published], None]


@dataclass(frozen=True)
class Subscriber:
    """An after-commit listener. ``types`` empty means every type. ``projects``, if given,
    answers which of a batch's project ids the subscriber cares about at all (webhooks:
    those with an endpoint), so that the relay writes no handling for the others."""

    name: str
    handle: Callable[[Session, Published], None]
    types: frozenset[str] = frozenset()
    max_attempts: int = 8
    projects: Callable[[Session, set[int]], set[int]] | None = None

    def wants(self, event_type: str) -> bool:
        return not self.types or event_type in self.types


@dataclass
class Bus:
    reactions: dict[str, list[Reaction]] = field(default_factory=lambda: defaultdict(list))
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    # Called after a unit of work that published has committed (wake the relay, live pages).
    committed: list[Callable[[], None]] = field(default_factory=list)

    def react(self, event_type: str, reaction: Reaction) -> None:
        self.reactions[event_type].append(reaction)

    def subscribe(self, subscriber: Subscriber) -> None:
        if subscriber.name in self.subscribers:
            raise ValueError(f"subscriber {subscriber.name!r} is registered twice")
        self.subscribers[subscriber.name] = subscriber

    def on_commit(self, callback: Callable[[], None]) -> None:
        self.committed.append(callback)

    def subscribers_for(self, event_type: str) -> list[Subscriber]:
        return [s for s in self.subscribers.values() if s.wants(event_type)]

    def attach(self, db: Database) -> None:
        """Carry this bus in the database's write sessions and hook their commits."""
        db.write_sessions.configure(info={BUS_KEY: self})
        event.listen(db.write_sessions, "before_commit", _notify_listeners)
        event.listen(db.write_sessions, "after_commit", self._after_commit)
        event.listen(db.write_sessions, "after_rollback", _forget)

    def _after_commit(self, session: Session) -> None:
        """The change is committed whatever happens here: a callback that fails (the job
        queue is down) is logged, and the relay's periodic sweep finds the events anyway."""
        if session.info.pop(PUBLISHED_KEY, None):
            for callback in self.committed:
                try:
                    callback()
                except Exception:  # never fail a request after its commit
                    log.exception("after-commit callback %r failed", callback)


def bus_of(session: Session) -> Bus:
    bus = session.info.get(BUS_KEY)
    if not isinstance(bus, Bus):
        raise RuntimeError(
            "this session has no event bus: publish only in a write unit of a Database "
            "wired by crowdloop.wiring (Bus.attach)"
        )
    return bus


def mark_published(session: Session, project_id: int | None) -> None:
    projects: set[int | None] = session.info.setdefault(PUBLISHED_KEY, set())
    projects.add(project_id)


def _notify_listeners(session: Session) -> None:
    """PostgreSQL: one NOTIFY per publishing transaction, delivered at commit (never for a
    rollback), so live pages in every process wake within a second. The payload names
    the projects; listeners read the rows themselves (NOTIFY payloads are small)."""
    projects = session.info.get(PUBLISHED_KEY)
    if projects:
        notify(session, NOTIFY_CHANNEL, ",".join(sorted(str(p) for p in projects if p is not None)))


def _forget(session: Session) -> None:
    session.info.pop(PUBLISHED_KEY, None)
