"""The AI endpoints end to end: config, training, predictions, certification, auto-accept."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from crowdloop.ai.models import ModelVersion, Prediction, TaskMark, TaskRole
from crowdloop.client import ApiError
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import configure, make_setup, status, train


class TestConfig:
    def test_defaults_then_partial_update(self, app_client: TestClient, db: Database) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=3)
        got = setup.owner.request("GET", f"/projects/{setup.project_id}/ai")
        assert got["enabled"] is False
        assert got["show_suggestions"] is False
        assert got["audit_share"] == 0.02
        out = configure(setup, enabled=True, target_accuracy=0.9)
        assert out["enabled"] is True
        assert out["target_accuracy"] == 0.9
        assert out["model"] == "tfidf"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"model": "gpt"}, "tfidf"),
            ({"target_accuracy": 1.0}, "less than 1"),
            ({"target_accuracy": 0}, "greater than 0"),
            ({"model": "http"}, "needs a url"),
            ({"model": "embeddings"}, "needs the extra"),
            ({"surprise": 1}, "Extra inputs"),
        ],
    )
    @pytest.mark.usefixtures("without_ai_extra")
    def test_bad_input_is_422_and_changes_nothing(
        self, app_client: TestClient, db: Database, body: dict[str, object], message: str
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        configure(setup, enabled=True, target_accuracy=0.9)
        with pytest.raises(ApiError) as err:
            configure(setup, **body)
        assert err.value.status == 422
        assert message in str(err.value.detail)
        after = setup.owner.request("GET", f"/projects/{setup.project_id}/ai")
        assert after["target_accuracy"] == 0.9
        assert after["model"] == "tfidf"

    def test_other_requester_gets_404(self, app_client: TestClient, db: Database) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=1)
        other = make_setup(app_client, db, n_answered=0, n_open=1)
        with pytest.raises(ApiError) as err:
            other.owner.request("GET", f"/projects/{setup.project_id}/ai/status")
        assert err.value.status == 404

    def test_train_when_off_or_without_labels_is_409(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=0, n_open=5)
        with pytest.raises(ApiError) as off:
            train(setup)
        assert off.value.status == 409
        configure(setup, enabled=True)
        with pytest.raises(ApiError) as empty:
            train(setup)
        assert empty.value.status == 409
        assert "no confident human-labelled tasks" in str(empty.value.detail)
        with unit_of_work(db, write=False) as session:
            assert session.scalar(select(func.count()).select_from(ModelVersion)) == 0


class TestTraining:
    def test_too_few_heldout_items_certifies_nothing(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=300, n_open=100)
        configure(setup, enabled=True, auto_accept=True, target_accuracy=0.95)
        out = train(setup)
        assert out["state"] == "ready"
        assert out["version"] == 1
        assert out["model_version"].startswith("v1 tfidf-lr-1-")
        assert 0 < out["n_heldout_labelled"] < 118
        assert out["certified"] is False
        assert out["certificate_status"].startswith(
            f"too few human-labelled held-out items to certify: {out['n_heldout_labelled']} <"
        )
        assert out["n_auto_accepted"] == 0
        assert out["n_train"] == 300 - out["n_heldout_labelled"]
        with unit_of_work(db, write=False) as session:
            n_pred = session.scalar(select(func.count()).select_from(Prediction))
            open_tasks = session.scalar(
                select(func.count()).where(Task.project_id == setup.project_id, Task.slots > 0)
            )
            assert n_pred == out["n_predicted"]
            assert n_pred == open_tasks + out["n_heldout_labelled"]

    def test_predictions_learn_the_labels(self, app_client: TestClient, db: Database) -> None:
        setup = make_setup(app_client, db, n_answered=300, n_open=100)
        configure(setup, enabled=True)
        train(setup)
        with unit_of_work(db, write=False) as session:
            rows = session.execute(
                select(Prediction.task_id, Prediction.label, Prediction.probabilities)
            ).all()
        fresh = [r for r in rows if r.task_id > max(setup.truth) - 100]
        right = sum(r.label == setup.truth[r.task_id] for r in fresh)
        assert len(fresh) == 100
        assert right >= 90
        assert all(abs(sum(r.probabilities) - 1) < 1e-3 for r in rows)

    def test_certified_threshold_auto_accepts_with_audit_share(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=400, n_open=200)
        configure(
            setup, enabled=True, auto_accept=True, target_accuracy=0.85, holdout_share=0.3,
            audit_share=0.2,
        )  # fmt: skip
        out = train(setup)
        assert out["certified"] is True, out["certificate_status"]
        assert out["threshold"] is not None
        assert out["n_auto_accepted"] > 50
        assert out["n_audit"] > 0
        with unit_of_work(db, write=False) as session:
            project = session.get(Project, setup.project_id)
            assert project is not None
            auto = session.execute(
                select(Task.id, Task.result, Task.slots, Task.n_answers)
                .join(TaskMark, TaskMark.task_id == Task.id)
                .where(TaskMark.role == TaskRole.auto)
            ).all()
            audit_open = session.scalars(
                select(Task.slots)
                .join(TaskMark, TaskMark.task_id == Task.id)
                .where(TaskMark.role == TaskRole.audit)
            ).all()
        assert len(auto) == out["n_auto_accepted"]
        assert all(r.slots == 0 and r.n_answers == 0 for r in auto)
        assert sum(r.result == setup.truth[r.id] for r in auto) >= 0.85 * len(auto)
        assert audit_open
        assert all(s > 0 for s in audit_open)
        assert status(setup)["n_auto_accepted"] == len(auto)

    def test_only_the_two_newest_versions_keep_predictions(
        self, app_client: TestClient, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=100, n_open=20)
        configure(setup, enabled=True)
        for expected in (1, 2, 3):
            assert train(setup)["version"] == expected
        with unit_of_work(db, write=False) as session:
            kept = session.execute(
                select(ModelVersion.version, func.count(Prediction.id))
                .join(Prediction, Prediction.model_version_id == ModelVersion.id, isouter=True)
                .group_by(ModelVersion.version)
                .order_by(ModelVersion.version)
            ).all()
        assert [(v, n > 0) for v, n in kept] == [(1, False), (2, True), (3, True)]
