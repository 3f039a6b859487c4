from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crowdloop.storage import migrate
from crowdloop.storage.engine import make_engine
from tests.cli.conftest import Run, invoke, last_error

STARTUP_ATTEMPTS = 240  # polls, 0.25 s apart: generous for a loaded CI machine


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_health(proc: subprocess.Popen[bytes], url: str) -> httpx.Response:
    for _ in range(STARTUP_ATTEMPTS):
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.25)
    pytest.fail("server did not answer")


class TestServe:
    @pytest.mark.parametrize("backend", ["sqlite"])
    def test_sqlite_zero_configuration(self, tmp_path: Path, backend: str) -> None:
        """A new SQLite file gets its schema, and the API answers."""
        del backend
        path = tmp_path / "fresh.db"
        port = _free_port()
        cmd = [sys.executable, "-m", "crowdloop", "--database-url", f"sqlite:///{path}"]
        cmd += ["serve", "--port", str(port)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            response = _wait_for_health(proc, f"http://127.0.0.1:{port}/api/v1/health")
            assert response.json()["status"] == "ok"
        finally:
            proc.send_signal(signal.SIGINT)
            output = proc.communicate(timeout=60)[0].decode()
        assert "schema upgraded from empty" in output
        engine = make_engine(f"sqlite:///{path}")
        assert migrate.current_revision(engine) is not None
        engine.dispose()

    @pytest.mark.parametrize("backend", ["postgresql"])
    def test_postgresql_refuses_an_outdated_schema(
        self, runner: CliRunner, empty_url: str, backend: str
    ) -> None:
        del backend
        result = invoke(runner, empty_url, "serve", "--port", str(_free_port()))
        assert result.exit_code == 1
        assert "run `crowdloop db upgrade` first" in last_error(result)
        engine = make_engine(empty_url)
        assert migrate.current_revision(engine) is None
        engine.dispose()

    def test_bad_worker_count(self, run: Run) -> None:
        result = run("serve", "--workers", "0")
        assert result.exit_code == 1
        assert last_error(result) == "error: --workers must be at least 1, got 0"
