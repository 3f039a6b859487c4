"""Web test helpers: users and projects made through the services, signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role, User
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from tests.factories.accounts import make_user, make_web_session
from tests.factories.projects import make_project, make_tasks

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ASSIGNMENT = re.compile(r'data-assignment="(\d+)"')
FETCH = {"X-Requested-With": "fetch"}


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def assignment_of(html: str) -> int:
    found = ASSIGNMENT.search(html)
    assert found, "no task on the page"
    return int(found.group(1))


class Browser:
    """A TestClient signed in as one user (a server-side session made directly: no argon2
    per test)."""

    def __init__(self, app_client: TestClient, user: User) -> None:
        self.http = TestClient(app_client.app)
        self.user = user
        with unit_of_work(app_client.app.state.db) as session:  # type: ignore[attr-defined]
            self.session_token = make_web_session(session, user)
        self.http.cookies.set(cookies.COOKIE, self.session_token, domain="testserver.local")
        self.csrf = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.http.get(path, **kwargs)
        found = CSRF.search(response.text)
        if found:
            self.csrf = found.group(1)
        return response

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        if not self.csrf:
            self.get("/account/tokens")
        body = {"csrf": self.csrf, **(data or {})}
        return self.http.post(path, data=body, follow_redirects=False, **kwargs)


@pytest.fixture
def make_browser(app_client: TestClient, db: Database) -> Callable[..., Browser]:
    def make(role: Role = Role.worker, **user_fields: Any) -> Browser:
        with unit_of_work(db) as session:
            user = make_user(session, role=role, **user_fields)
            session.expunge(user)
        return Browser(app_client, user)

    return make


@pytest.fixture
def project_of(db: Database) -> Callable[..., Project]:
    def make(
        owner: User, n_tasks: int = 3, tasks: list[dict[str, Any]] | None = None, **fields: Any
    ) -> Project:
        with unit_of_work(db) as session:
            project = make_project(session, owner, **fields)
            make_tasks(session, project, n_tasks)
            for extra in tasks or []:
                make_tasks(session, project, 1, **extra)
            session.expunge(project)
        return project

    return make
