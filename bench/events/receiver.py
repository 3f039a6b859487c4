"""A local webhook receiver for the events benchmarks: records every POST, answers 204.

Runs as a thread of the benchmark (``Receiver().start()``). Each delivery is kept as
(``webhook-id`` header, event type, ``data.assignment_id``, ``time.monotonic()`` on
arrival); CLOCK_MONOTONIC is one clock for every process of the machine, so arrival times
compare with the drivers' acknowledgement times.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    msg_id: str
    type: str
    assignment_id: int | None
    event_id: int | None
    at: float


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                at = time.monotonic()
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                try:
                    doc: dict[str, Any] = json.loads(body)
                except ValueError:
                    doc = {}
                data = doc.get("data") or {}
                delivery = Delivery(
                    self.headers.get("webhook-id", ""),
                    str(doc.get("type")),
                    data.get("assignment_id"),
                    data.get("event_id"),
                    at,
                )
                with receiver.lock:
                    receiver.deliveries.append(delivery)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def duplicates(self) -> dict[str, int]:
        """webhook-ids received more than once, and ids whose repeats disagree on the event."""
        got = self.snapshot()
        counts = Counter(d.msg_id for d in got)
        events_of: dict[str, set[int | None]] = {}
        for d in got:
            events_of.setdefault(d.msg_id, set()).add(d.event_id)
        return {
            "deliveries": len(got),
            "distinct_webhook_ids": len(counts),
            "webhook_ids_received_twice_or_more": sum(1 for v in counts.values() if v > 1),
            "extra_copies": sum(v - 1 for v in counts.values() if v > 1),
            "same_id_different_event": sum(1 for v in events_of.values() if len(v) > 1),
        }
