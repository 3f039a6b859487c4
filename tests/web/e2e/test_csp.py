"""In Chromium, under the real Content-Security-Policy: every main page loads its scripts
and styles with no violation reported, and signing out really signs out."""

from __future__ import annotations

from typing import Any

from crowdloop.accounts.models import Role
from tests.web.e2e.conftest import LiveServer
from tests.web.e2e.test_browser import _project, _sign_in, _user

SCHEMA = {"type": "single_choice", "labels": ["x", "y"]}


def _violations(page: Any) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: found.append(str(exc)))
    return found


def test_the_pages_run_under_the_policy(page: Any, live_server: LiveServer) -> None:
    seen = _violations(page)
    owner = _user(live_server, Role.requester)
    project = _project(live_server, owner, SCHEMA, 2)
    _sign_in(page, live_server, owner)
    for path in (
        "/console",
        "/console/projects/new",
        f"/console/projects/{project.id}/import",
        f"/console/projects/{project.id}/workers",
        f"/console/projects/{project.id}/results",
        f"/console/projects/{project.id}",  # the dashboard: its script must run
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_function("() => /live updates on/.test(document.body.innerText)")
    assert seen == []


def test_signing_out_ends_the_session(page: Any, live_server: LiveServer) -> None:
    admin = _user(live_server, Role.admin)
    _sign_in(page, live_server, admin)
    page.goto(f"{live_server.url}/admin/audit")
    assert "login.succeeded" in page.inner_text("#audit")
    cookie = next(c for c in page.context.cookies() if c["name"] == "crowdloop_session")
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    with page.expect_navigation():
        page.click("form.signout button")
    assert "You are signed out" in page.inner_text("main")
    page.context.add_cookies([cookie])  # the old cookie, put back: it opens nothing
    page.goto(f"{live_server.url}/admin/audit")
    assert "/login" in page.url
