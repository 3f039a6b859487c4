"""Coalesced wake-ups: many commits, one enqueue.

Every commit that publishes wants the relay job to run. Enqueueing from the request thread
costs a queue write per commit (on SQLite an fsync'd transaction on the queue file, inside
the commit). A ``Waker`` takes the poke (setting an event: microseconds) and a daemon
thread does the enqueue; pokes that arrive while it works fold into one more run. Nothing
is lost if the process dies before the enqueue: the event rows are committed and the
per-minute sweep relays them.

After each run the thread waits ``gap`` seconds before the next: under load the pokes of
that gap fold into one run (at 500 commits/s, 20 relays/s instead of hundreds), at the cost
of at most ``gap`` more latency for a webhook or a live page (issue 12).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Waker:
    def __init__(self, action: Callable[[], object], *, name: str, gap: float = 0.05) -> None:
        self._action = action
        self._name = name
        self._gap = gap
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Ask for one run of the action soon (never blocks, never raises)."""
        self._idle.clear()
        self._wanted.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every poke so far has been acted on (a CLI command before it exits)."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            if not self._wanted.wait(timeout=60):
                return  # idle for a minute: the next poke starts a new thread
            self._wanted.clear()
            try:
                self._action()
            except Exception:  # the sweep relays what this wake-up missed
                log.exception("%s failed", self._name)
            if self._gap:
                time.sleep(self._gap)
            if not self._wanted.is_set():
                self._idle.set()
