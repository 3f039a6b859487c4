"""``crowdloop aggregate``: files in, one label per task out; no database involved."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from crowdloop.cli.main import app
from tests.cli.conftest import last_error

ANSWERS = """task,worker,label,comment
t1,w1,cat,
t1,w2,cat,sure
t1,w3,dog,
t2,w1,dog,
t2,w2,dog,
t3,w1,bird,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def aggregate(*args: str) -> Result:
    return CliRunner().invoke(app, ["aggregate", *args])


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


class TestAggregate:
    def test_majority_vote_one_row_per_task_in_input_order(self, tmp_path: Path) -> None:
        result = aggregate(str(write(tmp_path, "a.csv", ANSWERS)), "--method", "mv")
        assert result.exit_code == 0, result.output
        out = rows(result.stdout)
        assert out[0] == ["task", "label", "confidence"]
        assert [(t, label) for t, label, _ in out[1:]] == [
            ("t1", "cat"), ("t2", "dog"), ("t3", "bird")
        ]  # fmt: skip
        assert float(out[1][2]) == pytest.approx(2 / 3)
        assert result.stderr == ""

    def test_output_file_and_every_categorical_method(self, tmp_path: Path) -> None:
        labels = write(tmp_path, "a.csv", ANSWERS)
        for method in ("mv", "wmv", "ds", "one_coin", "glad", "mace", "auto"):
            target = tmp_path / f"{method}.csv"
            result = aggregate(str(labels), "--method", method, "--output", str(target))
            assert result.exit_code == 0, (method, result.output)
            assert result.stdout == ""
            assert [r[0] for r in rows(target.read_text())[1:]] == ["t1", "t2", "t3"]

    def test_gold_fixes_known_tasks(self, tmp_path: Path) -> None:
        labels = write(tmp_path, "a.csv", ANSWERS)
        gold = write(tmp_path, "g.csv", "task,label\nt1,dog\nt9,cat\n")
        result = aggregate(str(labels), "--gold", str(gold))
        assert result.exit_code == 0, result.output
        assert rows(result.stdout)[1] == ["t1", "dog", "1"]
        assert "1 gold task(s) have no answers" in result.stderr

    def test_repeated_answers_keep_the_last_with_a_warning(self, tmp_path: Path) -> None:
        text = "task,worker,label\nt1,w1,cat\nt1,w1,dog\nt1,w2,dog\n"
        result = aggregate(str(write(tmp_path, "a.csv", text)), "--method", "mv")
        assert result.exit_code == 0, result.output
        assert rows(result.stdout)[1] == ["t1", "dog", "1"]
        assert result.stderr.startswith("warning: 1 repeated answer(s)")

    def test_numeric_method_reads_numbers(self, tmp_path: Path) -> None:
        text = "task,worker,label\nt1,w1,4\nt1,w2,6\nt2,w1,1.5\n"
        result = aggregate(str(write(tmp_path, "a.csv", text)), "--method", "mean")
        assert result.exit_code == 0, result.output
        out = rows(result.stdout)
        assert [(t, float(v)) for t, v, _ in out[1:]] == [("t1", 5.0), ("t2", 1.5)]

    def test_labels_with_commas_and_header_case(self, tmp_path: Path) -> None:
        text = 'Task , WORKER,Label\nt1,w1,"yes, mostly"\n'
        result = aggregate(str(write(tmp_path, "a.csv", text)))
        assert result.exit_code == 0, result.output
        assert rows(result.stdout)[1][:2] == ["t1", "yes, mostly"]


class TestAggregateErrors:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "is empty"),
            ("task,worker,label\n", "has a header but no answers"),
            ("task,label\nt1,cat\n", "missing column(s) worker"),
            ("item,annotator,answer\n", "missing column(s) task, worker, label"),
            ("task,worker,label\nt1,w1,cat\nt2,,dog\n", "line 3: empty worker"),
            ("task,worker,label\nt1,w1\n", "line 2: empty label"),
            ('task,worker,label\nt1,w1,"cat\n', "not valid CSV"),
        ],
    )
    def test_malformed_labels_file(self, tmp_path: Path, text: str, message: str) -> None:
        result = aggregate(str(write(tmp_path, "a.csv", text)))
        assert result.exit_code == 1
        assert message in last_error(result)
        assert result.stdout == ""

    def test_missing_and_binary_files(self, tmp_path: Path) -> None:
        result = aggregate(str(tmp_path / "nope.csv"))
        assert result.exit_code == 1
        assert "does not exist" in last_error(result)
        binary = tmp_path / "b.csv"
        binary.write_bytes(b"task,worker,label\n\xff\xfe\x00\x81\n")
        result = aggregate(str(binary))
        assert result.exit_code == 1
        assert "not valid CSV" in last_error(result)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "is empty"),
            ("task\nt1\n", "missing column(s) label"),
            ("task,label\n", "has a header but no rows"),
            ("task,label\nt1,cat\nt1,dog\n", "line 3: task 't1' has two gold labels"),
        ],
    )
    def test_malformed_gold_file(self, tmp_path: Path, text: str, message: str) -> None:
        labels = write(tmp_path, "a.csv", ANSWERS)
        result = aggregate(str(labels), "--gold", str(write(tmp_path, "g.csv", text)))
        assert result.exit_code == 1
        assert message in last_error(result)

    def test_unknown_method(self, tmp_path: Path) -> None:
        result = aggregate(str(write(tmp_path, "a.csv", ANSWERS)), "--method", "magic")
        assert result.exit_code == 1
        assert last_error(result).startswith("error: unknown method 'magic'; choose one of auto")

    def test_numeric_method_with_text_labels(self, tmp_path: Path) -> None:
        result = aggregate(str(write(tmp_path, "a.csv", ANSWERS)), "--method", "median")
        assert result.exit_code == 1
        assert "line 2: label 'cat' is not a finite number" in last_error(result)

    def test_failure_leaves_no_output_file(self, tmp_path: Path) -> None:
        target = tmp_path / "out.csv"
        result = aggregate(str(write(tmp_path, "a.csv", "")), "--output", str(target))
        assert result.exit_code == 1
        assert not target.exists()


class TestQualityOptions:
    def test_default_is_auto_and_workers_output(self, tmp_path: Path) -> None:
        labels = write(tmp_path, "a.csv", ANSWERS)
        workers = tmp_path / "w.csv"
        result = aggregate(str(labels), "--workers-output", str(workers))
        assert result.exit_code == 0, result.output
        with workers.open() as fh:
            rows = list(csv.DictReader(fh))
        assert rows
        assert set(rows[0]) == {"worker", "accuracy", "accuracy_low", "accuracy_high", "n_answers"}
        for row in rows:
            assert (
                float(row["accuracy_low"]) <= float(row["accuracy"]) <= float(row["accuracy_high"])
            )

    def test_kind_numeric_defaults_to_weighted(self, tmp_path: Path) -> None:
        text = "task,worker,label\nt1,a,1\nt1,b,3\nt2,a,10\nt2,b,12\n"
        workers = tmp_path / "w.csv"
        result = aggregate(
            str(write(tmp_path, "n.csv", text)),
            "--kind",
            "numeric",
            "--workers-output",
            str(workers),
        )
        assert result.exit_code == 0, result.output
        assert "t1," in result.stdout
        with workers.open() as fh:
            assert next(csv.DictReader(fh)).keys() == {"worker", "std", "bias", "n_answers"}

    def test_labels_outside_the_schema_are_rejected(self, tmp_path: Path) -> None:
        result = aggregate(str(write(tmp_path, "a.csv", ANSWERS)), "--labels", "onlyone,other")
        assert result.exit_code == 1
        assert "labels outside --labels" in last_error(result)

    def test_categorical_method_with_kind_numeric_is_an_error(self, tmp_path: Path) -> None:
        result = aggregate(
            str(write(tmp_path, "a.csv", ANSWERS)), "--kind", "numeric", "--method", "ds"
        )
        assert result.exit_code == 1
        assert "not numeric" in last_error(result)


class TestOutputBytes:
    """The output is written by pyarrow's CSV writer, or by the csv module when a value needs
    quotes; either way the bytes are those of ``csv.writer(lineterminator="\\n")``."""

    @staticmethod
    def expected(rows: list[tuple[str, ...]]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()

    @pytest.mark.parametrize(
        ("task", "label"),
        [("t1", "cat"), ('a,"b"', "x, y"), ("é ü", "naïve"), ("t 1", "big cat")],
    )
    def test_as_the_csv_module_writes_it(self, tmp_path: Path, task: str, label: str) -> None:
        answers = self.expected(
            [
                ("task", "worker", "label"),
                (task, "w1", label),
                (task, "w2", label),
                ("t2", "w1", "o"),
            ]
        )
        out = tmp_path / "out.csv"
        result = aggregate(str(write(tmp_path, "a.csv", answers)), "--method", "mv", "-o", str(out))
        assert result.exit_code == 0, result.output
        header = ("task", "label", "confidence")
        want = self.expected([header, (task, label, "1"), ("t2", "o", "1")])
        assert out.read_bytes() == want.encode("utf-8")
        on_stdout = aggregate(str(tmp_path / "a.csv"), "--method", "mv")
        assert on_stdout.stdout == want

    def test_numbers_keep_the_format_of_each_value(self, tmp_path: Path) -> None:
        answers = "task,worker,label\na,w1,-0\nb,w1,0\nc,w1,0.000012345678\nd,w1,1234567\n"
        result = aggregate(
            str(write(tmp_path, "n.csv", answers)), "--kind", "numeric", "--method", "median"
        )
        assert result.exit_code == 0, result.output
        values = [row[1] for row in rows(result.stdout)[1:]]
        assert values == [f"{v:.6g}" for v in (-0.0, 0.0, 0.000012345678, 1234567.0)]


def test_g6_formats_each_value_as_python_does() -> None:
    import numpy as np

    from crowdloop.cli._inference import g6

    values = [-0.0, 0.0, 0.0, float("nan"), 1e-5, 0.1234567, 0.1234567, 2.5e300, -1.0]
    assert g6(np.array(values)).to_pylist() == [f"{v:.6g}" for v in values]
