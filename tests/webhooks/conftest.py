"""Webhook test fixtures: a real HTTP receiver on 127.0.0.1, settings that allow it, and a
project with an endpoint registered through the API."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from crowdloop.client import Client
from crowdloop.config import Settings
from crowdloop.outbound import OutboundPolicy
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from tests.helpers import Actors, actors, project_body

# Tests call receivers on 127.0.0.1: the policy an operator sets with ALLOW_PRIVATE.
OPEN = OutboundPolicy(allow_private=True)


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every POST and answers ``status``; with ``gate`` set it holds each request
    until the gate opens (a slow or hung endpoint)."""

    url: str = ""
    status: int = 200
    received: list[Received] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)
    gate: threading.Event | None = None

    def take(self, path: str, headers: dict[str, str], body: bytes) -> int:
        self.received.append(Received(path, headers, body))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(60)
        return self.status


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = self.server.receiver.take(self.path, headers, body)
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", "8")
        self.end_headers()
        self.wfile.write(b"received")

    def log_message(self, *args: Any) -> None:
        del args  # quiet: the tests read what was received


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, receiver: Receiver) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.receiver = receiver


@pytest.fixture
def make_receiver() -> Iterator[Callable[[], Receiver]]:
    """Receivers on 127.0.0.1, each on a port of its own, shut down after the test."""
    running: list[tuple[Receiver, _Server, threading.Thread]] = []

    def make() -> Receiver:
        found = Receiver()
        server = _Server(found)
        found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        running.append((found, server, thread))
        return found

    yield make
    for found, server, thread in running:
        if found.gate is not None:
            found.gate.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver(make_receiver: Callable[[], Receiver]) -> Receiver:
    return make_receiver()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The receiver listens on 127.0.0.1: allow private addresses (refusals are tested
    with the setting off in test_urls.py)."""
    return settings.model_copy(update={"outbound_allow_private": True})


@dataclass
class Setup:
    a: Actors
    project_id: int
    task_ids: list[int]

    def add_endpoint(self, url: str, **fields: Any) -> dict[str, Any]:
        path = f"/projects/{self.project_id}/webhooks"
        return dict(self.a.requester.request("POST", path, json={"url": url, **fields}))

    def answer(self, worker: int = 0, label: str = "cat") -> dict[str, Any]:
        """One worker takes the next task and answers it, through the API."""
        client: Client = self.a.workers[worker]
        job = client.next_task(self.project_id)
        return client.submit(job["id"], label)


@pytest.fixture
def setup(app_client: TestClient, db: Database) -> Setup:
    a = actors(app_client, db, n_workers=2)
    project = a.requester.create_project(project_body(overlap=2))
    tasks = [a.requester.create_task(project["id"], {"data": {"n": i}}) for i in range(3)]
    return Setup(a, project["id"], [t["id"] for t in tasks])


def deliveries(db: Database) -> list[WebhookDelivery]:
    with unit_of_work(db, write=False) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def attempts(db: Database, delivery_id: int) -> list[WebhookAttempt]:
    with unit_of_work(db, write=False) as session:
        query = select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
        return list(session.scalars(query.order_by(WebhookAttempt.id)))


def closed_port_url() -> str:
    """A URL nothing listens on (the port was free a moment ago): connection refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def make_due(db: Database) -> None:
    """Time passes: every pending delivery's next attempt is now."""
    with unit_of_work(db) as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.pending)
            .values(next_attempt_at=utcnow())
        )
