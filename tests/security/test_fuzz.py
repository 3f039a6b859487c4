"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis).

Every operation of ``/api/v1/openapi.json`` gets schemathesis' generated requests: its
coverage phase (boundary values, wrong types, missing fields, unexpected methods) and a
bounded, deterministic fuzzing phase, in process against the ASGI app, on SQLite and on
PostgreSQL, each with one seeded world (tests/security/world.py) whose real ids are used
half of the time. Every answer must not be a server error and must match the document:
its status code, content type, headers and body schema (``ErrorBody`` for errors).

``positive_data_acceptance`` is off: rules that span fields (``max_answers >=
min_answers``) or need the world (a webhook URL that resolves) cannot be said in JSON
Schema, so a request the schema allows may rightly get a 422. ``negative_data_rejection``
is off: pydantic's lax mode takes 0/1 for booleans and false/true for numbers (the web
forms rely on it); out-of-range ids and amounts are refused (tests/security/test_ranges.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.types import ASGIApp, Receive, Scope, Send

from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.wiring import Platform, build
from tests.conftest import _truncate
from tests.security import world as w

MAX_EXAMPLES = 6
SEED = 11
# Ids the seeded world has (a fresh database numbers from 1); asserted when seeding.
WORLD_IDS = {"project": 1, "task": 1, "lease": 4, "webhook": 1, "upload": 1, "spare_token": 9}
SPARE_USER = 8
WORKER_PATHS = ("/api/v1/assignments", "/api/v1/me/quality")


class Forward:
    """The ASGI app schemathesis calls: the current backend's app, set by the fixture."""

    target: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.target is not None, "no backend app: the fuzz_app fixture sets one"
        await self.target(scope, receive, send)


def _document() -> dict[str, Any]:
    """The OpenAPI document (building it touches no database)."""
    app = create_app(Settings(env="test", database_url="sqlite:///unused.db", jobs_embedded=False))
    return app.openapi()


def _config() -> SchemathesisConfig:
    real = {
        "project_id": WORLD_IDS["project"],
        "task_id": WORLD_IDS["task"],
        "assignment_id": WORLD_IDS["lease"],
        "webhook_id": WORLD_IDS["webhook"],
        "upload_id": WORLD_IDS["upload"],
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # the token is ours (an admin's, or a worker's for the worker's operations)
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "with-security-parameters": False,
            },
            "checks": {
                "positive_data_acceptance": {"enabled": False},
                "negative_data_rejection": {"enabled": False},
            },
            "dictionaries": {name: {"values": [value]} for name, value in real.items()},
            "parameters": {
                **{f"path.{name}": {"dictionary": name, "probability": 0.5} for name in real},
                # the user and token that admin operations change, revoke and forget: never
                # the fuzzing admin's or worker's own (they would lock the rest out)
                "path.user_id": SPARE_USER,
                "path.token_id": WORLD_IDS["spare_token"],
            },
        }
    )


FORWARD = Forward()
schema = schemathesis.openapi.from_dict(_document(), config=_config())
schema.app = FORWARD


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzz_platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """One database per backend for the whole module (one seeding, not one per case)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database_url")
    config = Settings(env="test", database_url=url, jobs_embedded=False, refit_interval_seconds=0)
    platform = build(config)
    yield platform
    if request.param == "postgresql":
        _truncate(platform.db)
        platform.jobs.flush()
    platform.jobs.close()
    platform.db.dispose()


@pytest.fixture(scope="module")
def fuzz_world(fuzz_platform: Platform) -> w.World:
    world = w.seed(fuzz_platform.db)
    assert {name: world.ids[name] for name in WORLD_IDS} == WORLD_IDS
    assert world.users["spare"] == SPARE_USER
    FORWARD.target = create_app(fuzz_platform.settings, platform=fuzz_platform)
    return world


def _token(world: w.World, path: str) -> str:
    """A worker's token for the worker's operations, an admin's for the others."""
    worker = path.startswith(WORKER_PATHS) and not path.endswith("/review")
    return world.tokens["member" if worker or path.endswith("/next") else "admin"]


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api(case: schemathesis.Case, fuzz_world: w.World) -> None:
    token = _token(fuzz_world, case.path)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})


def test_the_document_declares_the_error_answers() -> None:
    """Every operation (but health) documents 401/403/404/422 with the ErrorBody schema."""
    document = _document()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if path.endswith("/health"):
                continue
            for status in ("401", "403", "404", "422"):
                answer = operation["responses"].get(status)
                assert answer is not None, f"{method.upper()} {path} does not document {status}"
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorBody"
