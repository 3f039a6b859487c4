"""``crowdloop audit`` and ``crowdloop users forget``."""

from __future__ import annotations

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role
from crowdloop.accounts.schemas import UserUpdate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.cli.conftest import Run, last_error
from tests.factories.accounts import PASSWORD, make_user


def test_the_cli_prints_the_log(run: Run, db: Database) -> None:
    with unit_of_work(db) as session:
        user = make_user(session, username="jay")
        accounts.update_user(session, user, UserUpdate(role=Role.reviewer))
        user_id = user.id
    result = run("audit", "--user", "jay")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    assert "user.updated" in lines[0]
    assert f"user:{user_id}" in lines[0]
    as_json = run("audit", "--json", "--action", "user.updated")
    assert '"action":"user.updated"' in as_json.stdout


def test_forget_anonymises_the_user(run: Run, db: Database) -> None:
    with unit_of_work(db) as session:
        user_id = make_user(session, username="kim").id
    result = run("users", "forget", "kim")
    assert result.exit_code == 0, result.output
    with unit_of_work(db, write=False) as session:
        user = accounts.get_user(session, user_id)
        assert user.username.startswith("forgotten-")
        assert user.forgotten_at is not None
    assert "forgotten-" in result.stdout
    again = run("users", "forget", "kim")
    assert again.exit_code == 1
    assert "not found" in last_error(again)
    audit_lines = run("audit", "--action", "user.forgotten").stdout.strip().splitlines()
    assert len(audit_lines) == 1
    assert PASSWORD not in audit_lines[0]
