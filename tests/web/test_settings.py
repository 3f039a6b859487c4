"""The project's quality settings page: shows the stored QualityConfig, saves a valid one,
explains a bad one next to its field and saves nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crowdloop.accounts.models import Role
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import quality_form
from tests.web.conftest import Browser

Make = Callable[..., Browser]
MakeProject = Callable[..., Project]
STORED = {
    "method": "dawid_skene",
    "control_rate": 0.25,
    "dynamic_overlap": {"min_answers": 2, "max_answers": 6, "target_confidence": 0.8},
    "rules": [{"kind": "skips_in_row", "threshold": 4, "action": "block", "block_hours": 2}],
}


def _config(db: Database, project: Project) -> dict[str, object]:
    with unit_of_work(db, write=False) as session:
        found = session.get(Project, project.id)
        assert found is not None
        return dict(found.quality_config)


def _form(page: str) -> dict[str, str]:
    """The page's fields as a browser would send them (inputs and selected options)."""
    values = quality_form.values_of({})
    for name in values:
        marker = f'name="{name}"'
        if marker not in page:
            continue
        tag = page.split(marker, 1)[1].split(">", 1)[0]
        if 'value="' in tag:
            values[name] = tag.split('value="', 1)[1].split('"', 1)[0]
    return values


class TestSettings:
    def test_shows_the_stored_config(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=STORED)
        page = owner.get(f"/console/projects/{project.id}/settings").text
        assert 'name="control_rate" inputmode="decimal" value="0.25"' in page
        assert 'name="dynamic" value="1" checked' in page
        assert 'name="dyn_max" inputmode="numeric" value="6"' in page
        assert '<option value="skips_in_row" selected>' in page
        assert 'name="rule_hours_0" inputmode="decimal" value="2"' in page
        assert 'name="n_rules" value="3"' in page

    def test_saves_and_keeps_the_method(
        self, make_browser: Make, project_of: MakeProject, db: Database
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=STORED)
        body = {
            "n_rules": "3",
            "control_rate": "0.05",
            "rule_kind_2": "control_accuracy",
            "rule_threshold_2": "0.7",
            "rule_min_2": "10",
            "rule_action_2": "warn",
            "rule_hours_2": "24",
        }
        response = owner.post(f"/console/projects/{project.id}/settings", body)
        assert response.status_code == 303
        assert "Quality settings saved" in owner.get(response.headers["location"]).text
        config = _config(db, project)
        assert config["method"] == "dawid_skene"
        assert config["control_rate"] == 0.05
        assert config["dynamic_overlap"] is None  # the box was unticked
        assert config["rules"] == [
            {
                "kind": "control_accuracy",
                "threshold": 0.7,
                "min_answers": 10,
                "action": "warn",
                "block_hours": 24.0,
            }
        ]

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"dynamic": "1", "dyn_min": "4", "dyn_max": "2"}, "dyn_max", "max_answers must be"),
            ({"dynamic": "1", "dyn_confidence": "1.01"}, "dyn_confidence", "less than or equal"),
            ({"control_rate": "2"}, "control_rate", "less than or equal to 1"),
            ({"rule_threshold_0": "x"}, "rule_threshold_0", "valid number"),
        ],
    )
    def test_bad_input_saves_nothing(
        self,
        make_browser: Make,
        project_of: MakeProject,
        db: Database,
        changes: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=STORED)
        body = _form(owner.get(f"/console/projects/{project.id}/settings").text)
        body.update({"dynamic": "", "rule_kind_0": "skips_in_row", **changes})
        response = owner.post(f"/console/projects/{project.id}/settings", body)
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.text
        assert message in response.text.split(f'id="{field}-error">')[1].split("</p>")[0]
        assert "Nothing was saved" in response.text
        stored = _config(db, project)
        assert stored["control_rate"] == 0.25
        assert stored["dynamic_overlap"]["max_answers"] == 6  # type: ignore[index]
        assert [r["kind"] for r in stored["rules"]] == ["skips_in_row"]  # type: ignore[attr-defined]

    def test_only_the_owner_or_an_admin(self, make_browser: Make, project_of: MakeProject) -> None:
        owner = make_browser(Role.requester)
        project = project_of(owner.user, quality=STORED)
        other = make_browser(Role.requester)
        assert other.get(f"/console/projects/{project.id}/settings").status_code == 404
        assert other.post(f"/console/projects/{project.id}/settings", {}).status_code == 404
        assert make_browser(Role.admin).get(f"/console/projects/{project.id}/settings").is_success
