"""The model's signal for allocation, and the database embedding cache."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from crowdloop.ai import service as ai
from crowdloop.ai.acceptance import spent_delta
from crowdloop.ai.backends.embeddings import embeddings_available
from crowdloop.ai.models import Prediction
from crowdloop.ai.training import DbEmbeddingCache
from crowdloop.projects.models import Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import configure, make_setup, train


class TestAllocationSignal:
    def test_confidence_and_uncertainty_per_task(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=200, n_open=30)
        with unit_of_work(db, write=False) as session:
            ids = list(session.scalars(select(Task.id).where(Task.slots > 0)))
            assert ai.model_confidence(session, setup.project_id, ids) == {}
            before = ai.model_uncertainty(session, setup.project_id, ids)
        assert set(before.values()) == {float("inf")}  # no model: people first
        configure(setup, enabled=True)
        train(setup)
        with unit_of_work(db, write=False) as session:
            conf = ai.model_confidence(session, setup.project_id, ids)
            unc = ai.model_uncertainty(session, setup.project_id, [*ids, 10**9])
            rows = session.execute(select(Prediction.task_id, Prediction.probabilities)).all()
        stored = {r.task_id: r.probabilities for r in rows}
        assert set(conf) == set(ids)
        assert all(c is not None and 1 / 3 <= c <= 1 for c in conf.values())
        assert unc[10**9] == float("inf")
        for task_id in ids:
            second, top = sorted(stored[task_id])[-2:]
            assert abs(unc[task_id] - (1 - (top - second))) < 1e-9


class TestEmbeddingCache:
    def test_round_trip_through_the_table(self, db: Database) -> None:
        vectors = np.arange(6, dtype=np.float32).reshape(2, 3)
        with unit_of_work(db) as session:
            cache = DbEmbeddingCache(session)
            assert cache.get_many("m", ["a", "b"]) == [None, None]
            cache.put_many("m", ["a", "b", "a"], np.vstack([vectors, vectors[:1]]))
        with unit_of_work(db, write=False) as session:
            cache = DbEmbeddingCache(session)
            a, b, other = cache.get_many("m", ["a", "b", "zzz"])
            assert cache.get_many("other-model", ["a"]) == [None]
        assert a is not None
        assert b is not None
        np.testing.assert_array_equal(a, vectors[0])
        np.testing.assert_array_equal(b, vectors[1])
        assert other is None

    def test_embeddings_model_needs_the_extra(
        self, app_client: TestClient, db: Database, without_ai_extra: str
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        got = setup.owner.http.put(
            f"/api/v1/projects/{setup.project_id}/ai",
            json={"model": "embeddings"},
            headers=setup.owner.headers,
        )
        assert got.status_code == 422
        assert without_ai_extra in got.json()["detail"]

    def test_embeddings_model_accepted_with_the_extra(
        self, app_client: TestClient, db: Database
    ) -> None:
        if embeddings_available() is not None:
            pytest.skip(f"ai extra not installed: {embeddings_available()}")
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        assert configure(setup, model="embeddings")["model"] == "embeddings"


class TestErrorBudget:
    def test_versions_share_delta(self) -> None:
        budgets = [spent_delta(0.05, k) for k in range(1, 100_000)]
        assert budgets[0] == pytest.approx(0.05 * 6 / math.pi**2)
        assert all(a > b for a, b in itertools.pairwise(budgets))
        assert sum(budgets) < 0.05
