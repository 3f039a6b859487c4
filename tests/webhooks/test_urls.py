"""Server-side request forgery: only http(s) URLs to public addresses, unless the setting
allows private ones; every refusal is a 422 with a reason, and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crowdloop.client import ApiError
from crowdloop.config import Settings
from crowdloop.errors import InvalidInput
from crowdloop.events import service as events
from crowdloop.outbound import OutboundPolicy
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import delivery
from crowdloop.webhooks.models import WebhookEndpoint
from crowdloop.wiring import Platform
from tests.webhooks.conftest import OPEN, Receiver, Setup, attempts, deliveries

REFUSED = [
    ("ftp://example.com/hook", "must start with http:// or https://"),
    ("http:///hook", "names no host"),
    ("https://", "names no host"),
    ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
    ("http://10.0.0.1/hook", "10.0.0.1 is a private address"),
    ("http://192.168.1.20/hook", "is a private address"),
    ("http://169.254.169.254/latest/meta-data", "169.254.169.254 is a link-local address"),
    ("http://[::1]:9000/hook", "::1 is a loopback address"),
    ("http://0.0.0.0/hook", "is an unspecified address"),
    ("http://224.0.0.1/hook", "is a multicast address"),
    ("http://[::ffff:127.0.0.1]/hook", "is a loopback address"),
    ("http://localhost:8000/hook", "localhost (127.0.0.1) is a loopback address"),
]


def endpoint_count(db: Database) -> int:
    with unit_of_work(db, write=False) as session:
        return int(session.scalar(select(func.count()).select_from(WebhookEndpoint)) or 0)


STRICT = OutboundPolicy()


class TestCheckUrl:
    @pytest.mark.parametrize(("url", "reason"), REFUSED)
    def test_refused(self, url: str, reason: str) -> None:
        with pytest.raises(InvalidInput, match=r"^url: ") as err:
            STRICT.check(url)
        assert reason in err.value.detail

    def test_a_private_address_names_the_setting(self) -> None:
        with pytest.raises(InvalidInput, match="CROWDLOOP_OUTBOUND_ALLOW_PRIVATE"):
            STRICT.check("http://10.1.2.3/")

    def test_a_public_address_is_accepted(self) -> None:
        assert STRICT.check(" https://93.184.215.14/hook ") == "https://93.184.215.14/hook"

    def test_the_setting_allows_private_addresses_but_not_other_schemes(self) -> None:
        assert OPEN.check("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"
        with pytest.raises(InvalidInput, match="http:// or https://"):
            OPEN.check("file:///etc/passwd")


class TestAllowList:
    """With an allow-list, only the hosts it names are called, private ones included."""

    LISTED = OutboundPolicy.parse("hooks.internal, *.corp.example, 10.0.0.0/8, 127.0.0.1")

    @pytest.mark.parametrize(
        "url",
        [
            "http://hooks.internal/x",  # a name is trusted as named, without resolving it
            "https://HOOKS.internal./x",
            "http://a.corp.example/x",
            "http://deep.a.corp.example:8443/x",
            "http://10.2.3.4/",
            "http://127.0.0.1:9/model",
        ],
    )
    def test_listed_hosts_are_called(self, url: str) -> None:
        assert self.LISTED.check(url) == url

    @pytest.mark.parametrize(
        "url",
        [
            "http://93.184.215.14/",  # public, but not listed
            "http://127.0.0.2/",
            "http://192.168.1.1/",
            "http://corp.example/",  # *.corp.example is its subdomains only
            "http://evilcorp.example/",
            "http://hooks.internal.evil.example/",
        ],
    )
    def test_everything_else_is_refused(self, url: str) -> None:
        with pytest.raises(InvalidInput, match=r"not in the operator's allow-list|cannot resolve"):
            self.LISTED.check(url)

    def test_other_schemes_stay_refused(self) -> None:
        with pytest.raises(InvalidInput, match="http:// or https://"):
            self.LISTED.check("gopher://hooks.internal/x")

    @pytest.mark.parametrize("entry", ["10.0.0.0/33", "a b", "user@host", "*."])
    def test_a_malformed_entry_stops_the_settings(self, entry: str) -> None:
        with pytest.raises(ValueError, match="allow-list"):
            Settings(outbound_allowlist=entry)

    def test_settings_pass_the_list_down(self) -> None:
        policy = Settings(outbound_allowlist="hooks.internal", outbound_allow_private=True).outbound
        assert policy.names == ("hooks.internal",)
        assert policy.allow_private


class TestApiRefusals:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(update={"outbound_allow_private": False})

    @pytest.mark.parametrize(("url", "reason"), REFUSED)
    def test_refused_with_422_and_nothing_written(
        self, setup: Setup, db: Database, url: str, reason: str
    ) -> None:
        with pytest.raises(ApiError) as err:
            setup.add_endpoint(url)
        assert (err.value.status, err.value.error) == (422, "InvalidInput")
        assert reason in str(err.value.detail)
        assert endpoint_count(db) == 0

    def test_an_update_to_a_private_url_changes_nothing(self, setup: Setup) -> None:
        created = setup.add_endpoint("https://93.184.215.14/hook")
        path = f"/projects/{setup.project_id}/webhooks/{created['id']}"
        with pytest.raises(ApiError) as err:
            setup.a.requester.request("PATCH", path, json={"url": "http://10.0.0.1/"})
        assert err.value.status == 422
        assert setup.a.requester.request("GET", path)["url"] == "https://93.184.215.14/hook"


class TestSendTimeCheck:
    def test_a_url_that_became_private_is_refused_when_sending(
        self, setup: Setup, platform: Platform, receiver: Receiver
    ) -> None:
        """Registered while allowed (or the name resolved elsewhere then): the sender checks
        again before each attempt and never connects."""
        setup.add_endpoint(receiver.url, event_types=["answer.submitted"])
        setup.answer()
        events.relay(platform.db, platform.bus)
        lease = timedelta(minutes=5)
        report = delivery.send_due(platform.db, outbound=OutboundPolicy(), lease=lease)
        assert report.retrying == 1
        assert receiver.received == []
        (row,) = deliveries(platform.db)
        (logged,) = attempts(platform.db, row.id)
        assert logged.error is not None
        assert logged.error.startswith("refused: url: 127.0.0.1 is a loopback address")
