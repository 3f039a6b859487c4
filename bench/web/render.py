#!/usr/bin/env python3
"""Render time of the worker's task stream: keypress -> next task on screen.

    .venv/bin/python bench/web/render.py [--answers 200] [--warmup 10]

Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; no browser download)
signs in as a demo worker on a demo-like project (the demo's product reviews, single
choice, three labels, 10% check questions) served by a real uvicorn server over a
throwaway SQLite file. The worker presses "1" N times (one keystroke per answer). In the
page, a capturing keydown listener stamps ``performance.now()``; a MutationObserver on the
stream sees the next task's element arrive ("dom"), and a requestAnimationFrame callback
followed by a zero timeout marks the first frame after it ("frame", i.e. painted). The
figure includes the POST (answer + next task in one request), server work, HTML parsing
and layout. Prints p50 / p95 / max over the measured answers, and the load average.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright

from crowdloop.accounts import service as accounts
from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.demo import seed_demo
from crowdloop.demo.seed import INSTRUCTIONS, LABELS, demo_password, load_reviews
from crowdloop.projects import service as projects
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.storage import migrate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.wiring import Platform, build

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WORKER = "demo-worker1"
PROBE = """() => {
  window.__lat = [];
  const stream = document.getElementById("stream");
  let t0 = null;
  let last = stream.querySelector("#task").dataset.assignment;
  document.addEventListener("keydown", () => { t0 = performance.now(); }, true);
  new MutationObserver(() => {
    const task = stream.querySelector("#task");
    if (!task || t0 === null || task.dataset.assignment === last) return;
    last = task.dataset.assignment;
    const start = t0, dom = performance.now() - start;
    t0 = null;
    requestAnimationFrame(() => setTimeout(() => {
      window.__lat.push([dom, performance.now() - start]);
    }, 0));
  }).observe(stream, { childList: true });
}"""


def _project(db: Database, settings: Settings, n_tasks: int) -> int:
    """A copy of the demo project with enough tasks for every keypress (overlap 1)."""
    with unit_of_work(db) as session:
        seed_demo(session, settings)
        owner = accounts.get_user_by_username(session, "demo-requester")
        data = ProjectCreate(
            name="Render bench: product review sentiment",
            instructions=INSTRUCTIONS,
            answer_schema={"type": "single_choice", "labels": LABELS},
            overlap=1,
            reward_cents=2,
        )
        project = projects.create_project(session, owner, data, default_lease=600)
        rows = load_reviews()
        for i in range(n_tasks):
            row = rows[i % len(rows)]
            gold = row["label"] if row.get("control") else None
            item = TaskCreate(data={"text": row["text"], "product": row["product"]}, gold=gold)
            projects.create_task(session, project, item)
        return project.id


def _serve(settings: Settings, platform: Platform) -> tuple[uvicorn.Server, threading.Thread, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        create_app(settings, platform=platform), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _press(page: Page, n: int) -> list[tuple[float, float]]:
    page.evaluate(PROBE)
    for i in range(n):
        page.keyboard.press("1")
        page.wait_for_function("n => window.__lat.length > n", arg=i, timeout=10_000)
    found: list[list[float]] = page.evaluate("window.__lat")
    return [(dom, frame) for dom, frame in found]


def _run(base: str, project_id: int, n: int, warmup: int) -> list[tuple[float, float]]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
        page.goto(f"{base}/login")
        page.fill("#username", WORKER)
        page.fill("#password", demo_password(WORKER))
        with page.expect_navigation():
            page.press("#password", "Enter")
        page.goto(f"{base}/work/projects/{project_id}")
        page.wait_for_selector("#task")
        found = _press(page, warmup + n)[warmup:]
        browser.close()
    return found


def _summary(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{name:6s} p50 {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms"
        f"   max {ordered[-1]:6.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="dev", database_url=f"sqlite:///{tmp}/render.db")
        platform = build(settings)
        db = platform.db
        migrate.upgrade(db.engine)
        project_id = _project(db, settings, args.answers + args.warmup + 20)
        server, thread, base = _serve(settings, platform)
        try:
            found: Any = _run(base, project_id, args.answers, args.warmup)
        finally:
            server.should_exit = True
            thread.join(10)
            db.dispose()
    out = sys.stdout
    out.write(f"{len(found)} answers by keyboard ({args.warmup} warm-up answers not counted)\n")
    out.write(_summary("dom", [d for d, _ in found]) + "\n")
    out.write(_summary("frame", [f for _, f in found]) + "\n")
    out.write(f"loadavg {Path('/proc/loadavg').read_text().strip()}\n")


if __name__ == "__main__":
    main()
