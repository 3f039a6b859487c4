from __future__ import annotations

from typer.testing import CliRunner

from crowdloop.storage import migrate
from crowdloop.storage.engine import make_engine
from tests.cli.conftest import invoke, last_error


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return migrate.current_revision(engine)
    finally:
        engine.dispose()


class TestDbCommands:
    def test_upgrade_current_downgrade_round_trip(self, runner: CliRunner, empty_url: str) -> None:
        assert invoke(runner, empty_url, "db", "current").stdout.strip() == "none"

        result = invoke(runner, empty_url, "db", "upgrade")
        assert result.exit_code == 0, result.output
        head = _revision(empty_url)
        assert head is not None
        assert invoke(runner, empty_url, "db", "current").stdout.strip() == f"{head} (head)"

        again = invoke(runner, empty_url, "db", "upgrade")
        assert again.exit_code == 0, again.output
        assert _revision(empty_url) == head

        down = invoke(runner, empty_url, "db", "downgrade", "base")
        assert down.exit_code == 0, down.output
        assert _revision(empty_url) is None

    def test_unknown_revision_is_one_error_line(self, runner: CliRunner, empty_url: str) -> None:
        invoke(runner, empty_url, "db", "upgrade")
        head = _revision(empty_url)
        for command in (["upgrade", "nosuchrev"], ["downgrade", "nosuchrev"]):
            result = invoke(runner, empty_url, "db", *command)
            assert result.exit_code == 1
            assert "nosuchrev" in last_error(result)
            assert _revision(empty_url) == head

    def test_downgrade_needs_a_revision(self, runner: CliRunner, empty_url: str) -> None:
        result = invoke(runner, empty_url, "db", "downgrade")
        assert result.exit_code == 2

    def test_unreachable_database_is_one_error_line(self, runner: CliRunner) -> None:
        url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
        result = invoke(runner, url, "db", "current")
        assert result.exit_code == 1
        assert last_error(result).startswith("error: database error:")
