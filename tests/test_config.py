"""Finding (a): no secret in the source works anywhere; prod needs a real one; dev and test
generate one per install (decision 0016)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crowdloop.config import PLACEHOLDER_SECRETS, Settings
from crowdloop.storage.engine import Database, make_engine
from crowdloop.storage.instance import SECRET_KEY, InstanceValue, generated_secret
from crowdloop.storage.uow import unit_of_work


class TestSecretSetting:
    def test_the_default_secret_is_empty_not_a_published_string(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("CROWDLOOP_SECRET_KEY", raising=False)
        monkeypatch.delenv("CROWDLOOP_ENV", raising=False)
        assert Settings().secret_key == ""

    @pytest.mark.parametrize("env", ["dev", "test", "prod"])
    @pytest.mark.parametrize("secret", sorted(PLACEHOLDER_SECRETS))
    def test_a_placeholder_is_refused_in_every_environment(self, env: str, secret: str) -> None:
        with pytest.raises(ValidationError, match="placeholder"):
            Settings(env=env, secret_key=secret)

    def test_the_old_source_placeholder_is_among_them(self) -> None:
        assert "dev-insecure-secret-change-me" in PLACEHOLDER_SECRETS

    @pytest.mark.parametrize("secret", ["", "short-but-not-a-placeholder"])
    def test_prod_refuses_to_start_without_a_long_secret(self, secret: str) -> None:
        with pytest.raises(ValidationError, match="CROWDLOOP_SECRET_KEY"):
            Settings(env="prod", secret_key=secret)

    def test_prod_accepts_a_real_secret(self) -> None:
        assert Settings(env="prod", secret_key="x" * 40).secure_cookies is True

    @pytest.mark.parametrize("env", ["production", "staging", "Prod", ""])
    def test_an_unknown_environment_is_refused(self, env: str) -> None:
        """A typo must not silently run with dev's relaxed rules."""
        with pytest.raises(ValidationError):
            Settings(env=env)

    def test_the_environment_variables_are_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CROWDLOOP_ENV", "prod")
        monkeypatch.delenv("CROWDLOOP_SECRET_KEY", raising=False)
        with pytest.raises(ValidationError, match="CROWDLOOP_SECRET_KEY"):
            Settings()


def _twice(url: str) -> tuple[str, str]:
    """The generated secret read by two separate units (two processes, say)."""
    engine = make_engine(url)
    try:
        found = []
        for _ in range(2):
            with Session(engine) as session:
                found.append(generated_secret(session))
                session.commit()
    finally:
        engine.dispose()
    return found[0], found[1]


class TestGeneratedSecret:
    def test_each_install_generates_its_own_and_keeps_it(
        self, sqlite_template: Path, tmp_path: Path
    ) -> None:
        secrets = []
        for name in ("one.db", "two.db"):
            shutil.copy(sqlite_template, tmp_path / name)
            first, again = _twice(f"sqlite:///{tmp_path / name}")
            assert again == first
            secrets.append(first)
        assert secrets[0] != secrets[1]
        assert all(len(secret) >= 48 for secret in secrets)

    def test_the_app_uses_the_stored_secret_when_none_is_set(
        self, app_client: TestClient, db: Database
    ) -> None:
        assert app_client.get("/login").status_code == 200  # makes the form's token
        with unit_of_work(db, write=False) as session:
            query = select(InstanceValue.value).where(InstanceValue.name == SECRET_KEY)
            stored = session.scalar(query)
        assert stored is not None
        assert stored not in PLACEHOLDER_SECRETS
        assert app_client.app.state.generated_secret == stored  # type: ignore[attr-defined]
