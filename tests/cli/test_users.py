from __future__ import annotations

import pytest
from typer.testing import CliRunner

from crowdloop.accounts import service
from crowdloop.accounts.models import Role
from crowdloop.cli.main import app
from crowdloop.config import Settings
from crowdloop.errors import NotAuthenticated
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.cli.conftest import Run, last_error

PASSWORD = "a long enough password"


def _usernames(db: Database) -> list[str]:
    with unit_of_work(db, write=False) as session:
        return [u.username for u in service.list_users(session)]


class TestUsersCreate:
    def test_creates_a_user_with_skills(self, run: Run, db: Database) -> None:
        result = run(
            "users", "create", "ana", "--role", "worker", "--password", PASSWORD,
            "--skill", "fr", "--skill", "de",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "created user" in result.stdout
        with unit_of_work(db, write=False) as session:
            user = service.authenticate(session, "ana", PASSWORD)
            assert user.role == Role.worker
            assert user.skills == ["de", "fr"]

    def test_prompts_for_the_password(self, run: Run, db: Database) -> None:
        result = run("users", "create", "bo", "--role", "requester", stdin=f"{PASSWORD}\n" * 2)
        assert result.exit_code == 0, result.output
        with unit_of_work(db, write=False) as session:
            assert service.authenticate(session, "bo", PASSWORD).role == Role.requester

    def test_duplicate_username_changes_nothing(self, run: Run, db: Database) -> None:
        run("users", "create", "ana", "--password", PASSWORD)
        result = run("users", "create", "ana", "--role", "admin", "--password", "other password")
        assert result.exit_code == 1
        assert last_error(result) == "error: username 'ana' is already taken"
        with unit_of_work(db, write=False) as session:
            assert service.authenticate(session, "ana", PASSWORD).role == Role.worker

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["ana", "--password", "short"], "password"),
            (["has space", "--password", PASSWORD], "username"),
        ],
    )
    def test_invalid_input_is_one_error_line(
        self, run: Run, db: Database, args: list[str], message: str
    ) -> None:
        result = run("users", "create", *args)
        assert result.exit_code == 1
        assert message in last_error(result)
        assert _usernames(db) == []

    def test_unknown_role_is_a_usage_error(self, run: Run, db: Database) -> None:
        result = run("users", "create", "ana", "--role", "boss", "--password", PASSWORD)
        assert result.exit_code == 2
        assert _usernames(db) == []


class TestUsersList:
    def test_lists_users_and_filters_by_role(self, run: Run) -> None:
        run("users", "create", "ana", "--password", PASSWORD)
        run("users", "create", "bo", "--role", "requester", "--password", PASSWORD)
        everyone = run("users", "list")
        assert everyone.exit_code == 0
        rows = [line.split("\t") for line in everyone.stdout.splitlines()]
        assert [(r[1], r[2]) for r in rows] == [("ana", "worker"), ("bo", "requester")]
        requesters = run("users", "list", "--role", "requester").stdout.splitlines()
        assert [r.split("\t")[1] for r in requesters] == ["bo"]


class TestTokens:
    def test_create_prints_a_working_token_once(self, run: Run, db: Database) -> None:
        run("users", "create", "ana", "--password", PASSWORD)
        result = run("tokens", "create", "ana", "--name", "laptop")
        assert result.exit_code == 0, result.output
        plain = result.stdout.strip()
        assert plain.startswith("cl_")
        with unit_of_work(db, write=False) as session:
            assert service.user_for_token(session, plain).username == "ana"
        listing = run("tokens", "list", "ana").stdout
        assert "laptop" in listing
        assert plain not in listing

    def test_revoke_stops_the_token(self, run: Run, db: Database) -> None:
        run("users", "create", "ana", "--password", PASSWORD)
        plain = run("tokens", "create", "ana").stdout.strip()
        token_id = run("tokens", "list", "ana").stdout.split("\t")[0]
        result = run("tokens", "revoke", token_id)
        assert result.exit_code == 0, result.output
        with unit_of_work(db, write=False) as session, pytest.raises(NotAuthenticated):
            service.user_for_token(session, plain)
        assert "revoked" in run("tokens", "list", "ana").stdout

    def test_unknown_user_or_token(self, run: Run) -> None:
        result = run("tokens", "create", "ghost")
        assert result.exit_code == 1
        assert last_error(result) == "error: user 'ghost' not found"
        assert result.stdout == ""
        result = run("tokens", "revoke", "999")
        assert result.exit_code == 1
        assert last_error(result) == "error: token 999 not found"
        assert run("tokens", "revoke", "abc").exit_code == 2


def test_database_url_from_the_environment(
    runner: CliRunner, settings: Settings, db: Database
) -> None:
    """Without --database-url, CROWDLOOP_DATABASE_URL decides (CliRunner restores the env)."""
    env = {"CROWDLOOP_DATABASE_URL": settings.database_url}
    created = runner.invoke(app, ["users", "create", "eve", "--password", PASSWORD], env=env)
    assert created.exit_code == 0, created.output
    assert _usernames(db) == ["eve"]
