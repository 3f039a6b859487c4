"""``crowdloop replay`` and ``crowdloop simulate-crowd``: JSON output and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crowdloop.cli.main import app

from .conftest import last_error

LABELS = "task,worker,label\n" + "".join(
    f"t{t},w{w},{'a' if t < 3 or w < 2 else 'b'}\n" for t in range(6) for w in range(4)
)
GOLD = "task,label\n" + "".join(f"t{t},a\n" for t in range(6))
KEYS = {"labels_used", "labels_available", "labels_per_task", "accuracy", "tasks", "policy"}


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    labels, gold = tmp_path / "labels.csv", tmp_path / "gold.csv"
    labels.write_text(LABELS)
    gold.write_text(GOLD)
    return str(labels), str(gold)


def test_fixed_policy_prints_one_json_object(files: tuple[str, str]) -> None:
    labels, gold = files
    result = run("replay", labels, "--gold", gold, "--policy", "fixed", "--overlap", "3")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out.keys() >= KEYS
    assert out["labels_used"] == 18
    assert out["labels_available"] == 24
    assert out["labels_per_task"] == 3.0
    assert out["tasks"] == 6
    assert out["policy"]["name"] == "fixed"
    assert 0.0 <= out["accuracy"] <= 1.0


def test_adaptive_policy(files: tuple[str, str]) -> None:
    labels, gold = files
    result = run(
        "replay", labels, "--gold", gold, "--policy", "adaptive", "--confidence", "0.9",
        "--max-overlap", "4", "--min-overlap", "2", "--seed", "7",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["policy"] == {
        "name": "adaptive", "confidence": 0.9, "min_overlap": 2, "max_overlap": 4,
        "model": "online",
    }  # fmt: skip
    assert out["seed"] == 7
    assert 12 <= out["labels_used"] <= 24


def test_tasks_with_fewer_answers_than_the_minimum_are_reported(files: tuple[str, str]) -> None:
    labels, gold = files
    result = run("replay", labels, "--gold", gold, "--policy", "fixed", "--overlap", "5")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["short_tasks"] == 6
    assert out["short_task_examples"][0] == "t0"
    assert "fewer than 5 recorded answers" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--policy", "magic"), "unknown policy 'magic'"),
        (("--policy", "fixed"), "--policy fixed needs --overlap"),
        (("--policy", "adaptive", "--confidence", "0.9"), "needs --confidence C and --max-overlap"),
        (
            ("--policy", "adaptive", "--confidence", "1.5", "--max-overlap", "3"),
            "target_confidence",
        ),
        (("--policy", "fixed", "--overlap", "0"), "min_answers"),
        (("--policy", "fixed", "--overlap", "3", "--model", "nope"), "unknown model 'nope'"),
        (("--policy", "fixed", "--overlap", "3", "--gold", "missing.csv"), "does not exist"),
    ],
)
def test_bad_input_one_error_line(
    files: tuple[str, str], args: tuple[str, ...], message: str
) -> None:
    labels, _ = files
    result = run("replay", labels, *args)
    assert result.exit_code == 1
    assert message in last_error(result)
    assert result.stdout == ""


def test_missing_labels_file_and_gold_without_overlap(tmp_path: Path) -> None:
    result = run("replay", str(tmp_path / "none.csv"), "--policy", "fixed", "--overlap", "2")
    assert result.exit_code == 1
    assert "does not exist" in last_error(result)
    labels, gold = tmp_path / "l.csv", tmp_path / "g.csv"
    labels.write_text(LABELS)
    gold.write_text("task,label\nother,a\n")
    result = run("replay", str(labels), "--gold", str(gold), "--policy", "fixed", "--overlap", "2")
    assert result.exit_code == 1
    assert "none of the tasks" in last_error(result)


def test_simulate_crowd_prints_both_arms() -> None:
    result = run("simulate-crowd", "--workers", "20", "--tasks", "60", "--seed", "1")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"value", "random", "paid_answers_saved_share"} <= out.keys()
    assert out["value"]["allocator"] == "value"


def test_simulate_crowd_bad_input() -> None:
    result = run("simulate-crowd", "--labels", "1")
    assert result.exit_code == 1
    assert "labels >= 2" in last_error(result)
    result = run("simulate-crowd", "--confidence", "2")
    assert result.exit_code == 1
    assert "target_confidence" in last_error(result)
