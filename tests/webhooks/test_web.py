"""The Webhooks tab: list and add form, the secret shown once, the delivery log with its
status codes, redelivery, and who may see it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import delivery, service
from crowdloop.webhooks.models import DeliveryStatus
from crowdloop.webhooks.schemas import EndpointRead
from crowdloop.wiring import Platform
from tests.factories.accounts import make_user
from tests.factories.projects import make_project
from tests.web.conftest import Browser
from tests.webhooks.conftest import OPEN, Receiver, deliveries
from tests.webhooks.test_urls import endpoint_count


def browser(app_client: TestClient, settings: Settings, db: Database, role: Role) -> Browser:
    with unit_of_work(db) as session:
        user = make_user(session, role=role)
        session.expunge(user)
    return Browser(app_client, user)


@pytest.fixture
def owner(app_client: TestClient, settings: Settings, db: Database) -> Browser:
    return browser(app_client, settings, db, Role.requester)


@pytest.fixture
def project_id(owner: Browser, db: Database) -> int:
    with unit_of_work(db) as session:
        return make_project(session, owner.user).id


def test_the_tab_lists_endpoints_and_offers_the_form(owner: Browser, project_id: int) -> None:
    page = owner.get(f"/console/projects/{project_id}/webhooks")
    assert page.status_code == 200
    assert f'href="/console/projects/{project_id}/webhooks" aria-current="page"' in page.text
    assert 'id="no-endpoints"' in page.text
    assert 'value="answer.submitted"' in page.text


def test_adding_shows_the_secret_once(owner: Browser, project_id: int, receiver: Receiver) -> None:
    base = f"/console/projects/{project_id}/webhooks"
    added = owner.post(base, {"url": receiver.url, "event_types": ["answer.submitted"]})
    assert added.status_code == 200
    assert 'id="secret-value">whsec_' in added.text
    listing = owner.get(base)
    assert receiver.url in listing.text
    assert "whsec_" not in listing.text


def test_a_refused_url_is_shown_at_its_field_and_nothing_is_saved(
    owner: Browser, project_id: int, db: Database
) -> None:
    page = owner.post(f"/console/projects/{project_id}/webhooks", {"url": "ftp://example.com/"})
    assert page.status_code == 422
    assert 'id="url-error">must start with http:// or https://' in page.text
    assert 'value="ftp://example.com/"' in page.text
    assert endpoint_count(db) == 0


def test_the_log_shows_status_codes_and_redelivers(
    owner: Browser, project_id: int, platform: Platform, receiver: Receiver
) -> None:
    base = f"/console/projects/{project_id}/webhooks"
    owner.post(base, {"url": receiver.url})
    (endpoint_id,) = [e.id for e in _endpoints(platform, project_id)]
    tested = owner.post(f"{base}/{endpoint_id}/test")
    assert tested.status_code == 303
    events.relay(platform.db, platform.bus)
    receiver.status = 500
    delivery.send_due(platform.db, outbound=OPEN, lease=timedelta(minutes=5))
    page = owner.get(tested.headers["location"])
    assert "<code>webhook.test</code>" in page.text
    assert "<strong>500</strong>" in page.text
    (row,) = deliveries(platform.db)
    assert f'id="redeliver-{row.id}"' in page.text
    redone = owner.post(f"{base}/deliveries/{row.id}/redeliver")
    assert redone.status_code == 303
    assert redone.headers["location"].endswith(f"/webhooks/{endpoint_id}?redelivered={row.id}")
    (row,) = deliveries(platform.db)
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 0)


def test_another_requester_gets_not_found(
    app_client: TestClient, settings: Settings, db: Database, project_id: int
) -> None:
    other = browser(app_client, settings, db, Role.requester)
    assert other.get(f"/console/projects/{project_id}/webhooks").status_code == 404
    posted = other.post(f"/console/projects/{project_id}/webhooks", {"url": "https://x.org/"})
    assert posted.status_code == 404


def _endpoints(platform: Platform, project_id: int) -> list[EndpointRead]:
    with unit_of_work(platform.db, write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        return list(service.list_endpoints(session, project))
