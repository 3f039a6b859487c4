"""Sending: a signed delivery after a real answer, retries on schedule, giving up, taking
over a killed sender, redelivery with the same webhook-id, and a hung endpoint that never
holds up the labelling loop or the other endpoints."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from crowdloop.events import service as events
from crowdloop.events.models import Event
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import delivery
from crowdloop.webhooks.delivery import MAX_ATTEMPTS, SCHEDULE, retry_after
from crowdloop.webhooks.models import DeliveryStatus, WebhookDelivery
from crowdloop.webhooks.schemas import SendReport
from crowdloop.wiring import SEND_WEBHOOKS, Platform
from tests.webhooks.conftest import (
    OPEN,
    Receiver,
    Setup,
    attempts,
    closed_port_url,
    deliveries,
    make_due,
)

LEASE = timedelta(minutes=5)
SUBMITTED = ["answer.submitted"]


def relay_and_send(platform: Platform, *, timeout: float = 5.0) -> SendReport:
    events.relay(platform.db, platform.bus)
    return delivery.send_due(platform.db, outbound=OPEN, lease=LEASE, timeout=timeout)


def send(platform: Platform) -> SendReport:
    return delivery.send_due(platform.db, outbound=OPEN, lease=LEASE)


def event_uid(db: Database, event_type: str) -> str:
    with unit_of_work(db, write=False) as session:
        found = session.scalars(select(Event.uid).where(Event.type == event_type)).all()
    assert len(found) == 1
    return found[0]


def assert_rescheduled(row: WebhookDelivery, before: datetime, after: datetime) -> None:
    """The next attempt is the schedule's step after this failure, counted from its end."""
    step = SCHEDULE[row.attempts - 1]
    assert before + step <= row.next_attempt_at <= after + step


class TestDelivery:
    def test_an_answer_reaches_the_endpoint_signed(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        endpoint = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        report = relay_and_send(platform)
        assert (report.sent, report.succeeded) == (1, 1)
        (got,) = receiver.received
        body = Webhook(endpoint["secret"]).verify(got.body, got.headers)
        assert got.headers["webhook-id"] == "msg_" + event_uid(platform.db, "answer.submitted")
        assert got.headers["webhook-signature"].startswith("v1,")
        assert got.headers["content-type"] == "application/json"
        assert body["type"] == "answer.submitted"
        assert body["timestamp"].endswith("Z")
        data = body["data"]
        assert data["project_id"] == setup.project_id
        assert data["task_id"] in setup.task_ids
        assert data["event_uid"] == got.headers["webhook-id"].removeprefix("msg_")
        (row,) = deliveries(platform.db)
        assert (row.status, row.attempts, row.last_status_code) == (
            DeliveryStatus.succeeded,
            1,
            200,
        )
        assert row.delivered_at is not None
        (logged,) = attempts(platform.db, row.id)
        assert (logged.status_code, logged.error, logged.response_excerpt) == (
            200,
            None,
            "received",
        )

    def test_a_tampered_body_does_not_verify(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        endpoint = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        relay_and_send(platform)
        (got,) = receiver.received
        tampered = json.dumps({**json.loads(got.body), "type": "task.completed"}).encode()
        with pytest.raises(WebhookVerificationError, match="No matching signature"):
            Webhook(endpoint["secret"]).verify(tampered, got.headers)

    def test_no_endpoint_no_delivery(self, setup: Setup, platform: Platform) -> None:
        setup.answer()
        assert relay_and_send(platform).sent == 0
        assert deliveries(platform.db) == []


class TestRetries:
    def test_a_500_is_retried_on_schedule_with_the_same_webhook_id(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        receiver.status = 500
        for _ in range(2):
            make_due(platform.db)
            before = utcnow()
            report = send(platform)
            after = utcnow()
            assert (report.sent, report.retrying) == (1, 1)
            (row,) = deliveries(platform.db)
            assert (row.status, row.last_status_code, row.last_error) == (
                DeliveryStatus.pending,
                500,
                "HTTP 500",
            )
            assert_rescheduled(row, before, after)
        assert send(platform).sent == 0  # not due yet
        receiver.status = 200
        make_due(platform.db)
        assert send(platform).succeeded == 1
        (row,) = deliveries(platform.db)
        assert [a.status_code for a in attempts(platform.db, row.id)] == [500, 500, 200]
        assert {r.headers["webhook-id"] for r in receiver.received} == {row.msg_id}

    def test_a_closed_port_is_retried(self, setup: Setup, platform: Platform) -> None:
        setup.add_endpoint(closed_port_url(), event_types=SUBMITTED)
        setup.answer()
        before = utcnow()
        report = relay_and_send(platform)
        after = utcnow()
        assert (report.sent, report.retrying) == (1, 1)
        (row,) = deliveries(platform.db)
        assert row.status == DeliveryStatus.pending
        assert row.last_status_code is None
        assert row.last_error is not None
        assert "ConnectError" in row.last_error
        assert_rescheduled(row, before, after)
        (logged,) = attempts(platform.db, row.id)
        assert logged.status_code is None
        assert logged.error == row.last_error

    def test_gives_up_after_the_last_attempt(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        receiver.status = 503
        for n in range(1, MAX_ATTEMPTS + 1):
            make_due(platform.db)
            before = utcnow()
            report = send(platform)
            after = utcnow()
            (row,) = deliveries(platform.db)
            assert row.attempts == n
            if n < MAX_ATTEMPTS:
                assert report.retrying == 1
                assert_rescheduled(row, before, after)
        assert report.failed == 1
        assert row.status == DeliveryStatus.failed
        assert len(attempts(platform.db, row.id)) == MAX_ATTEMPTS
        make_due(platform.db)
        assert send(platform).sent == 0  # parked: only a redelivery sends it again

    def test_the_schedule_lasts_more_than_a_day(self) -> None:
        assert [retry_after(n) for n in (1, 2, 3)] == [
            timedelta(seconds=5),
            timedelta(minutes=5),
            timedelta(minutes=30),
        ]
        assert retry_after(MAX_ATTEMPTS) is None
        assert timedelta(hours=27) < sum(SCHEDULE, timedelta()) < timedelta(hours=28)

    def test_a_retry_due_within_the_minute_gets_a_delayed_run(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        receiver.status = 500
        report = platform.send_webhooks()
        assert report["retrying"] == 1
        assert 0 <= report["next_retry_seconds"] <= SCHEDULE[0].total_seconds()
        # huey queues a delayed task with its eta; the consumer holds it until then.
        later = [t for t in platform.jobs.huey.pending() if t.name == SEND_WEBHOOKS]
        assert len(later) == 1
        assert later[0].eta is not None


class TestTakeOver:
    def test_a_killed_sender_is_sent_again_after_its_lease(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        taken = delivery.claim(platform.db, lease=LEASE)  # ... and the sender dies here
        assert len(taken) == 1
        (row,) = deliveries(platform.db)
        assert row.status == DeliveryStatus.sending
        assert send(platform).sent == 0  # still under the dead sender's lease
        with unit_of_work(platform.db) as session:
            lapsed = utcnow() - timedelta(seconds=1)
            session.execute(update(WebhookDelivery).values(locked_until=lapsed))
        assert send(platform).succeeded == 1
        (row,) = deliveries(platform.db)
        assert (row.status, row.attempts) == (DeliveryStatus.succeeded, 1)
        assert [r.headers["webhook-id"] for r in receiver.received] == [taken[0].msg_id]


class TestRedelivery:
    def test_redelivery_keeps_the_webhook_id(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        endpoint = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        relay_and_send(platform)
        (row,) = deliveries(platform.db)
        path = f"/projects/{setup.project_id}/webhooks/deliveries/{row.id}/redeliver"
        rearmed = setup.a.requester.request("POST", path)
        assert (rearmed["status"], rearmed["attempts"]) == ("pending", 0)
        assert rearmed["msg_id"] == row.msg_id
        assert send(platform).succeeded == 1
        first, second = receiver.received
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == row.msg_id
        assert first.body == second.body
        for got in (first, second):
            Webhook(endpoint["secret"]).verify(got.body, got.headers)
        assert len(attempts(platform.db, row.id)) == 2


class TestIsolation:
    def test_a_hung_endpoint_does_not_hold_up_the_loop(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        receiver.gate = threading.Event()
        setup.answer(worker=0)
        events.relay(platform.db, platform.bus)
        sender = threading.Thread(target=relay_and_send, args=(platform,), kwargs={"timeout": 60})
        sender.start()
        assert receiver.entered.wait(30), "the delivery never reached the receiver"
        # The receiver holds the request: the loop goes on, and the relay fans out.
        setup.answer(worker=1)
        events.relay(platform.db, platform.bus)
        assert not receiver.gate.is_set()
        assert sender.is_alive()
        assert len(deliveries(platform.db)) == 2
        receiver.gate.set()
        sender.join()
        statuses = [d.status for d in deliveries(platform.db)]
        assert statuses[0] == DeliveryStatus.succeeded

    def test_a_hung_endpoint_does_not_delay_the_others(
        self, setup: Setup, platform: Platform, make_receiver: Callable[[], Receiver]
    ) -> None:
        hung, healthy = make_receiver(), make_receiver()
        hung.gate = threading.Event()
        setup.add_endpoint(hung.url, event_types=SUBMITTED)  # first in line
        setup.add_endpoint(healthy.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        sender = threading.Thread(target=send, args=(platform,))
        sender.start()
        assert hung.entered.wait(30), "the delivery never reached the hung endpoint"
        # The hung endpoint holds its request: the other one is served meanwhile.
        assert healthy.entered.wait(30), "the healthy endpoint waited for the hung one"
        assert not hung.gate.is_set()
        hung.gate.set()
        sender.join()
        assert [d.status for d in deliveries(platform.db)] == [DeliveryStatus.succeeded] * 2
