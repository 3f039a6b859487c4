#!/usr/bin/env python3
"""Regenerate docs/img/*.png: the main web pages, with the demo data, in headless Chromium.

    .venv/bin/python scripts/screenshots.py [--out docs/img]

Needs Debian's chromium (/usr/bin/chromium) and `pip install playwright` (no browser
download). Works on a throwaway SQLite file: the demo is seeded, a little history of
answers is added over the last hour (so the throughput chart has a shape), and a real
uvicorn server is started on a free port.
"""

from __future__ import annotations

import argparse
import random
import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright

from crowdloop.accounts import service as accounts
from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.demo import seed_demo
from crowdloop.demo.seed import LABELS, demo_password
from crowdloop.errors import NoTaskAvailable
from crowdloop.projects import access
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform, build
from crowdloop.work import service as work

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _history(db: Database, project_id: int, n_answers: int = 90) -> None:
    """Demo workers answer more tasks, spread over the last 50 minutes."""
    rng = random.Random(7)
    start = utcnow() - timedelta(minutes=50)
    with unit_of_work(db) as session:
        project = access.load(session, project_id)
        workers = [accounts.get_user_by_username(session, f"demo-worker{i}") for i in (2, 3, 4)]
        for i in range(n_answers):
            when = start + timedelta(seconds=i * 50 * 60 / n_answers + rng.uniform(0, 40))
            worker = workers[i % len(workers)]
            try:
                job = work.next_assignment(session, worker, project, now=when)
            except NoTaskAvailable:
                break
            done = when + timedelta(seconds=rng.uniform(4, 25))
            work.submit(session, worker, job.id, rng.choice(LABELS), now=done)


def _serve(settings: Settings, platform: Platform) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
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
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", demo_password(username))
    with page.expect_navigation():
        page.press("#password", "Enter")


def _shoot(page: Page, out: Path, name: str, *, full_page: bool = False) -> None:
    path = out / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    sys.stdout.write(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\n")


def _pages(browser: Any, base: str, project_id: int, out: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
    page = context.new_page()
    _sign_in(page, base, "demo-worker1")
    _shoot(page, out, "worker-home")
    page.goto(f"{base}/work/projects/{project_id}")
    page.wait_for_selector("#task")
    _shoot(page, out, "worker-task")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 860}, device_scale_factor=1)
    page = context.new_page()
    _sign_in(page, base, "demo-requester")
    _shoot(page, out, "console")
    page.goto(f"{base}/console/projects/{project_id}")
    page.wait_for_selector("#stats svg")
    _shoot(page, out, "dashboard")
    page.goto(f"{base}/console/projects/{project_id}/results?max_confidence=0.8")
    _shoot(page, out, "results")
    page.goto(f"{base}/console/projects/{project_id}/workers")
    page.select_option("#worker_id", label="demo-worker4")  # block one by hand, on screen
    page.fill("#reason", "Agreement under 50% on the last 20 answers")
    page.fill("#hours", "24")
    page.click("#block-form button[type=submit]")
    page.wait_for_selector("#done")
    _shoot(page, out, "workers", full_page=True)
    page.goto(f"{base}/console/projects/new")
    page.fill("#name", "Tweet sentiment")
    page.fill("#labels", "positive\nnegative\nneutral")
    page.fill("#instructions", "# Tweet sentiment\n\nPick the **mood** of the tweet.")
    page.wait_for_selector("#preview h1")
    _shoot(page, out, "new-project")
    _engines(page, base, project_id, out)
    context.close()


def _engines(page: Page, base: str, project_id: int, out: Path) -> None:
    """The AI tab after "Train now" and the allocation tab with a planned push."""
    page.goto(f"{base}/console/projects/{project_id}/ai")
    page.check("#enabled")
    page.click("#ai-form button[type=submit]")
    page.wait_for_selector("#saved")
    page.click("#train")
    page.wait_for_selector("#trained, #train-error")
    _shoot(page, out, "ai", full_page=True)
    page.goto(f"{base}/console/projects/{project_id}/allocation")
    page.fill("#capacity", "3")
    page.click("#plan")
    page.wait_for_selector("#plan-result, #form-error")
    _shoot(page, out, "allocation", full_page=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env="dev",
            database_url=f"sqlite:///{tmp}/shots.db",
            refit_interval_seconds=0,
            ai_interval_seconds=0,
        )
        platform = build(settings)
        db = platform.db
        migrate.upgrade(db.engine)
        with unit_of_work(db) as session:
            demo = seed_demo(session, settings)
        _history(db, demo.project_id)
        server, thread, base = _serve(settings, platform)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                _pages(browser, base, demo.project_id, out)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
            db.dispose()


if __name__ == "__main__":
    main()
