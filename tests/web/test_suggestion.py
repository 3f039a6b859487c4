"""The model's suggestion in the worker's task: a hint and a highlighted option, never
preselected. Rendered from the view model directly, and end to end through
``work.service.to_read`` with a stored prediction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from crowdloop.accounts.models import Role
from crowdloop.ai.models import ModelStatus, ModelVersion, Prediction
from crowdloop.projects.models import Project, Task
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web.deps import templates
from crowdloop.web.suggest import SuggestionView, suggestion_of
from tests.web.conftest import Browser

SCHEMA = {"type": "single_choice", "labels": ["cat", "dog", "bird"]}


def _read(suggestion: Any) -> SimpleNamespace:
    return SimpleNamespace(
        id=7,
        task_id=3,
        reward_cents=2,
        lease_expires_at=datetime.now(UTC) + timedelta(minutes=5),
        data={"text": "meow"},
        suggestion=suggestion,
    )


def _render(schema: dict[str, Any], suggestion: SuggestionView | None, **extra: Any) -> str:
    template = templates.get_template("worker/_task.html")
    return template.render(
        project=SimpleNamespace(id=1),
        schema=schema,
        job=_read(None),
        fields=[],
        lease_left=300,
        done=0,
        earned=0,
        csrf="t",
        suggestion=suggestion,
        **extra,
    )


def test_view_model_from_the_read_model() -> None:
    found = SimpleNamespace(label="dog", confidence=0.874, model_version="tfidf-3")
    assert suggestion_of(_read(found)) == SuggestionView("dog", 87, "tfidf-3")
    rating = SimpleNamespace(label=4.0, confidence=None, model_version="m")
    assert suggestion_of(_read(rating)) == SuggestionView("4", None, "m")


def test_no_field_or_no_suggestion_means_no_hint() -> None:
    assert suggestion_of(SimpleNamespace(id=1)) is None  # before AssignmentRead.suggestion
    assert suggestion_of(_read(None)) is None
    assert 'id="suggestion"' not in _render(SCHEMA, None)
    assert "suggested" not in _render(SCHEMA, None)


def test_hint_and_highlight_but_never_preselected() -> None:
    html = _render(SCHEMA, SuggestionView("dog", 87, "tfidf-3"))
    assert "Model suggests: <strong>dog</strong> (87%)" in html
    assert 'aria-describedby="suggestion"' in html
    dog = html.split('value="dog"')[0].rsplit("<label", 1)[1]
    cat = html.split('value="cat"')[0].rsplit("<label", 1)[1]
    assert "suggested" in dog
    assert "suggested" not in cat
    assert "checked" not in html


def test_rating_and_multiple_choice_options_are_highlighted() -> None:
    rating = {"type": "rating", "min": 1, "max": 3, "step": 1}
    html = _render(rating, SuggestionView("2", 60, "m"), options=["1", "2", "3"])
    assert html.count("choice suggested") == 1
    assert 'class="choice suggested"><input type="radio" name="answer" value="2"' in html
    multi = {"type": "multiple_choice", "labels": ["a", "b"]}
    html = _render(multi, SuggestionView("b", None, "m"))
    assert "Model suggests: <strong>b</strong></span>" not in html
    assert "Model suggests: <strong>b</strong><span" in html
    assert 'class="choice suggested"><input type="checkbox" name="answer" value="b"' in html
    assert "checked" not in html


def _predict(db: Database, project: Project, label: str, *, shown: bool) -> None:
    """A ready model version that predicts ``label`` at 87% for every task."""
    with unit_of_work(db) as session:
        found = session.get(Project, project.id)
        assert found is not None
        found.ai_config = {"enabled": True, "show_suggestions": shown, "holdout_share": 0}
        version = ModelVersion(
            project_id=found.id, version=1, kind="tfidf", name="tfidf", status=ModelStatus.ready
        )
        session.add(version)
        session.flush()
        for task in session.scalars(select(Task).where(Task.project_id == found.id)):
            session.add(
                Prediction(
                    project_id=found.id,
                    task_id=task.id,
                    model_version_id=version.id,
                    label=label,
                    confidence=0.87,
                )
            )


class TestInTheWorkspace:
    def test_shown_where_the_project_shows_suggestions(
        self, make_browser: Callable[..., Browser], project_of: Callable[..., Project], db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2, quality={"control_rate": 0})
        labels = project.answer_schema["labels"]
        _predict(db, project, labels[1], shown=True)
        page = make_browser().get(f"/work/projects/{project.id}").text
        assert f"Model suggests: <strong>{labels[1]}</strong> (87%)" in page
        assert page.count("choice suggested") == 1
        assert "checked" not in page

    def test_hidden_where_the_project_hides_them(
        self, make_browser: Callable[..., Browser], project_of: Callable[..., Project], db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, n_tasks=2, quality={"control_rate": 0})
        _predict(db, project, project.answer_schema["labels"][1], shown=False)
        page = make_browser().get(f"/work/projects/{project.id}").text
        assert 'data-assignment="' in page
        assert "Model suggests" not in page
