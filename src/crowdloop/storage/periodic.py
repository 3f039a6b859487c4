"""A background job of a server process: call a function every ``interval`` seconds.

The jobs themselves (truth re-inference, AI training) are plain functions of a
``Database``; each takes its own units of work and is safe to run in several processes
(advisory locks on PostgreSQL). This only owns the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from crowdloop.errors import CrowdloopError
from crowdloop.storage.engine import Database

log = logging.getLogger(__name__)


class PeriodicJob:
    """A daemon thread that calls ``job(db)`` every ``interval`` seconds until stopped."""

    def __init__(
        self, db: Database, interval: float, job: Callable[[Database], object], *, name: str
    ) -> None:
        self.db, self.interval, self.job, self.name = db, interval, job, name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"crowdloop-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.job(self.db)
            except CrowdloopError as exc:  # data the job cannot take: try again next tick
                log.warning("%s skipped: %s", self.name, exc.detail)
