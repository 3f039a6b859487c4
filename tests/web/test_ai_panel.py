"""The AI tab: the model's status, its settings (messages next to the field, nothing
stored on bad input), "Train now" (a refusal is a message), and who may see it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from crowdloop.accounts.models import Role, User
from crowdloop.ai import service as ai
from crowdloop.ai import status as ai_status
from crowdloop.ai.models import ModelVersion
from crowdloop.ai.schemas import AiStatus, AuditRead
from crowdloop.config import Settings
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.ai.platform import make_setup
from tests.web.conftest import Browser

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]
GOOD = {
    "enabled": "1",
    "model": "tfidf",
    "url": "",
    "target_accuracy": "0.9",
    "holdout_share": "0.2",
    "audit_share": "0.05",
    "retrain_after": "10",
}


def _config(db: Database, project_id: int) -> dict[str, Any]:
    with unit_of_work(db, write=False) as session:
        found = session.get(Project, project_id)
        assert found is not None
        return ai.config_of(found).model_dump()


def _versions(db: Database, project_id: int) -> int:
    with unit_of_work(db, write=False) as session:
        return session.query(ModelVersion).filter_by(project_id=project_id).count()


def _owner_of(app_client: TestClient, settings: Settings, db: Database, project_id: int) -> Browser:
    with unit_of_work(db, write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        owner = session.get(User, project.owner_id)
        assert owner is not None
        session.expunge(owner)
    return Browser(app_client, owner)


class TestPage:
    def test_owner_sees_status_and_settings(
        self, make_browser: Make, project_of: MakeProject
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        page = owner.get(f"/console/projects/{project.id}/ai")
        assert page.status_code == 200
        assert 'id="model-version">none yet' in page.text
        assert "no model trained yet" in page.text
        assert 'id="train"' in page.text
        assert 'name="target_accuracy" inputmode="decimal" value="0.95"' in page.text
        assert f'href="/console/projects/{project.id}/ai" aria-current="page"' in page.text

    def test_a_stopped_auto_accept_is_a_visible_warning(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        with unit_of_work(db) as session:
            found = session.get(Project, project.id)
            assert found is not None
            state = ai.state_of(found)
            state.stopped_reason = "audit accuracy 0.71 is below the target 0.95"
            ai.save(found, ai.config_of(found), state)
        page = owner.get(f"/console/projects/{project.id}/ai").text
        warning = page.split('id="stopped">', 1)[1].split("</p>", 1)[0]
        assert "audit accuracy 0.71 is below the target 0.95" in warning
        assert 'class="alert warn" role="alert" id="stopped"' in page

    def test_an_unreachable_model_server_is_a_warning(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        form = {**GOOD, "model": "http", "url": "http://127.0.0.1:9"}
        refused = owner.post(f"/console/projects/{project.id}/ai", form)  # loopback: no SSRF
        assert refused.status_code == 422
        assert "crowdloop only calls public addresses" in refused.text
        assert _config(db, project.id)["url"] is None
        app = owner.http.app
        app.state.settings = app.state.settings.model_copy(update={"outbound_allow_private": True})
        assert owner.post(f"/console/projects/{project.id}/ai", form).status_code == 303
        assert _config(db, project.id)["url"] == "http://127.0.0.1:9"
        page = owner.get(f"/console/projects/{project.id}/ai").text
        assert "Model server unreachable" in page.split('id="server">', 1)[1].split("</p>", 1)[0]

    def test_audit_accuracy_is_shown_with_its_interval(
        self, make_browser: Make, project_of: MakeProject, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        real = ai_status.status

        def audited(session: Any, found: Project, **kwargs: Any) -> AiStatus:
            out = real(session, found, **kwargs)
            out.n_audit = 40
            out.audit = AuditRead(
                n_audited=40, n_correct=38, accuracy=0.95, lower_bound=0.83,
                upper_bound=0.99, stop=False, status="audit passes",
            )  # fmt: skip
            return out

        monkeypatch.setattr(ai_status, "status", audited)
        page = owner.get(f"/console/projects/{project.id}/ai").text
        audit = page.split('id="audit">', 1)[1].split("</dd>", 1)[0]
        assert "40 audit tasks" in audit
        assert "accuracy 95.0% (83.0\u201399.0%) on 40 answered" in audit
        assert "audit passes" in audit

    def test_the_models_part_in_truth_inference_is_shown(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        assert 'id="truth"' not in owner.get(f"/console/projects/{project.id}/ai").text
        with unit_of_work(db) as session:
            found = session.get(Project, project.id)
            assert found is not None
            found.ai_config = {"enabled": True, "in_truth": True}
            found.quality_state = {"model": {"votes": 42, "accuracy": 0.91, "confusion": None}}
        page = owner.get(f"/console/projects/{project.id}/ai").text
        truth = page.split('id="truth">', 1)[1].split("</dd>", 1)[0]
        assert "42 votes" in truth
        assert "91.0%" in truth

    def test_other_people_get_404_reviewers_403(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        reviewer = make_browser(Role.reviewer)
        with unit_of_work(db) as session:
            found = session.get(Project, project.id)
            assert found is not None
            projects.add_member(session, found, session.merge(reviewer.user))
        path = f"/console/projects/{project.id}/ai"
        assert make_browser(Role.requester).get(path).status_code == 404
        assert make_browser(Role.worker).get(path).status_code == 404
        assert reviewer.get(path).status_code == 403
        assert reviewer.post(path, GOOD).status_code == 403
        assert reviewer.post(f"{path}/train").status_code == 403
        assert _config(db, project.id)["enabled"] is False

    def test_an_admin_may(self, make_browser: Make, project_of: MakeProject) -> None:
        project = project_of(make_browser(Role.requester).user)
        assert make_browser(Role.admin).get(f"/console/projects/{project.id}/ai").status_code == 200


class TestSettings:
    def test_saves(self, make_browser: Make, project_of: MakeProject, db: Database) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        form = {**GOOD, "auto_accept": "1", "in_truth": "1"}
        response = owner.post(f"/console/projects/{project.id}/ai", form)
        assert response.status_code == 303
        stored = _config(db, project.id)
        assert stored["in_truth"] is True
        assert stored["enabled"] is True
        assert stored["target_accuracy"] == 0.9
        assert stored["holdout_share"] == 0.2
        assert stored["retrain_after"] == 10
        assert stored["auto_accept"] is True
        assert stored["show_suggestions"] is False
        page = owner.get(response.headers["location"]).text
        assert 'id="saved"' in page
        assert 'name="enabled" value="1" checked' in page

    @pytest.mark.parametrize(
        ("change", "field", "message"),
        [
            ({"target_accuracy": "1.5"}, "target_accuracy", "less than 1"),
            ({"target_accuracy": "0"}, "target_accuracy", "greater than 0"),
            ({"holdout_share": "lots"}, "holdout_share", "valid number"),
            ({"retrain_after": "0"}, "retrain_after", "greater than or equal to 1"),
            ({"model": "http"}, "url", "needs a url"),
            ({"model": "http", "url": "ftp://x"}, "url", "needs a url"),
            ({"model": "gpt"}, "model", "tfidf"),
            ({"model": "embeddings"}, "model", "needs the extra"),
        ],
    )
    def test_bad_input_is_shown_at_its_field_and_saves_nothing(
        self,
        make_browser: Make,
        project_of: MakeProject,
        db: Database,
        monkeypatch: pytest.MonkeyPatch,
        change: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        monkeypatch.setattr(ai, "embeddings_available", lambda: "torch is not installed")
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        before = _config(db, project.id)
        response = owner.post(f"/console/projects/{project.id}/ai", {**GOOD, **change})
        assert response.status_code == 422
        page = response.text
        assert f'id="{field}-error">' in page
        assert message in page.split(f'id="{field}-error">', 1)[1].split("</p>", 1)[0]
        assert f'id="{field}" name="{field}"' in page
        assert 'aria-invalid="true"' in page
        assert 'id="form-errors"' in page
        assert _config(db, project.id) == before


class TestTrainNow:
    def test_ai_off_is_a_message_not_a_crash(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        response = owner.post(f"/console/projects/{project.id}/ai/train")
        assert response.status_code == 409
        assert 'id="train-error"' in response.text
        assert "AI is off" in response.text
        assert _versions(db, project.id) == 0

    def test_nothing_labelled_is_a_message_and_rolls_back(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user)
        assert owner.post(f"/console/projects/{project.id}/ai", GOOD).status_code == 303
        response = owner.post(f"/console/projects/{project.id}/ai/train")
        assert response.status_code == 409
        assert "no confident human-labelled tasks" in response.text
        assert _versions(db, project.id) == 0

    def test_trains_and_shows_the_new_version(
        self, app_client: TestClient, settings: Settings, db: Database
    ) -> None:
        setup = make_setup(app_client, db, n_answered=40, n_open=10)
        owner = _owner_of(app_client, settings, db, setup.project_id)
        path = f"/console/projects/{setup.project_id}/ai"
        assert owner.post(path, GOOD).status_code == 303
        response = owner.post(f"{path}/train")
        assert response.status_code == 303
        assert response.headers["location"] == f"{path}?trained=1"
        page = owner.get(response.headers["location"]).text
        assert 'id="trained"' in page
        assert 'id="model-version">v1 tfidf' in page
        assert 'id="model-state">ready' in page
        assert _versions(db, setup.project_id) == 1
        again = owner.post(f"{path}/train")
        assert again.headers["location"] == f"{path}?trained=2"
        assert 'id="model-version">v2 ' in owner.get(again.headers["location"]).text
