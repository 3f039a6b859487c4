"""The API: endpoints CRUD with the secret shown on creation and rotation only, event-type
checks, the delivery log with its attempts, and who may do what."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from crowdloop.client import ApiError, Client
from crowdloop.events import service as events
from crowdloop.storage.engine import Database
from crowdloop.webhooks import delivery
from crowdloop.wiring import Platform
from tests.helpers import project_body
from tests.webhooks.conftest import OPEN, Receiver, Setup, deliveries
from tests.webhooks.test_urls import endpoint_count

LEASE = timedelta(minutes=5)


def base(setup: Setup) -> str:
    return f"/projects/{setup.project_id}/webhooks"


class TestEndpoints:
    def test_create_shows_the_secret_once(self, setup: Setup, receiver: Receiver) -> None:
        created = setup.add_endpoint(
            receiver.url, event_types=["task.completed", "answer.submitted"], description=" CI "
        )
        assert created["secret"].startswith("whsec_")
        assert created["event_types"] == ["answer.submitted", "task.completed"]
        assert (created["description"], created["active"]) == ("CI", True)
        listed = setup.a.requester.request("GET", base(setup))
        assert [e["id"] for e in listed] == [created["id"]]
        assert "secret" not in listed[0]
        assert "secret" not in setup.a.requester.request("GET", f"{base(setup)}/{created['id']}")

    def test_update_changes_only_the_given_fields(self, setup: Setup, receiver: Receiver) -> None:
        created = setup.add_endpoint(receiver.url, description="first")
        path = f"{base(setup)}/{created['id']}"
        updated = setup.a.requester.request(
            "PATCH", path, json={"event_types": ["webhook.test"], "active": False}
        )
        assert (updated["event_types"], updated["active"]) == (["webhook.test"], False)
        assert (updated["url"], updated["description"]) == (receiver.url, "first")

    def test_delete(self, setup: Setup, receiver: Receiver, db: Database) -> None:
        created = setup.add_endpoint(receiver.url)
        path = f"{base(setup)}/{created['id']}"
        assert setup.a.requester.request("DELETE", path) is None
        with pytest.raises(ApiError) as err:
            setup.a.requester.request("GET", path)
        assert err.value.status == 404
        assert endpoint_count(db) == 0

    def test_unknown_event_types_are_refused(
        self, setup: Setup, receiver: Receiver, db: Database
    ) -> None:
        with pytest.raises(ApiError) as err:
            setup.add_endpoint(receiver.url, event_types=["answer.submitted", "answer.eaten"])
        assert err.value.status == 422
        assert "unknown event type 'answer.eaten'" in str(err.value.detail)
        assert endpoint_count(db) == 0

    def test_rotating_the_secret_signs_the_next_attempts_with_the_new_one(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        created = setup.add_endpoint(receiver.url, event_types=["answer.submitted"])
        rotated = setup.a.requester.request("POST", f"{base(setup)}/{created['id']}/rotate-secret")
        assert rotated["secret"].startswith("whsec_")
        assert rotated["secret"] != created["secret"]
        setup.answer()
        events.relay(platform.db, platform.bus)
        delivery.send_due(platform.db, outbound=OPEN, lease=LEASE)
        (got,) = receiver.received
        Webhook(rotated["secret"]).verify(got.body, got.headers)


class TestDeliveryLog:
    def test_the_log_shows_each_attempt_and_its_status_code(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        created = setup.add_endpoint(receiver.url, event_types=["answer.submitted"])
        setup.answer()
        events.relay(platform.db, platform.bus)
        receiver.status = 502
        delivery.send_due(platform.db, outbound=OPEN, lease=LEASE)
        (log,) = setup.a.requester.request("GET", f"{base(setup)}/{created['id']}/deliveries")
        assert (log["event_type"], log["status"], log["attempts"]) == (
            "answer.submitted",
            "pending",
            1,
        )
        assert log["last_status_code"] == 502
        (tried,) = log["log"]
        assert (tried["status_code"], tried["error"]) == (502, "HTTP 502")
        assert tried["response_excerpt"] == "received"
        assert tried["duration_ms"] >= 0

    def test_a_paused_endpoint_is_not_redelivered(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        created = setup.add_endpoint(receiver.url, event_types=["answer.submitted"])
        setup.answer()
        events.relay(platform.db, platform.bus)
        (row,) = deliveries(platform.db)
        path = f"{base(setup)}/{created['id']}"
        setup.a.requester.request("PATCH", path, json={"active": False})
        assert delivery.send_due(platform.db, outbound=OPEN, lease=LEASE).sent == 0
        with pytest.raises(ApiError) as err:
            setup.a.requester.request("POST", f"{base(setup)}/deliveries/{row.id}/redeliver")
        assert err.value.status == 409
        with pytest.raises(ApiError) as err:
            setup.a.requester.request("POST", f"{path}/test")
        assert err.value.status == 409


class TestAccess:
    @pytest.fixture
    def registered(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> tuple[dict[str, Any], int]:
        created = setup.add_endpoint(receiver.url, event_types=["answer.submitted"])
        setup.answer()
        events.relay(platform.db, platform.bus)
        (row,) = deliveries(platform.db)
        return created, row.id

    @pytest.mark.parametrize("who", ["worker", "other_requester"])
    def test_others_cannot_see_or_touch_the_webhooks(
        self, setup: Setup, registered: tuple[dict[str, Any], int], who: str
    ) -> None:
        created, delivery_id = registered
        pick: Callable[[Setup], Client] = (
            (lambda s: s.a.workers[0]) if who == "worker" else (lambda s: s.a.other_requester)
        )
        client = pick(setup)
        path = f"{base(setup)}/{created['id']}"
        calls = [
            ("GET", base(setup), None),
            ("POST", base(setup), {"url": "https://93.184.215.14/"}),
            ("GET", path, None),
            ("PATCH", path, {"active": False}),
            ("DELETE", path, None),
            ("POST", f"{path}/rotate-secret", None),
            ("GET", f"{path}/deliveries", None),
            ("POST", f"{path}/test", None),
            ("POST", f"{base(setup)}/deliveries/{delivery_id}/redeliver", None),
        ]
        for method, url, body in calls:
            with pytest.raises(ApiError) as err:
                client.request(method, url, json=body)
            assert err.value.status in (403, 404), (method, url)

    def test_another_projects_delivery_is_not_found_through_mine(
        self, setup: Setup, registered: tuple[dict[str, Any], int]
    ) -> None:
        created, delivery_id = registered
        mine = setup.a.other_requester.create_project(project_body())
        other_base = f"/projects/{mine['id']}/webhooks"
        for method, url in [
            ("POST", f"{other_base}/deliveries/{delivery_id}/redeliver"),
            ("GET", f"{other_base}/{created['id']}/deliveries"),
            ("POST", f"{other_base}/{created['id']}/test"),
        ]:
            with pytest.raises(ApiError) as err:
                setup.a.other_requester.request(method, url)
            assert err.value.status == 404

    def test_an_admin_manages_any_project(self, setup: Setup, receiver: Receiver) -> None:
        setup.add_endpoint(receiver.url)
        assert len(setup.a.admin.request("GET", base(setup))) == 1
