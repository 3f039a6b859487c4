"""``crowdloop ai``: config, train with progress on stderr, status; bad input is one line."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from tests.ai.platform import make_setup
from tests.cli.conftest import invoke

Run = Callable[..., Result]


@pytest.fixture
def run(settings: Settings) -> Run:
    runner = CliRunner()

    def _run(*args: str) -> Result:
        return invoke(runner, settings.database_url, *args)

    return _run


class TestAiCli:
    def test_config_train_status(self, app_client: TestClient, db: Database, run: Run) -> None:
        setup = make_setup(app_client, db, n_answered=200, n_open=50)
        pid = str(setup.project_id)
        out = run(
            "ai", "config", pid, "--enable", "--model", "tfidf", "--target-accuracy", "0.9",
            "--show-suggestions", "--no-auto-accept", "--in-truth",
        )  # fmt: skip
        assert out.exit_code == 0, out.output
        config = json.loads(out.stdout)
        assert config["enabled"] is True
        assert config["show_suggestions"] is True
        assert config["in_truth"] is True
        assert config["target_accuracy"] == 0.9
        trained = run("ai", "train", pid)
        assert trained.exit_code == 0, trained.output
        assert "training: " in trained.stderr
        assert "predicting: " in trained.stderr
        assert "(100%)" in trained.stderr
        assert json.loads(trained.stdout)["version"] == 1
        status = run("ai", "status", pid)
        assert json.loads(status.stdout)["model_version"].startswith("v1 tfidf-lr-")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--model", "gpt"], "model: Input should be 'tfidf', 'embeddings' or 'http'"),
            (["--target-accuracy", "1.5"], "target_accuracy: Input should be less than 1"),
            (["--model", "http"], "needs a url"),
            (["--model", "embeddings"], "needs the extra crowdloop[ai]"),
        ],
    )
    @pytest.mark.usefixtures("without_ai_extra")
    def test_bad_config_is_one_error_line_and_changes_nothing(
        self, app_client: TestClient, db: Database, run: Run, args: list[str], message: str
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        pid = str(setup.project_id)
        out = run("ai", "config", pid, *args)
        assert out.exit_code == 1
        assert out.stderr.startswith("error: ")
        assert message in out.stderr
        assert len(out.stderr.strip().splitlines()) == 1
        shown = json.loads(run("ai", "show", pid).stdout)
        assert shown["model"] == "tfidf"
        assert shown["target_accuracy"] == 0.95

    def test_unknown_project_and_training_without_labels(
        self, app_client: TestClient, db: Database, run: Run
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=3)
        missing = run("ai", "status", "999999")
        assert missing.exit_code == 1
        assert missing.stderr == "error: project 999999 not found\n"
        run("ai", "config", str(setup.project_id), "--enable")
        empty = run("ai", "train", str(setup.project_id))
        assert empty.exit_code == 1
        assert "no confident human-labelled tasks" in empty.stderr
