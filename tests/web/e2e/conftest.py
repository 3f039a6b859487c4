"""End-to-end fixtures: a real uvicorn server on a free port and headless Chromium.

Chromium is Debian's ``chromium`` package (/usr/bin/chromium) driven by Playwright for
Python; Playwright's own browser download is never used. Without them the tests skip with
the reason, except under CI (env var ``CI`` set), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database, make_engine
from crowdloop.wiring import build

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


@dataclass
class LiveServer:
    url: str
    db: Database
    settings: Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """crowdloop on uvicorn in a background thread, over a fresh migrated SQLite file."""
    path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    settings = Settings(
        env="test",
        database_url=f"sqlite:///{path}",
        refit_interval_seconds=0,
        ai_interval_seconds=0,
        jobs_embedded=False,
    )
    platform = build(settings)
    db = platform.db
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, platform=platform),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the e2e server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", db, settings)
    server.should_exit = True
    thread.join(10)
    db.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        _missing("/usr/bin/chromium is missing: apt-get install -y chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed: pip install playwright (no browser download)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()
