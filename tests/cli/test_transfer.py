"""``crowdloop import`` and ``crowdloop export`` on both backends."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from crowdloop.accounts.models import Role
from crowdloop.cli import transfer
from crowdloop.projects import service
from crowdloop.projects.models import Project
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from tests.cli.conftest import Run, last_error
from tests.factories.accounts import make_user
from tests.factories.projects import make_project

GOOD_CSV = "external_id,text,gold\na1,purring,cat\na2,barking,\na3,tweeting,bird\n"
BAD_CSV = "external_id,text,gold\na1,purring,cat\na2,barking,horse\na3,tweeting,\n"


@pytest.fixture
def project(db: Database) -> Project:
    with unit_of_work(db) as session:
        return make_project(session, make_user(session, role=Role.requester), overlap=2)


def _n_tasks(db: Database, project: Project) -> int:
    with unit_of_work(db, write=False) as session:
        return service.project_stats(session, project).tasks


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestImport:
    def test_csv_by_extension(
        self, run: Run, db: Database, project: Project, tmp_path: Path
    ) -> None:
        result = run("import", str(project.id), str(_write(tmp_path, "t.csv", GOOD_CSV)))
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"imported 3 of 3 rows into project {project.id}")
        assert _n_tasks(db, project) == 3
        with unit_of_work(db, write=False) as session:
            assert service.project_stats(session, project).control_tasks == 2

    def test_jsonl_with_explicit_format(
        self, run: Run, db: Database, project: Project, tmp_path: Path
    ) -> None:
        lines = "\n".join(json.dumps({"data": {"text": f"t{i}"}}) for i in range(120))
        path = _write(tmp_path, "tasks.txt", lines + "\n")
        result = run("import", str(project.id), str(path), "--format", "jsonl")
        assert result.exit_code == 0, result.output
        assert _n_tasks(db, project) == 120

    def test_bad_rows_reject_the_whole_file(
        self, run: Run, db: Database, project: Project, tmp_path: Path
    ) -> None:
        result = run("import", str(project.id), str(_write(tmp_path, "t.csv", BAD_CSV)))
        assert result.exit_code == 1
        assert "line 3: " in result.stderr
        assert "horse" in result.stderr
        assert last_error(result).startswith("error: 1 bad row(s) of 3; nothing imported")
        assert _n_tasks(db, project) == 0

    def test_skip_imports_the_good_rows(
        self, run: Run, db: Database, project: Project, tmp_path: Path
    ) -> None:
        path = _write(tmp_path, "t.csv", BAD_CSV)
        result = run("import", str(project.id), str(path), "--on-error", "skip")
        assert result.exit_code == 0, result.output
        assert "warning: skipped line 3:" in result.stderr
        assert "imported 2 of 3 rows" in result.stdout
        assert _n_tasks(db, project) == 2

    @pytest.mark.parametrize(
        ("name", "text", "message"),
        [
            ("t.xlsx", GOOD_CSV, "cannot tell the format of 't.xlsx'"),
            ("t.csv", "", "the file is empty"),
            ("t.json", "{not json", ""),
        ],
    )
    def test_bad_files_import_nothing(
        self, run: Run, db: Database, project: Project, tmp_path: Path, name: str, text: str,
        message: str,
    ) -> None:  # fmt: skip
        result = run("import", str(project.id), str(_write(tmp_path, name, text)))
        assert result.exit_code == 1, result.output
        assert message in last_error(result)
        assert _n_tasks(db, project) == 0

    def test_missing_file_and_unknown_project(
        self, run: Run, db: Database, project: Project, tmp_path: Path
    ) -> None:
        result = run("import", str(project.id), str(tmp_path / "absent.csv"))
        assert result.exit_code == 1
        assert "absent.csv" in last_error(result)
        result = run("import", "9999", str(_write(tmp_path, "t.csv", GOOD_CSV)))
        assert result.exit_code == 1
        assert last_error(result) == "error: project 9999 not found"
        assert _n_tasks(db, project) == 0
        assert run("import", str(project.id), "x.csv", "--format", "xml").exit_code == 2


class TestExport:
    def test_csv_to_stdout(self, run: Run, project: Project, tmp_path: Path) -> None:
        run("import", str(project.id), str(_write(tmp_path, "t.csv", GOOD_CSV)))
        result = run("export", str(project.id))
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(result.stdout.splitlines()))
        assert len(rows) == 3

    @pytest.mark.parametrize(("name", "fmt"), [("out.jsonl", None), ("out.txt", "jsonl")])
    def test_jsonl_to_a_file(
        self, run: Run, project: Project, tmp_path: Path, name: str, fmt: str | None
    ) -> None:
        run("import", str(project.id), str(_write(tmp_path, "t.csv", GOOD_CSV)))
        target = tmp_path / name
        args = ["--output", str(target)] + (["--format", fmt] if fmt else [])
        result = run("export", str(project.id), *args)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(records) == 3

    def test_label_studio_json(self, run: Run, project: Project, tmp_path: Path) -> None:
        run("import", str(project.id), str(_write(tmp_path, "t.csv", GOOD_CSV)))
        result = run("export", str(project.id), "--format", "labelstudio")
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)) == 3

    def test_unknown_project_writes_no_file(self, run: Run, tmp_path: Path) -> None:
        (tmp_path / "out").mkdir()
        target = tmp_path / "out" / "results.csv"
        result = run("export", "9999", "--output", str(target))
        assert result.exit_code == 1
        assert last_error(result) == "error: project 9999 not found"
        assert list(target.parent.iterdir()) == []
        missing_dir = run("export", "9999", "--output", str(tmp_path / "no" / "out.csv"))
        assert missing_dir.exit_code == 1


def test_progress_is_reported_every_hundred_thousand_rows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    report = transfer._progress()
    for n_rows in (5_000, 95_000, 100_000, 150_000, 205_000):
        report(n_rows)
    assert capsys.readouterr().err.splitlines() == ["100,000 rows read", "205,000 rows read"]
