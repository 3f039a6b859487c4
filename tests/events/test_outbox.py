"""The transactional outbox: events commit and roll back with the change that caused them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role
from crowdloop.allocation import policy
from crowdloop.errors import InvalidInput
from crowdloop.events import service as events
from crowdloop.events.bus import Published
from crowdloop.events.models import Event
from crowdloop.events.types import EventType
from crowdloop.quality import review
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform
from crowdloop.work import service as work
from tests.factories.accounts import make_user
from tests.factories.projects import LABELS, make_project, make_tasks


def _count(db: Database, event_type: str | None = None) -> int:
    with unit_of_work(db, write=False) as session:
        query = select(func.count()).select_from(Event)
        if event_type is not None:
            query = query.where(Event.type == event_type)
        return int(session.scalar(query) or 0)


class TestPublish:
    def test_an_event_commits_with_its_change(self, db: Database) -> None:
        with unit_of_work(db) as session:
            published = events.publish(session, EventType.webhook_test, project_id=7, note="x")
        assert published.id > 0
        with unit_of_work(db, write=False) as session:
            row = session.get(Event, published.id)
            assert row is not None
            assert (row.type, row.project_id, row.payload) == ("webhook.test", 7, {"note": "x"})
            assert row.dispatched_at is None

    def test_a_rolled_back_change_leaves_no_event(self, db: Database) -> None:
        def publish_then_refuse() -> None:
            with unit_of_work(db) as session:
                events.publish(session, EventType.webhook_test, project_id=1)
                raise InvalidInput("the change is refused")

        with pytest.raises(InvalidInput):
            publish_then_refuse()
        assert _count(db) == 0

    def test_ids_are_monotonic_and_uids_unique(self, db: Database) -> None:
        with unit_of_work(db) as session:
            first = events.publish(session, EventType.webhook_test)
            second = events.publish(session, EventType.webhook_test)
        assert second.id > first.id
        assert first.uid != second.uid

    def test_a_session_without_a_bus_cannot_publish(self, db: Database) -> None:
        with Session(db.engine) as session, pytest.raises(RuntimeError, match="no event bus"):
            events.publish(session, EventType.webhook_test)

    def test_a_read_only_unit_cannot_publish(self, db: Database) -> None:
        with (
            pytest.raises(RuntimeError, match="no event bus"),
            unit_of_work(db, write=False) as session,
        ):
            events.publish(session, EventType.webhook_test)


class TestReactions:
    def test_a_reaction_runs_in_the_publishing_transaction(self, platform: Platform) -> None:
        seen: list[tuple[str, int]] = []

        def react(session: Session, event: Published) -> None:
            # Inside the transaction: the row is already visible to this session.
            assert session.get(Event, event.id) is not None
            seen.append((event.type, event.id))

        platform.bus.react("webhook.test", react)
        with unit_of_work(platform.db) as session:
            published = events.publish(session, EventType.webhook_test)
        assert seen == [("webhook.test", published.id)]

    def test_a_failing_reaction_refuses_the_whole_change(self, platform: Platform) -> None:
        def refuse(_session: Session, _event: Published) -> None:
            raise InvalidInput("not now")

        platform.bus.react("webhook.test", refuse)
        with pytest.raises(InvalidInput), unit_of_work(platform.db) as session:
            events.publish(session, EventType.webhook_test)
        assert _count(platform.db) == 0


class TestTheLoopPublishes:
    def test_next_submit_and_completion(self, db: Database) -> None:
        with unit_of_work(db) as session:
            owner = make_user(session, role=Role.requester)
            project = make_project(session, owner, overlap=1)
            make_tasks(session, project, 1)
            worker = make_user(session, role=Role.worker)
        with unit_of_work(db) as session:
            assignment = policy.next_assignment(session, worker, project)
            assignment_id = assignment.id
        with unit_of_work(db) as session:
            work.submit(session, worker, assignment_id, LABELS[0])
        with unit_of_work(db, write=False) as session:
            rows = session.scalars(select(Event).order_by(Event.id)).all()
        assert [r.type for r in rows] == [
            "tasks.created",
            "assignment.leased",
            "answer.submitted",
            "result.changed",
            "task.completed",
            "project.finished",
        ]
        created, leased, submitted, changed, completed, finished = rows
        assert created.payload["count"] == 1
        assert leased.payload["assignment_id"] == assignment_id
        assert submitted.project_id == project.id
        assert submitted.actor_id == worker.id
        assert (changed.payload["answer"], changed.payload["previous"]) == (LABELS[0], None)
        assert completed.payload["answer"] == LABELS[0]
        assert finished.project_id == project.id

    def test_a_review_and_a_second_task_left_open(self, db: Database) -> None:
        with unit_of_work(db) as session:
            owner = make_user(session, role=Role.requester)
            project = make_project(session, owner, overlap=1)
            make_tasks(session, project, 2)
            worker = make_user(session, role=Role.worker)
        with unit_of_work(db) as session:
            assignment_id = policy.next_assignment(session, worker, project).id
        with unit_of_work(db) as session:
            work.submit(session, worker, assignment_id, LABELS[1])
        with unit_of_work(db) as session:
            review.review(session, owner, assignment_id, review.ReviewIn(verdict="accept"))
        with unit_of_work(db, write=False) as session:
            types = [r.type for r in session.scalars(select(Event).order_by(Event.id))]
            decided = session.scalars(select(Event).where(Event.type == "review.decided")).one()
        assert "project.finished" not in types  # the second task is still open
        assert types[-1] == "review.decided"
        assert decided.payload["decision"] == "accepted"
        assert decided.actor_id == owner.id

    def test_a_refused_answer_publishes_nothing(self, db: Database) -> None:
        with unit_of_work(db) as session:
            owner = make_user(session, role=Role.requester)
            project = make_project(session, owner, overlap=1)
            make_tasks(session, project, 1)
            worker = make_user(session, role=Role.worker)
        with unit_of_work(db) as session:
            assignment_id = policy.next_assignment(session, worker, project).id
        before = _count(db)
        with pytest.raises(InvalidInput), unit_of_work(db) as session:
            work.submit(session, worker, assignment_id, "not-a-label")
        assert _count(db) == before
        assert _count(db, "answer.submitted") == 0
