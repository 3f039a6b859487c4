"""The wizard's quality step: dynamic overlap, control rate and rules -> QualityConfig."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from crowdloop.accounts.models import Role
from crowdloop.projects import service as projects
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web import forms, quality_form
from tests.web.conftest import Browser
from tests.web.test_console import GOOD

Make = Callable[..., Browser]
QUALITY = {
    "control_rate": "0.2",
    "dynamic": "1",
    "dyn_min": "2",
    "dyn_max": "4",
    "dyn_confidence": "0.85",
    "dyn_escalate_after": "3",
    "dyn_escalate_ability": "0.7",
    "rule_kind_0": "",  # a blank row is skipped: row numbers still map back
    "rule_kind_1": "fast_answers",
    "rule_threshold_1": "2.5",
    "rule_min_1": "4",
    "rule_action_1": "block",
    "rule_hours_1": "6",
}


def _error(html: str, field: str) -> str:
    assert f'id="{field}-error"' in html, f"no message next to {field}"
    return html.split(f'id="{field}-error">')[1].split("</p>")[0]


class TestQualityStep:
    def test_shows_the_fields_with_defaults(self, make_browser: Make) -> None:
        page = make_browser(Role.requester).get("/console/projects/new").text
        assert 'id="quality-step"' in page
        assert 'name="control_rate" inputmode="decimal" value="0.1"' in page
        for field in ("dyn_min", "dyn_max", "dyn_confidence", "rule_kind_2", "rule_hours_0"):
            assert f'<label class="visually-hidden" for="{field}"' in page or (
                f'<label for="{field}"' in page
            )

    def test_creates_the_quality_config(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        response = me.post("/console/projects/new", {**GOOD, **QUALITY})
        assert response.status_code == 303
        with unit_of_work(db, write=False) as session:
            (made,) = projects.list_projects(session, me.user)
            config = made.quality_config
        assert config["control_rate"] == 0.2
        assert config["dynamic_overlap"] == {
            "min_answers": 2,
            "max_answers": 4,
            "target_confidence": 0.85,
            "escalate_after": 3,
            "escalate_ability": 0.7,
        }
        (rule,) = config["rules"]
        assert rule == {
            "kind": "fast_answers",
            "threshold": 2.5,
            "min_answers": 4,
            "action": "block",
            "block_hours": 6.0,
        }

    def test_dynamic_overlap_off_by_default(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        assert me.post("/console/projects/new", GOOD).status_code == 303
        with unit_of_work(db, write=False) as session:
            (made,) = projects.list_projects(session, me.user)
            assert made.quality_config["dynamic_overlap"] is None
            assert made.quality_config["rules"] == []

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"dyn_min": "5", "dyn_max": "3"}, "dyn_max", "max_answers must be &gt;= min_answers"),
            ({"dyn_confidence": "0"}, "dyn_confidence", "greater than 0"),
            ({"dyn_confidence": "1.5"}, "dyn_confidence", "less than or equal to 1"),
            ({"dyn_confidence": "high"}, "dyn_confidence", "valid number"),
            ({"dyn_min": "0"}, "dyn_min", "greater than or equal to 1"),
            ({"dyn_escalate_after": "0"}, "dyn_escalate_after", "greater than or equal to 1"),
            ({"dyn_escalate_ability": "2"}, "dyn_escalate_ability", "less than or equal to 1"),
            ({"control_rate": "1.2"}, "control_rate", "less than or equal to 1"),
            ({"control_rate": "-0.1"}, "control_rate", "greater than or equal to 0"),
            ({"rule_kind_1": "typing_speed"}, "rule_kind_1", "fast_answers"),
            ({"rule_threshold_1": ""}, "rule_threshold_1", "required"),
            ({"rule_threshold_1": "-1"}, "rule_threshold_1", "greater than or equal to 0"),
            ({"rule_min_1": "0"}, "rule_min_1", "greater than or equal to 1"),
            ({"rule_action_1": "fine"}, "rule_action_1", "warn"),
            ({"rule_hours_1": "0"}, "rule_hours_1", "greater than 0"),
        ],
    )
    def test_bad_input_is_shown_next_to_the_field(
        self,
        make_browser: Make,
        db: Database,
        changes: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        me = make_browser(Role.requester)
        response = me.post("/console/projects/new", {**GOOD, **QUALITY, **changes})
        assert response.status_code == 422
        assert message in _error(response.text, field)
        assert "Please fix 1 field below" in response.text
        with unit_of_work(db, write=False) as session:
            assert projects.list_projects(session, me.user) == []


def test_error_locations_map_to_rows() -> None:
    values = quality_form.values_of({"rule_kind_2": "skips_in_row"})
    assert quality_form.rule_rows(values) == [2]
    assert quality_form.field_for(("rules", 0, "threshold"), values) == "rule_threshold_2"
    assert quality_form.field_for(("dynamic_overlap",), values) == "dyn_max"
    assert quality_form.field_for(("control_rate",), values) == "control_rate"
    assert forms.field_for(("quality", "dynamic_overlap", "min_answers"), "text") == "dyn_min"


class TestFileType:
    def test_creates_a_file_project(self, make_browser: Make, db: Database) -> None:
        me = make_browser(Role.requester)
        assert 'name="task_type" value="file"' in me.get("/console/projects/new").text
        body = {**GOOD, "task_type": "file", "file_extensions": "PDF, .zip", "file_max_mb": "2"}
        assert me.post("/console/projects/new", body).status_code == 303
        with unit_of_work(db, write=False) as session:
            (made,) = projects.list_projects(session, me.user)
            assert made.answer_schema == {
                "type": "file",
                "extensions": [".pdf", ".zip"],
                "max_bytes": 2 * 1024 * 1024,
            }

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"file_extensions": ""}, "file_extensions", "at least 1 item"),
            ({"file_extensions": ".p-d-f"}, "file_extensions", "should match pattern"),
            ({"file_max_mb": "100"}, "file_max_mb", "less than or equal to"),
            ({"file_max_mb": "big"}, "file_max_mb", "valid integer"),
        ],
    )
    def test_bad_file_settings(
        self, make_browser: Make, changes: dict[str, str], field: str, message: str
    ) -> None:
        me = make_browser(Role.requester)
        body = {**GOOD, "task_type": "file", "file_extensions": ".pdf", "file_max_mb": "1"}
        response = me.post("/console/projects/new", {**body, **changes})
        assert response.status_code == 422
        assert message in _error(response.text, field)
