"""The Label Studio-compatible HTTP model server backend, against a tiny local server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np
import pytest

from crowdloop.ai.backends.http import HttpPrelabeler, ServerStatus
from crowdloop.ai.protocols import Prelabeler, has_prediction
from crowdloop.ai.status import HealthCache

LABELS = ["negative", "positive"]
Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


def _ls_answer(payload: dict[str, Any]) -> tuple[int, bytes]:
    results = []
    for task in payload["tasks"]:
        label = "positive" if "good" in task["data"]["text"] else "negative"
        results.append(
            {
                "result": [
                    {
                        "from_name": "sentiment",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": [label]},
                    }
                ],
                "score": 0.9,
                "model_version": "ls-model-7",
            }
        )
    return 200, json.dumps({"results": results, "model_version": "ls-model-7"}).encode()


@pytest.fixture
def server() -> Iterator[tuple[str, list[Reply]]]:
    """A local model server; tests swap ``replies[0]`` to change its behaviour."""
    replies: list[Reply] = [_ls_answer]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send(200, b'{"status": "UP", "model_class": "Test"}')

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, out = replies[0](json.loads(body))
            self._send(status, out)

        def _send(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", replies
    finally:
        httpd.shutdown()
        httpd.server_close()


ITEMS = [{"text": "good film"}, {"text": "bad film"}]


class TestHttpPrelabeler:
    def test_label_studio_answers_become_probabilities(
        self, server: tuple[str, list[Reply]]
    ) -> None:
        model = HttpPrelabeler(server[0], LABELS)
        assert isinstance(model, Prelabeler)
        proba = model.predict_proba(ITEMS)
        assert np.allclose(proba, [[0.1, 0.9], [0.9, 0.1]])
        assert model.model_version == "ls-model-7"
        assert model.status.ok
        assert model.health().ok

    def test_server_down_means_no_prediction(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        model = HttpPrelabeler(f"http://127.0.0.1:{port}", LABELS, timeout=2.0)
        proba = model.predict_proba(ITEMS)
        assert not has_prediction(proba).any()
        assert model.status.state == "unreachable"
        assert model.health().state == "unreachable"

    def test_slow_server_times_out(self, server: tuple[str, list[Reply]]) -> None:
        def slow(payload: dict[str, Any]) -> tuple[int, bytes]:
            time.sleep(1.0)
            return _ls_answer(payload)

        server[1][0] = slow
        model = HttpPrelabeler(server[0], LABELS, timeout=0.1)
        assert np.isnan(model.predict_proba(ITEMS)).all()
        assert model.status.state == "timeout"

    @pytest.mark.parametrize(
        ("status", "body", "state"),
        [
            (500, b'{"error": "boom"}', "http_error"),
            (200, b"<html>not json</html>", "bad_response"),
            (200, b'{"predictions": []}', "bad_response"),
            (200, b'{"results": [{"score": 0.9}, "x"]}', "bad_response"),
            (
                200,
                b'{"results": [{"result": [{"value": {"choices": ["meh"]}}], "score": 0.9}]}',
                "bad_response",
            ),
            (
                200,
                b'{"results": [{"result": [{"value": {"choices": ["positive"]}}], "score": 7}]}',
                "bad_response",
            ),
        ],
    )
    def test_garbage_answers(
        self, server: tuple[str, list[Reply]], status: int, body: bytes, state: str
    ) -> None:
        server[1][0] = lambda _payload: (status, body)
        model = HttpPrelabeler(server[0], LABELS)
        assert np.isnan(model.predict_proba(ITEMS)).all()
        assert model.status.state == state
        assert model.status.detail

    def test_partial_answer(self, server: tuple[str, list[Reply]]) -> None:
        def half(payload: dict[str, Any]) -> tuple[int, bytes]:
            _, body = _ls_answer(payload)
            data = json.loads(body)
            data["results"] = data["results"][:1]
            return 200, json.dumps(data).encode()

        server[1][0] = half
        model = HttpPrelabeler(server[0], LABELS)
        proba = model.predict_proba(ITEMS)
        assert has_prediction(proba).tolist() == [True, False]
        assert model.status.state == "partial"

    def test_bad_health_and_empty_batch(self, server: tuple[str, list[Reply]]) -> None:
        model = HttpPrelabeler(server[0] + "/nowhere", LABELS)
        assert model.predict_proba([]).shape == (0, 2)
        server[1][0] = lambda _payload: (200, b"[]")
        assert model.predict_proba(ITEMS).shape == (2, 2)


def test_health_is_asked_once_per_ttl_and_url() -> None:
    now = [100.0]
    cache = HealthCache(ttl=15.0, clock=lambda: now[0])
    asked: list[str] = []

    def check(state: str) -> Callable[[], ServerStatus]:
        def ask() -> ServerStatus:
            asked.append(state)
            return ServerStatus(state)

        return ask

    assert cache.get("http://a", check("ok")).state == "ok"
    now[0] += 10
    assert cache.get("http://a", check("unreachable")).state == "ok"  # still fresh
    assert cache.get("http://b", check("timeout")).state == "timeout"  # another server
    now[0] += 6
    assert cache.get("http://a", check("unreachable")).state == "unreachable"  # expired
    assert asked == ["ok", "timeout", "unreachable"]
