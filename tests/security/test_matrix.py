"""The authorization matrix: every route of the API and the web UI, called by every role.

The routes come from the app itself, so a new route that is not in ``MATRIX`` fails the
test (and one that is gone fails it too): who may call it has to be decided here. Each role
calls each route with real ids of a seeded world (tests/security/world.py): allowed gives
a 2xx, a 3xx or a 4xx about the input, never a 5xx; not allowed gives 401, 403 or 404 (the
web: a redirect to the sign-in page, or an error page). No body a role sees holds a marker
of what it may not see: a gold answer or explanation, another worker's answer, another
requester's project, or (for a worker outside a members-only project) its tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response

from crowdloop.accounts.models import User
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from tests.factories.accounts import PASSWORD
from tests.security import world as w
from tests.security.matrix_table import DENIED, HIDDEN, MATRIX, MAY_BE_GONE, ROLE_ORDER
from tests.web.conftest import Browser, csrf_of

JSONL = b'{"text": "imported"}\n'
NEW_PASSWORD = "a long enough password"


def app_routes(app: object) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves; a mount is ("MOUNT", path)."""
    found = set()
    for route in iter_route_contexts(app.routes):  # type: ignore[attr-defined]
        methods = route.methods or {"MOUNT"}
        found |= {(m, str(route.path)) for m in methods if m != "HEAD"}
    return found


@dataclass
class Call:
    method: str
    url: str
    json: object = None
    data: dict[str, str] | None = None
    files: dict[str, tuple[str, bytes]] | None = None


def _ids(world: w.World, method: str = "GET") -> dict[str, object]:
    return {
        "project_id": world.ids["project"],
        "task_id": world.ids["task"],
        "assignment_id": world.ids["lease"],
        "user_id": world.users["spare"],
        "worker_id": world.users["member"],
        "token_id": world.ids["spare_token"],
        # the API's DELETE removes an endpoint of its own; the page's delete the main one
        "webhook_id": world.ids["spare_webhook" if method == "DELETE" else "webhook"],
        "upload_id": world.ids["upload"],
        "event_id": 1,
        "delivery_id": 1,
        "handling_id": 1,
        "job_id": "no-such-job",
    }


def _api_body(method: str, path: str, world: w.World) -> Call:
    """A request that would do the route's work: a valid body, so that a refusal comes
    from the authorization check and not from input validation."""
    url = path.format(**_ids(world, method))
    bodies: dict[str, object] = {
        "/api/v1/auth/token": {"username": world.usernames["owner"], "password": PASSWORD},
        "/api/v1/users": {
            "username": "made-by-matrix",
            "password": "long enough pass",
            "role": "worker",
        },
        "/api/v1/users/{user_id}": {"skills": ["matrix"]},
        "/api/v1/projects": {"name": "new", "answer_schema": {"type": "text"}},
        "/api/v1/projects/{project_id}": {"priority": 3},
        "/api/v1/projects/{project_id}/tasks": {"data": {"text": "one more"}},
        "/api/v1/assignments/{assignment_id}/submit": {"answer": "submitted by the matrix"},
        "/api/v1/assignments/{assignment_id}/review": {"verdict": "accept"},
        "/api/v1/projects/{project_id}/ai": {},
        "/api/v1/projects/{project_id}/assign": {"dry_run": True},
        "/api/v1/projects/{project_id}/webhooks": {"url": "https://hooks.example.org/b"},
        "/api/v1/projects/{project_id}/webhooks/{webhook_id}": {"description": "changed"},
    }
    if path.endswith("/import"):
        return Call(method, url + "?format=jsonl", files={"file": ("t.jsonl", JSONL)})
    if path.endswith("/files"):
        return Call(method, url, files={"file": ("a.txt", b"text")})
    body = bodies.get(path, {}) if method in ("POST", "PUT", "PATCH") else None
    return Call(method, url, json=body)


def _web_call(method: str, path: str, world: w.World) -> Call:
    url = path.format(**_ids(world))
    forms: dict[str, dict[str, str]] = {
        "/login": {"username": world.usernames["owner"], "password": PASSWORD},
        "/work/assignments/{assignment_id}/submit": {"answer": "from the page"},
        "/console/projects/new": {"name": "page project", "task_type": "text"},
        "/console/preview": {"instructions": "# hi"},
        "/console/projects/{project_id}/workers/block": {"worker_id": str(world.users["member"])},
        "/console/projects/{project_id}/webhooks": {"url": "https://hooks.example.org/c"},
        "/admin/users": {"username": "page-made", "password": NEW_PASSWORD, "role": "worker"},
        "/account/tokens": {"name": "matrix"},
    }
    if path == "/console/projects/{project_id}/import":
        return Call(method, url, data={"format": "jsonl"}, files={"file": ("t.jsonl", JSONL)})
    if path == "/console/projects/{project_id}/events":
        url += "?limit=1"  # the live stream: end after its first panel
    if path == "/static":
        url = "/static/css/app.css"
    return Call(method, url, data=forms.get(path, {}) if method == "POST" else None)


class Roles:
    """One API header set and one web client per role."""

    def __init__(self, app_client: TestClient, world: w.World, browsers: dict[str, Browser]):
        self.http = app_client
        self.world = world
        self.browsers = browsers
        self.strangers = {
            "anonymous": TestClient(app_client.app),
            "bad_token": TestClient(app_client.app, cookies={cookies.COOKIE: "forged"}),
        }

    def api(self, role: str, call: Call) -> Response:
        token = self.world.tokens.get(role)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(
            call.method, call.url, headers=headers, json=call.json, files=call.files
        )

    def web(self, role: str, call: Call) -> Response:
        if call.url == "/login" and call.method == "POST":  # signs in: keep no cookie
            client = TestClient(self.http.app)
            form = {"csrf": csrf_of(client.get("/login").text), **(call.data or {})}
            return client.post(call.url, data=form, follow_redirects=False)
        if role in self.strangers:
            client = self.strangers[role]
            return client.request(
                call.method, call.url, data=call.data, files=call.files, follow_redirects=False
            )
        browser = self.browsers[role]
        if call.method == "GET":
            return browser.get(call.url, follow_redirects=False)  # type: ignore[no-any-return]
        found = browser.post(call.url, call.data, files=call.files)
        return found  # type: ignore[no-any-return]


def _refused(response: Response, route: tuple[str, str], *, allowed: bool, web: bool) -> bool:
    if response.status_code == 404 and allowed and route in MAY_BE_GONE:
        return False
    if response.status_code in DENIED:
        return True
    # the web's "sign in first" (a sign-out's own redirect is /login?bye=1)
    location = response.headers.get("location", "")
    return web and response.is_redirect and location.startswith("/login?next=")


def _problems(route: tuple[str, str], role: str, response: Response, *, web: bool) -> list[str]:
    method, path = route
    where = f"{method} {path} as {role}: {response.status_code}"
    problems = []
    allowed = role in MATRIX[route]
    if response.status_code >= 500:
        problems.append(f"{where} (server error)")
    elif allowed and _refused(response, route, allowed=allowed, web=web):
        problems.append(f"{where} (refused, but {role} may call it)")
    elif not allowed and not _refused(response, route, allowed=allowed, web=web):
        problems.append(f"{where} (allowed, but only {sorted(MATRIX[route])} may)")
    body = response.text
    problems += [f"{where} shows {marker}" for marker in HIDDEN[role] if marker in body]
    return problems


def _every_call(roles: Roles) -> Iterator[tuple[tuple[str, str], str, Response, bool]]:
    for route in MATRIX:
        method, path = route
        web = not path.startswith("/api/")
        for role in ROLE_ORDER:
            if web:
                yield route, role, roles.web(role, _web_call(method, path, roles.world)), True
            else:
                yield route, role, roles.api(role, _api_body(method, path, roles.world)), False


@pytest.fixture
def roles(app_client: TestClient, db: Database) -> Roles:
    world = w.seed(db)
    users: dict[str, User] = {}
    with unit_of_work(db) as session:
        for name, user_id in world.users.items():
            user = session.get(User, user_id)
            assert user is not None
            session.expunge(user)
            users[name] = user
    browsers = {name: Browser(app_client, user) for name, user in users.items()}
    return Roles(app_client, world, browsers)


def test_every_route_is_in_the_matrix(app_client: TestClient) -> None:
    served = app_routes(app_client.app)
    missing = sorted(served - set(MATRIX))
    gone = sorted(set(MATRIX) - served)
    assert not missing, f"new route(s) not in the matrix, decide who may call them: {missing}"
    assert not gone, f"route(s) in the matrix that the app no longer serves: {gone}"


def test_every_role_on_every_route(roles: Roles) -> None:
    problems: list[str] = []
    calls = 0
    for route, role, response, web in _every_call(roles):
        calls += 1
        problems += _problems(route, role, response, web=web)
    assert calls == len(MATRIX) * len(ROLE_ORDER)
    assert not problems, "\n".join(problems)


def test_the_markers_are_there_for_their_readers(roles: Roles) -> None:
    """The search is live: the owner sees gold, task data and both workers' answers, the
    other requester their own project (so a leak of any of them would be found)."""
    project = f"/api/v1/projects/{roles.world.ids['project']}"
    tasks = roles.api("owner", Call("GET", f"{project}/tasks?limit=1000")).text
    assert w.GOLD in tasks
    assert w.TASK_DATA in tasks
    task = roles.world.ids["task"]
    answered = [
        roles.api("owner", Call("GET", f"{project}/tasks/{t}/answers")).text
        for t in range(task, task + 3)
    ]
    assert any(w.ANSWER_A in a for a in answered)
    assert any(w.ANSWER_B in a for a in answered)
    assert w.OTHER_PROJECT in roles.api("other_requester", Call("GET", "/api/v1/projects")).text
