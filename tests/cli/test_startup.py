"""Light commands never import the heavy numeric libraries (issue 12: startup).

scikit-learn, pandas and scipy cost about 3 CPU-seconds to import; a command that only
moves tasks or lists accounts must not pay for them. Each check runs in a fresh
interpreter, so that what another test imported cannot hide (or cause) a failure.
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
