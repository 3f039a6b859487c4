"""The embeddings model (extra ``crowdloop[ai]``) inside the platform: trained through the
API, embeddings cached in the ``ai_embeddings`` table and never computed twice."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdloop.ai import service
from crowdloop.ai.backends.embeddings import embeddings_available
from crowdloop.ai.models import CachedEmbedding, ModelVersion, Prediction
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import configure, make_setup, train

MISSING = embeddings_available()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"ai extra not installed: {MISSING}")


def _counts(db: Database) -> tuple[int, int, int]:
    with unit_of_work(db, write=False) as session:
        cached = session.scalar(select(func.count()).select_from(CachedEmbedding)) or 0
        versions = session.scalar(select(func.count()).select_from(ModelVersion)) or 0
        predictions = session.scalar(select(func.count()).select_from(Prediction)) or 0
    return int(cached), int(versions), int(predictions)


def test_embeddings_model_trains_predicts_and_caches(app_client: TestClient, db: Database) -> None:
    setup = make_setup(app_client, db, n_answered=120, n_open=40)
    configure(setup, enabled=True, model="embeddings")
    out = train(setup)
    assert out["model"] == "embeddings"
    cached, versions, predictions = _counts(db)
    assert versions == 1
    # Every distinct text embedded once: the 160 tasks' texts (duplicates collapse).
    assert 0 < cached <= 160
    assert predictions >= 40
    with unit_of_work(db, write=False) as session:
        rows = session.execute(select(Prediction.task_id, Prediction.label)).all()
        kinds = session.scalars(select(ModelVersion.kind)).all()
    fresh = [r for r in rows if r.task_id > max(setup.truth) - 40]
    right = sum(r.label == setup.truth[r.task_id] for r in fresh)
    assert kinds == ["embeddings"]
    assert right >= 0.8 * len(fresh)
    # A second training round reuses the cached vectors: no new rows for the same texts,
    # and nothing left to embed (the progress shows no embedding work).
    seen: list[tuple[str, int, int]] = []
    with unit_of_work(db) as session:
        project = session.get(Project, setup.project_id)
        assert project is not None
        service.run(session, project, progress=lambda *event: seen.append(event))
    again, versions, _ = _counts(db)
    assert versions == 2
    assert again == cached
    assert not [e for e in seen if e[0] == "embedding"]
    assert ("training", 0, out["n_train"]) in seen


def test_embedding_progress_is_reported(app_client: TestClient, db: Database) -> None:
    setup = make_setup(app_client, db, n_answered=60, n_open=5)
    configure(setup, enabled=True, model="embeddings")
    seen: list[tuple[str, int, int]] = []
    with unit_of_work(db) as session:
        project = session.get(Project, setup.project_id)
        assert project is not None
        service.run(session, project, progress=lambda *event: seen.append(event))
    embedding = [e for e in seen if e[0] == "embedding"]
    assert embedding
    assert embedding[-1][1] == embedding[-1][2] > 0
