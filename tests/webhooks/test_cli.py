"""``crowdloop webhooks``: add, list, test, deliveries, redeliver, rotate-secret, remove."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from crowdloop.accounts.models import Role
from crowdloop.cli.main import app
from crowdloop.config import Settings
from crowdloop.events import service as events
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import delivery
from crowdloop.wiring import Platform
from tests.factories.accounts import make_user
from tests.factories.projects import make_project
from tests.webhooks.conftest import OPEN, Receiver

ALLOW = {"CROWDLOOP_OUTBOUND_ALLOW_PRIVATE": "1"}


class Cli:
    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        self.runner = CliRunner()

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return self.runner.invoke(app, ["--database-url", self.url, "webhooks", *args], env=env)

    def json(self, *args: str, env: dict[str, str] | None = None) -> Any:
        result = self.run(*args, env=env)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(settings: Settings) -> Cli:
    return Cli(settings)


@pytest.fixture
def project_id(db: Database) -> int:
    with unit_of_work(db) as session:
        return make_project(session, make_user(session, role=Role.requester)).id


def test_the_whole_round(cli: Cli, project_id: int, platform: Platform, receiver: Receiver) -> None:
    pid = str(project_id)
    added = cli.json(
        "add", pid, receiver.url, "-e", "webhook.test", "--description", "ci", env=ALLOW
    )
    assert added["secret"].startswith("whsec_")
    wid = str(added["id"])
    assert [e["id"] for e in cli.json("list", pid)] == [added["id"]]
    sent = cli.json("test", pid, wid)
    events.relay(platform.db, platform.bus)
    delivery.send_due(platform.db, outbound=OPEN, lease=timedelta(minutes=5))
    (log,) = cli.json("deliveries", pid, wid)
    assert (log["msg_id"], log["status"], log["log"][0]["status_code"]) == (
        sent["msg_id"],
        "succeeded",
        200,
    )
    again = cli.json("redeliver", pid, str(log["id"]))
    assert (again["status"], again["msg_id"]) == ("pending", sent["msg_id"])
    rotated = cli.json("rotate-secret", pid, wid)
    assert rotated["secret"] != added["secret"]
    removed = cli.run("remove", pid, wid)
    assert removed.exit_code == 0, removed.stderr
    assert cli.json("list", pid) == []


def test_a_private_url_is_refused_without_the_setting(cli: Cli, project_id: int) -> None:
    result = cli.run("add", str(project_id), "http://127.0.0.1:9/hook")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: url: 127.0.0.1 is a loopback address")
    assert cli.json("list", str(project_id)) == []


def test_an_unknown_webhook_is_an_error(cli: Cli, project_id: int) -> None:
    result = cli.run("test", str(project_id), "999")
    assert result.exit_code == 1
    assert "webhook 999 not found" in result.stderr
