"""Shared test helpers: seed users through the services, talk to the API through the client."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role
from crowdloop.client import Client
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import make_token, make_user


@dataclass
class Actors:
    admin: Client
    requester: Client
    other_requester: Client
    workers: list[Client]


def client_for(
    http: TestClient, db: Database, role: Role, *, skills: list[str] | None = None
) -> Client:
    with unit_of_work(db) as session:
        user = make_user(session, role=role, skills=skills)
        token = make_token(session, user)
    return Client(token=token, http=http)


def actors(http: TestClient, db: Database, *, n_workers: int = 3) -> Actors:
    return Actors(
        admin=client_for(http, db, Role.admin),
        requester=client_for(http, db, Role.requester),
        other_requester=client_for(http, db, Role.requester),
        workers=[client_for(http, db, Role.worker) for _ in range(n_workers)],
    )


SINGLE = {"type": "single_choice", "labels": ["cat", "dog", "bird"]}


def project_body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"name": "Animals", "answer_schema": SINGLE, "overlap": 2}
    body.update(overrides)
    return body
