from __future__ import annotations

import json
from pathlib import Path

import pytest

from crowdloop.accounts.models import Role
from crowdloop.cli._common import operator
from crowdloop.projects import service
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.cli.conftest import Run, last_error
from tests.factories.accounts import make_user
from tests.factories.projects import make_project, make_tasks


@pytest.fixture
def people(db: Database) -> None:
    with unit_of_work(db) as session:
        make_user(session, role=Role.requester, username="rita")
        make_user(session, role=Role.requester, username="rob")
        make_user(session, role=Role.worker, username="wes")


def _projects(db: Database) -> list[Project]:
    with unit_of_work(db, write=False) as session:
        return list(service.list_projects(session, operator()))


CREATE = ["project", "create", "--owner", "rita", "--name", "Reviews"]


@pytest.mark.usefixtures("people")
class TestProjectCreate:
    def test_single_choice_with_every_option(self, run: Run, db: Database, tmp_path: Path) -> None:
        instructions = tmp_path / "how.md"
        instructions.write_text("# Read carefully\n", encoding="utf-8")
        result = run(
            *CREATE, "--type", "single_choice", "--labels", "pos, neg,neutral",
            "--overlap", "5", "--reward-cents", "3", "--budget-cents", "1000",
            "--deadline", "2031-01-31T18:00:00", "--priority", "7",
            "--skill", "en", "--instructions-file", str(instructions),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        (project,) = _projects(db)
        assert result.stdout.strip() == f"created project {project.id}: Reviews"
        assert project.answer_schema == {
            "type": "single_choice",
            "labels": ["pos", "neg", "neutral"],
        }
        assert (project.overlap, project.reward_cents, project.budget_cents) == (5, 3, 1000)
        assert project.deadline is not None
        assert project.deadline.isoformat() == "2031-01-31T18:00:00+00:00"
        assert (project.priority, project.required_skills) == (7, ["en"])
        assert project.instructions == "# Read carefully\n"

    @pytest.mark.parametrize(
        ("args", "schema"),
        [
            (["--type", "multiple_choice", "--labels", "a,b"], {"labels": ["a", "b"]}),
            (["--type", "rating", "--min", "0", "--max", "10", "--step", "0.5"],
             {"min": 0.0, "max": 10.0, "step": 0.5}),
            (["--type", "text", "--max-length", "50"], {"max_length": 50}),
        ],
    )  # fmt: skip
    def test_other_types(
        self, run: Run, db: Database, args: list[str], schema: dict[str, object]
    ) -> None:
        result = run(*CREATE, *args)
        assert result.exit_code == 0, result.output
        (project,) = _projects(db)
        assert schema.items() <= project.answer_schema.items()

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--type", "single_choice", "--labels", "a,a"], "labels must be unique"),
            (["--type", "single_choice", "--labels", "a"], "at least 2"),
            (["--type", "single_choice"], "needs --labels"),
            (["--type", "rating", "--labels", "a,b"], "--labels does not apply to --type rating"),
            (["--type", "rating", "--min", "5", "--max", "1"], "min < max"),
            (["--type", "video"], "--type must be one of"),
            (["--type", "text", "--overlap", "0"], "overlap"),
            (["--type", "text", "--deadline", "next week"], "--deadline must be an ISO 8601"),
            (["--type", "text", "--instructions-file", "/nonexistent.md"], "/nonexistent.md"),
        ],
    )
    def test_bad_input_creates_nothing(
        self, run: Run, db: Database, args: list[str], message: str
    ) -> None:
        result = run(*CREATE, *args)
        assert result.exit_code == 1, result.output
        assert message in last_error(result)
        assert _projects(db) == []

    @pytest.mark.parametrize(
        ("owner", "message"),
        [("wes", "only requesters and admins create projects"), ("nobody", "'nobody' not found")],
    )
    def test_owner_must_be_a_requester(
        self, run: Run, db: Database, owner: str, message: str
    ) -> None:
        args = ["--type", "text"]
        result = run("project", "create", "--owner", owner, "--name", "X", *args)
        assert result.exit_code == 1
        assert message in last_error(result)
        assert _projects(db) == []


class TestProjectListAndShow:
    @pytest.mark.usefixtures("people")
    def test_list_filters_by_owner(self, run: Run) -> None:
        run(*CREATE, "--type", "text")
        run("project", "create", "--owner", "rob", "--name", "Other", "--type", "text")
        everything = run("project", "list").stdout.splitlines()
        assert [line.split("\t")[-1] for line in everything] == ["Reviews", "Other"]
        mine = run("project", "list", "--owner", "rob").stdout.splitlines()
        assert [line.split("\t")[-1] for line in mine] == ["Other"]
        assert (
            last_error(run("project", "list", "--owner", "ghost"))
            == "error: user 'ghost' not found"
        )

    def test_show_includes_stats(self, run: Run, db: Database) -> None:
        with unit_of_work(db) as session:
            owner = make_user(session, role=Role.requester)
            project = make_project(session, owner)
            make_tasks(session, project, 4)
            make_tasks(session, project, 1, gold="cat")
        result = run("project", "show", str(project.id))
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert shown["name"] == "Animals"
        assert shown["stats"]["tasks"] == 5
        assert shown["stats"]["control_tasks"] == 1

    def test_progress(self, run: Run, db: Database) -> None:
        with unit_of_work(db) as session:
            owner = make_user(session, role=Role.requester)
            project = make_project(session, owner, overlap=2)
            make_tasks(session, project, 3)
        result = run("project", "progress", str(project.id))
        assert result.exit_code == 0, result.output
        shown = json.loads(result.stdout)
        assert shown["answers_wanted"] == 6
        assert shown["stats"]["tasks"] == 3
        assert shown["estimated_accuracy"] is None
        missing = run("project", "progress", "424242")
        assert missing.exit_code == 1
        assert last_error(missing) == "error: project 424242 not found"

    def test_show_unknown_project(self, run: Run) -> None:
        result = run("project", "show", "12345")
        assert result.exit_code == 1
        assert last_error(result) == "error: project 12345 not found"
