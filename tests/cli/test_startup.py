"""Light commands never import the heavy numeric libraries (issue 12: startup).

scikit-learn, pandas and scipy cost about 3 CPU-seconds to import; a command that only
moves tasks or lists accounts must not pay for them. Each check runs in a fresh
interpreter, so that what another test imported cannot hide (or cause) a failure.
``--help`` (the root's and every group's) goes further: it imports neither SQLAlchemy (nor
the models), Alembic, huey, redis, numpy, pyarrow, the web server nor the settings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("sklearn", "pandas", "scipy", "torch")

# Runs the light commands in order through typer's CliRunner, then prints, for each command,
# its exit code and which heavy modules had been imported by then.
PROBE = """
import json, sys
from typer.testing import CliRunner
from crowdloop.cli.main import app

url, tasks, out = sys.argv[1:4]
commands = [
    ["--help"],
    ["db", "upgrade"],
    ["users", "create", "req", "--role", "requester", "--password", "secret-123"],
    ["users", "list"],
    ["project", "create", "--owner", "req", "--name", "p", "--type", "single_choice",
     "--labels", "a,b"],
    ["project", "list"],
    ["project", "show", "1"],
    ["import", "1", tasks],
    ["export", "1", "--output", out],
    ["jobs", "list"],
    ["audit"],
]
runner = CliRunner()
seen = []
for command in commands:
    result = runner.invoke(app, ["--database-url", url, *command])
    heavy = [m for m in HEAVY if m in sys.modules]
    seen.append({"command": command, "exit": result.exit_code, "heavy": heavy,
                 "output": result.output[-300:]})
print(json.dumps(seen))
"""


def _fresh(code: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_light_commands_import_no_heavy_library(tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"text": "one"}\n{"data": {"text": "two"}, "external_id": "t2"}\n')
    url = f"sqlite:///{tmp_path / 'light.db'}"
    probe = f"HEAVY = {HEAVY!r}\n{PROBE}"
    runs = json.loads(_fresh(probe, url, str(tasks), str(tmp_path / "out.csv")))
    for run in runs:
        assert run["exit"] == 0, run
        assert run["heavy"] == [], f"{' '.join(run['command'])} imported {run['heavy']}"
    assert "imported 2 of 2 rows" in runs[7]["output"]


def test_the_cli_entry_point_imports_no_heavy_library() -> None:
    code = (
        "import sys, crowdloop, crowdloop.cli.main\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    assert _fresh(code).strip() == "[]"


def test_crowdloop_help_as_a_whole_process_imports_no_heavy_library() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "crowdloop", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "import" in done.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert {name.split(".")[0] for name in imported} & set(HEAVY) == set()


# What `--help` (the root's and each group's) must not import either: the database layer,
# migrations, the job queue, the numeric and columnar libraries, the web server, the domains.
START_UP = (
    "sqlalchemy",
    "alembic",
    "huey",
    "redis",
    "numpy",
    "pyarrow",
    "uvicorn",
    "fastapi",
    "crowdloop.config",
    "crowdloop.wiring",
    "crowdloop.storage",
    "crowdloop.accounts.models",
)
HELP = (
    [],
    ["db"],
    ["users"],
    ["tokens"],
    ["project"],
    ["project", "create"],
    ["quality"],
    ["ai"],
    ["webhooks"],
    ["jobs"],
    ["aggregate"],
    ["replay"],
    ["assign"],
    ["import"],
    ["export"],
    ["serve"],
    ["demo"],
    ["worker"],
    ["simulate"],
    ["simulate-crowd"],
)

# Each --help in a fresh interpreter: its exit code and the start-up modules it imported.
HELP_PROBE = """
import json, sys
from crowdloop.cli.main import main

sys.argv = ["crowdloop", *json.loads(sys.argv[1]), "--help"]
try:
    main()
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "imported": [m for m in START_UP if m in sys.modules]}),
      file=sys.stderr)
"""


def test_help_imports_no_database_queue_or_numeric_library() -> None:
    probe = f"START_UP = {START_UP!r}\n{HELP_PROBE}"
    for command in HELP:
        done = subprocess.run(
            [sys.executable, "-c", probe, json.dumps(command)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Usage: crowdloop" in done.stdout, command
        seen = json.loads(done.stderr.strip().splitlines()[-1])
        assert seen == {"exit": 0, "imported": []}, f"crowdloop {' '.join(command)} --help: {seen}"


def test_crowdloop_help_as_a_whole_process_imports_no_start_up_library() -> None:
    command = [sys.executable, "-X", "importtime", "-m", "crowdloop", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert imported & set(START_UP) == set()
    assert {name.split(".")[0] for name in imported} & set(START_UP) == set()


def test_the_cli_copy_of_max_capacity_agrees_with_allocation() -> None:
    from crowdloop.allocation.schemas import MAX_CAPACITY
    from crowdloop.cli import assign

    assert assign.MAX_CAPACITY == MAX_CAPACITY


def test_the_light_method_names_are_the_registry_keys() -> None:
    from crowdloop.algorithms import methods
    from crowdloop.algorithms.replay import MODELS
    from crowdloop.algorithms.truth import CATEGORICAL_METHODS, METHODS, NUMERIC_METHODS

    assert tuple(CATEGORICAL_METHODS) == methods.CATEGORICAL
    assert tuple(NUMERIC_METHODS) == methods.NUMERIC
    assert tuple(METHODS) == methods.ALL
    assert MODELS == methods.REPLAY_MODELS == ("online", *methods.CATEGORICAL)
