"""Fan-out: one delivery per wanting endpoint and event, however often the relay runs;
test events go to their endpoint only; the relay wakes the sender."""

from __future__ import annotations

from sqlalchemy import select

from crowdloop.events import service as events
from crowdloop.events.bus import Published
from crowdloop.events.models import Event
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import delivery, fanout
from crowdloop.webhooks.models import WebhookDelivery
from crowdloop.wiring import SEND_WEBHOOKS, Platform
from tests.helpers import project_body
from tests.webhooks.conftest import OPEN, Receiver, Setup, deliveries
from tests.webhooks.test_delivery import LEASE

SUBMITTED = ["answer.submitted"]


def published(db: Database, event_type: str) -> Published:
    with unit_of_work(db, write=False) as session:
        row = session.scalars(select(Event).where(Event.type == event_type)).one()
    return Published(
        row.id, row.uid, row.type, row.project_id, row.actor_id, row.payload, row.occurred_at
    )


class TestFanOut:
    def test_one_delivery_per_endpoint_and_event_however_often_relayed(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        endpoint = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        events.relay(platform.db, platform.bus)
        events.relay(platform.db, platform.bus)
        event = published(platform.db, "answer.submitted")
        with unit_of_work(platform.db) as session:
            assert fanout.fan_out(session, event) == 0  # a handling run again
        (row,) = deliveries(platform.db)
        assert (row.endpoint_id, row.event_id) == (endpoint["id"], event.id)
        assert row.msg_id == "msg_" + event.uid

    def test_only_active_endpoints_of_the_project_that_want_the_type(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        wanted = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.add_endpoint(receiver.url, event_types=["task.completed"])
        paused = setup.add_endpoint(receiver.url)
        path = f"/projects/{setup.project_id}/webhooks/{paused['id']}"
        setup.a.requester.request("PATCH", path, json={"active": False})
        other = setup.a.other_requester.create_project(project_body())
        setup.a.other_requester.request(
            "POST", f"/projects/{other['id']}/webhooks", json={"url": receiver.url}
        )
        setup.answer()
        events.relay(platform.db, platform.bus)
        assert [d.endpoint_id for d in deliveries(platform.db)] == [wanted["id"]]

    def test_no_types_means_every_type(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url)
        setup.answer()
        events.relay(platform.db, platform.bus)
        with unit_of_work(platform.db, write=False) as session:
            query = select(Event.type).join(WebhookDelivery, WebhookDelivery.event_id == Event.id)
            types = sorted(session.scalars(query))
        assert {"answer.submitted", "assignment.leased", "result.changed"} <= set(types)
        assert "tasks.created" not in types  # published before the endpoint existed

    def test_a_test_event_goes_to_its_endpoint_only(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url)
        target = setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        path = f"/projects/{setup.project_id}/webhooks/{target['id']}/test"
        sent = setup.a.requester.request("POST", path)
        events.relay(platform.db, platform.bus)
        (row,) = deliveries(platform.db)
        assert (row.endpoint_id, row.msg_id) == (target["id"], sent["msg_id"])
        delivery.send_due(platform.db, outbound=OPEN, lease=LEASE)
        (got,) = receiver.received
        assert got.headers["webhook-id"] == sent["msg_id"]
        assert b'"type":"webhook.test"' in got.body

    def test_the_relay_wakes_the_sender(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        setup.add_endpoint(receiver.url, event_types=SUBMITTED)
        setup.answer()
        platform.jobs.flush()
        platform.relay()
        queued = [t.name for t in platform.jobs.huey.pending()]
        assert queued.count(SEND_WEBHOOKS) == 1
        setup.answer(worker=1)
        platform.relay()  # more deliveries, but the sender is queued already
        assert [t.name for t in platform.jobs.huey.pending()].count(SEND_WEBHOOKS) == 1
