"""Finding (c): sign-in throttling and lockout (web form and API token endpoint), the same
answer and the same work for an unknown username and a wrong password."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts import security, signin, throttle
from crowdloop.accounts.models import Role
from crowdloop.app import create_app
from crowdloop.config import Settings
from crowdloop.storage.engine import Database
from crowdloop.storage.types import utcnow
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import session as cookies
from crowdloop.wiring import Platform
from tests.factories.accounts import PASSWORD, make_user
from tests.web.conftest import csrf_of

WRONG = "wrong password!"
POLICY = throttle.Policy(max_failures=5, lockout=timedelta(seconds=30))


def _user(db: Database, username: str = "alice", role: Role = Role.worker) -> str:
    with unit_of_work(db) as session:
        return make_user(session, role=role, username=username).username


def web_sign_in(client: TestClient, username: str, password: str) -> Any:
    token = csrf_of(client.get("/login").text)
    data = {"username": username, "password": password, "csrf": token}
    return client.post("/login", data=data, follow_redirects=False)


def api_sign_in(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 verification, by the hash it was run against (a spy on the one
    function that runs argon2 for sign-ins)."""
    seen: list[str] = []
    real = security.verify_password

    def spy(password_hash: str, password: str) -> bool:
        seen.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", spy)
    return seen


class TestSameAnswerForUnknownAndWrong:
    @pytest.mark.parametrize("sign_in", [web_sign_in, api_sign_in])
    def test_unknown_user_and_wrong_password_answer_alike_after_one_hash_each(
        self, app_client: TestClient, db: Database, verifications: list[str], sign_in: Any
    ) -> None:
        name = _user(db)
        wrong = sign_in(app_client, name, WRONG)
        assert len(verifications) == 1
        assert verifications[0] != security.dummy_hash()  # the user's own hash
        unknown = sign_in(app_client, "nobody-here", WRONG)
        assert len(verifications) == 2
        assert verifications[1] == security.dummy_hash()  # argon2 ran all the same
        assert wrong.status_code == unknown.status_code == 401
        if sign_in is api_sign_in:
            assert wrong.json() == unknown.json()
        assert "wrong username or password" in wrong.text
        assert "wrong username or password" in unknown.text

    def test_the_service_verifies_against_a_dummy_hash_for_unknown_users(
        self, db: Database, verifications: list[str]
    ) -> None:
        with unit_of_work(db, write=False) as session:
            attempt = signin.check(session, "ghost", "pw", ip=None, via="test", policy=POLICY)
        assert verifications == [security.dummy_hash()]
        assert not attempt.password_ok
        assert attempt.user_id is None


class TestLockout:
    def test_five_failures_lock_the_username_even_for_the_right_password(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        answers = [web_sign_in(app_client, name, WRONG).status_code for _ in range(5)]
        assert answers == [401, 401, 401, 401, 429]
        locked = web_sign_in(app_client, name, PASSWORD)
        assert locked.status_code == 429
        assert "too many failed sign-ins" in locked.text
        assert int(locked.headers["retry-after"]) > 0
        assert cookies.COOKIE not in locked.headers.get("set-cookie", "")

    def test_the_api_token_endpoint_is_throttled_like_the_login(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        answers = [api_sign_in(app_client, name, WRONG).status_code for _ in range(5)]
        assert answers == [401, 401, 401, 401, 429]
        locked = api_sign_in(app_client, name, PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["error"] == "TooManyAttempts"
        assert int(locked.headers["retry-after"]) > 0
        # web and API share the count: the form is locked too
        assert web_sign_in(app_client, name, PASSWORD).status_code == 429

    def test_an_unknown_username_locks_with_the_same_answer(
        self, app_client: TestClient, db: Database
    ) -> None:
        _user(db)
        for name in ("alice", "nobody-here"):
            for _ in range(5):
                api_sign_in(app_client, name, WRONG)
        known, unknown = (api_sign_in(app_client, n, WRONG) for n in ("alice", "nobody-here"))
        assert known.status_code == unknown.status_code == 429
        assert known.json()["detail"].split(":")[0] == unknown.json()["detail"].split(":")[0]

    def test_a_success_before_the_lock_starts_the_count_again(
        self, app_client: TestClient, db: Database
    ) -> None:
        name = _user(db)
        for _ in range(4):
            api_sign_in(app_client, name, WRONG)
        assert api_sign_in(app_client, name, PASSWORD).status_code == 201
        assert [api_sign_in(app_client, name, WRONG).status_code for _ in range(4)] == [401] * 4

    def test_a_client_address_is_locked_across_usernames(
        self, settings: Settings, platform: Platform, db: Database
    ) -> None:
        """Spraying one password over many usernames: the address locks at 4x the limit."""
        _user(db, "victim")
        strict = settings.model_copy(update={"login_max_failures": 2})
        with TestClient(create_app(strict, platform=platform)) as client:
            codes = [api_sign_in(client, f"user{i}", WRONG).status_code for i in range(8)]
            assert codes[:7] == [401] * 7
            assert codes[7] == 429
            assert api_sign_in(client, "victim", PASSWORD).status_code == 429

    def test_the_lock_holds_across_server_processes(
        self, settings: Settings, platform: Platform, db: Database
    ) -> None:
        """Counts live in the database: failures through one app lock the other."""
        name = _user(db)
        with (
            TestClient(create_app(settings, platform=platform)) as one,
            TestClient(create_app(settings, platform=platform)) as two,
        ):
            for client in (one, two, one, two, one):
                api_sign_in(client, name, WRONG)
            assert api_sign_in(two, name, PASSWORD).status_code == 429


class TestBackoff:
    """The policy on a frozen clock: locks double, then end; quiet days forget."""

    def _fail(self, db: Database, when: Any) -> Any:
        with unit_of_work(db) as session:
            return throttle.record_failure(session, "Bob", "10.0.0.1", policy=POLICY, now=when)

    def _locked(self, db: Database, when: Any, username: str = "bob") -> Any:
        with unit_of_work(db, write=False) as session:
            return throttle.locked_until(session, username, None, policy=POLICY, now=when)

    def test_locks_double_with_each_further_failure_and_then_end(self, db: Database) -> None:
        t0 = utcnow()
        assert [self._fail(db, t0) for _ in range(4)] == [None] * 4
        assert self._fail(db, t0) == t0 + timedelta(seconds=30)
        assert self._locked(db, t0 + timedelta(seconds=29)) is not None
        assert self._locked(db, t0 + timedelta(seconds=31)) is None
        t1 = t0 + timedelta(seconds=31)
        assert self._fail(db, t1) == t1 + timedelta(seconds=60)
        t2 = t1 + timedelta(seconds=61)
        assert self._fail(db, t2) == t2 + timedelta(seconds=120)

    def test_the_username_key_ignores_case(self, db: Database) -> None:
        t0 = utcnow()
        for _ in range(5):
            self._fail(db, t0)
        assert self._locked(db, t0, "BOB") is not None

    def test_the_lock_is_capped_at_an_hour(self) -> None:
        assert POLICY.lock_for(4, 5) is None
        assert POLICY.lock_for(5, 5) == timedelta(seconds=30)
        assert POLICY.lock_for(500, 5) == throttle.MAX_LOCK

    def test_failures_are_forgotten_after_a_quiet_day(self, db: Database) -> None:
        t0 = utcnow()
        for _ in range(4):
            self._fail(db, t0)
        later = t0 + throttle.FORGET_AFTER + timedelta(minutes=1)
        assert self._fail(db, later) is None  # counted from one again
