"""A Label Studio-style model server behind a project: good, garbage or down. Human work
goes on whatever the server does. Plus awkward training data (empty texts, one example)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crowdloop.ai.models import Prediction
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import add_tasks, answer_all, configure, make_setup, new_worker, train

Reply = Callable[[dict[str, Any]], tuple[int, bytes]]


def _sport(payload: dict[str, Any]) -> tuple[int, bytes]:
    results = [
        {"result": [{"value": {"choices": ["sport"]}}], "score": 0.8, "model_version": "ls-9"}
        for _ in payload["tasks"]
    ]
    return 200, json.dumps({"results": results}).encode()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The test model server listens on loopback: the operator allows private hosts."""
    return settings.model_copy(update={"outbound_allow_private": True})


@pytest.fixture
def server() -> Iterator[tuple[str, list[Reply]]]:
    replies: list[Reply] = [_sport]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._send(200, b'{"status": "UP"}')

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self._send(*replies[0](json.loads(body)))

        def _send(self, code: int, out: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", replies
    httpd.shutdown()
    httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _predictions(db: Database) -> list[Any]:
    with unit_of_work(db, write=False) as session:
        return list(session.execute(select(Prediction.label, Prediction.confidence)).all())


class TestModelServer:
    def test_good_server_predictions_are_stored_with_its_version(
        self, app_client: TestClient, db: Database, server: tuple[str, list[Reply]]
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=20)
        configure(setup, enabled=True, model="http", url=server[0])
        out = train(setup)
        assert out["model_version"] == "v1 ls-9"
        assert out["server_state"] == "ok"
        rows = _predictions(db)
        assert len(rows) == 20
        assert {r.label for r in rows} == {"sport"}
        assert all(r.confidence == pytest.approx(0.8) for r in rows)

    def test_garbage_answers_record_status_and_predict_nothing(
        self, app_client: TestClient, db: Database, server: tuple[str, list[Reply]]
    ) -> None:
        server[1][0] = lambda _payload: (200, b"<html>oops</html>")
        setup = make_setup(app_client, db, n_answered=0, n_open=10)
        configure(setup, enabled=True, model="http", url=server[0], auto_accept=True)
        out = train(setup)
        assert out["detail"].startswith("model server: bad_response")
        assert out["n_auto_accepted"] == 0
        assert all(r.label is None and r.confidence is None for r in _predictions(db))
        assert answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db)) == 10

    def test_server_down_is_a_clear_status_and_people_keep_working(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=10)
        url = f"http://127.0.0.1:{_closed_port()}"
        configure(setup, enabled=True, model="http", url=url, show_suggestions=True)
        out = train(setup)
        assert out["state"] == "ready"
        assert out["detail"].startswith("model server: unreachable")
        assert out["server_state"] == "unreachable"
        assert out["n_auto_accepted"] == 0
        assert answer_all(db, setup, lambda t: setup.truth[t], worker_id=new_worker(db)) == 10


class TestAwkwardData:
    def test_empty_texts_and_a_class_with_one_example(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=0)
        texts = ["goal match team"] * 30 + ["pasta salad bake"] * 30 + ["", ""] + ["kernel"]
        labels = ["sport"] * 30 + ["food"] * 30 + ["sport", "food"] + ["tech"]
        add_tasks(db, setup, texts, labels)
        answer_all(db, setup, lambda t: setup.truth[t])
        add_tasks(db, setup, ["", "kernel chip", "goal"], ["sport", "tech", "sport"])
        configure(setup, enabled=True)
        out = train(setup)
        assert out["state"] == "ready"
        assert out["n_train"] > 0
        with unit_of_work(db, write=False) as session:
            rows = session.execute(select(Prediction.label, Prediction.probabilities)).all()
        assert len(rows) >= 3
        for row in rows:
            assert row.label in {"food", "sport", "tech"}
            assert sum(row.probabilities) == pytest.approx(1, abs=1e-3)


class TestModelServerUrlPolicy:
    """Issue 11, finding 5: a requester could make the server call loopback services."""

    @pytest.mark.parametrize(
        "url", ["http://127.0.0.1:9/", "http://localhost:8000/", "http://169.254.169.254/x"]
    )
    def test_a_private_model_server_is_refused_by_default(
        self, app_client: TestClient, db: Database, url: str
    ) -> None:
        strict = app_client.app.state.settings.model_copy(update={"outbound_allow_private": False})
        app_client.app.state.settings = strict
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        response = setup.owner.http.put(
            f"/api/v1/projects/{setup.project_id}/ai",
            json={"model": "http", "url": url},
            headers=setup.owner.headers,
        )
        assert response.status_code == 422
        assert "crowdloop only calls public addresses" in response.json()["detail"]
        config = setup.owner.request("GET", f"/projects/{setup.project_id}/ai")
        assert config["url"] is None
