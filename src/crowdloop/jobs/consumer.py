"""Run huey's consumer: in its own process (`crowdloop worker`) or inside the server."""

from __future__ import annotations

import logging
from typing import Any

from huey.consumer import Consumer

log = logging.getLogger(__name__)
# An idle worker polls the SQLite queue at most this far apart (huey's default is 10 s);
# PostgreSQL and Redis queues wake a blocked worker at once.
MAX_POLL_SECONDS = 0.5


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer without process signal handlers, so that it can run as threads
    inside another program (uvicorn owns SIGINT/SIGTERM there)."""

    def _set_signal_handlers(self) -> None:
        return None


def consumer_options(workers: int) -> dict[str, Any]:
    return {
        "workers": workers,
        "worker_type": "thread",
        "periodic": True,
        "initial_delay": 0.05,
        "backoff": 1.5,
        "max_delay": MAX_POLL_SECONDS,
        "check_worker_health": True,
    }


def start_embedded(huey: Any, workers: int) -> EmbeddedConsumer:
    consumer = EmbeddedConsumer(huey, **consumer_options(workers))
    consumer.start()
    return consumer


def stop_embedded(consumer: EmbeddedConsumer) -> None:
    """Stop the threads after their current job; each closes its queue connections."""
    consumer.stop(graceful=True)


def run_standalone(huey: Any, workers: int) -> None:
    """Block running the consumer with its signal handling (SIGTERM: finish and stop)."""
    consumer = Consumer(huey, **consumer_options(workers))
    consumer.run()
