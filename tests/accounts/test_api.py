from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role, User
from crowdloop.client import ApiError, Client
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.factories.accounts import PASSWORD, make_user
from tests.helpers import actors


class TestTokens:
    def test_login_issues_a_working_token_stored_hashed(
        self, app_client: TestClient, db: Database
    ) -> None:
        with unit_of_work(db) as session:
            make_user(session, role=Role.requester, username="rita")
        api = Client(http=app_client)
        token = api.login("rita", PASSWORD)
        assert token.startswith("cl_")
        assert api.me()["username"] == "rita"
        with unit_of_work(db, write=False) as session:
            user = session.query(User).filter_by(username="rita").one()
            assert user.password_hash.startswith("$argon2")
        assert token not in str(api.request("GET", "/me/tokens"))

    @pytest.mark.parametrize(
        ("username", "password"), [("rita", "wrong-password"), ("nobody", "x" * 9)]
    )
    def test_bad_credentials_are_401(
        self, app_client: TestClient, db: Database, username: str, password: str
    ) -> None:
        with unit_of_work(db) as session:
            make_user(session, role=Role.requester, username="rita")
        with pytest.raises(ApiError) as err:
            Client(http=app_client).login(username, password)
        assert err.value.status == 401

    def test_missing_and_revoked_tokens_are_401(self, app_client: TestClient, db: Database) -> None:
        with pytest.raises(ApiError) as err:
            Client(http=app_client).me()
        assert err.value.status == 401
        with unit_of_work(db) as session:
            make_user(session, role=Role.worker, username="wendy")
        api = Client(http=app_client)
        api.login("wendy", PASSWORD)
        token_id = api.request("GET", "/me/tokens")[0]["id"]
        api.request("DELETE", f"/me/tokens/{token_id}")
        with pytest.raises(ApiError) as err:
            api.me()
        assert err.value.status == 401

    def test_deactivated_user_cannot_use_token(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        worker_id = a.workers[0].me()["id"]
        a.admin.request("PATCH", f"/users/{worker_id}", json={"is_active": False})
        with pytest.raises(ApiError) as err:
            a.workers[0].me()
        assert err.value.status == 401


class TestUsers:
    def test_admin_creates_users_others_cannot(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=1)
        made = a.admin.create_user(username="newbie", password="long enough", role="worker")
        assert made["role"] == "worker"
        for other in (a.requester, a.workers[0]):
            with pytest.raises(ApiError) as err:
                other.create_user(username="x2", password="long enough")
            assert err.value.status == 403

    @pytest.mark.parametrize(
        "body",
        [
            {"username": "a", "password": "long enough"},
            {"username": "ok_name", "password": "short"},
            {"username": "ok_name", "password": "long enough", "role": "emperor"},
            {"username": "has space", "password": "long enough"},
        ],
    )
    def test_invalid_user_is_422(
        self, app_client: TestClient, db: Database, body: dict[str, str]
    ) -> None:
        a = actors(app_client, db, n_workers=0)
        with pytest.raises(ApiError) as err:
            a.admin.create_user(**body)
        assert err.value.status == 422
        assert err.value.error == "InvalidInput"

    def test_duplicate_username_is_409(self, app_client: TestClient, db: Database) -> None:
        a = actors(app_client, db, n_workers=0)
        a.admin.create_user(username="twin", password="long enough")
        with pytest.raises(ApiError) as err:
            a.admin.create_user(username="twin", password="other enough")
        assert err.value.status == 409
