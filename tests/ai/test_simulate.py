"""The simulated human + AI loop and the ``crowdloop simulate`` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from crowdloop.ai.crowd_sim import LabelledText, SimulatedCrowd, read_labelled_tsv
from crowdloop.ai.simulate import SimulationSettings, run_simulation
from crowdloop.cli.main import app
from crowdloop.errors import InvalidInput
from tests.ai.conftest import synthetic_corpus, write_tsv

# three classes: human labels are the bottleneck, so a 90% target with good workers
FAST = SimulationSettings(
    target_accuracy=0.9,
    error_rates=(0.05, 0.1, 0.15) * 5,
    validation_share=0.2,
    batch_share=0.1,
    max_rounds=4,
)


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    texts, labels = synthetic_corpus(1500)
    return run_simulation(LabelledText(texts, labels), FAST)


class TestRunSimulation:
    def test_report_has_the_headline_numbers(self, report: dict[str, object]) -> None:
        for key in (
            "human_answers",
            "human_answers_per_item",
            "auto_accepted_fraction",
            "auto_accepted_accuracy",
            "final_accuracy",
            "items",
            "settings",
            "rounds",
            "baseline_overlap3",
            "certificate",
            "audit",
            "status",
        ):
            assert key in report
        assert report["items"] == 1500
        json.dumps(report, allow_nan=False)

    def test_easy_data_is_mostly_auto_accepted_at_the_target(
        self, report: dict[str, object]
    ) -> None:
        assert isinstance(report["auto_accepted_fraction"], float)
        assert report["auto_accepted_fraction"] > 0.3
        assert isinstance(report["auto_accepted_accuracy"], float)
        assert report["auto_accepted_accuracy"] >= 0.9
        assert isinstance(report["final_accuracy"], float)
        assert report["final_accuracy"] >= 0.9
        assert isinstance(report["human_answers_per_item"], float)
        assert report["human_answers_per_item"] < 3.0

    def test_same_seed_same_report(self) -> None:
        texts, labels = synthetic_corpus(300)
        settings = SimulationSettings(max_rounds=2, validation_share=0.2)
        one = run_simulation(LabelledText(texts, labels), settings)
        two = run_simulation(LabelledText(texts, labels), settings)
        for report in (one, two):
            report.pop("model_version")
        assert one == two

    def test_too_few_human_labels_auto_accepts_nothing(self) -> None:
        texts, labels = synthetic_corpus(200)
        report = run_simulation(LabelledText(texts, labels), SimulationSettings(max_rounds=2))
        assert report["auto_accepted_fraction"] == 0.0
        assert report["auto_accepted_accuracy"] is None
        assert "too few human-labelled held-out items" in str(report["status"])
        assert report["human_answers"] > 0

    def test_max_items_and_bad_settings(self) -> None:
        texts, labels = synthetic_corpus(400)
        report = run_simulation(
            LabelledText(texts, labels), SimulationSettings(max_items=100, max_rounds=1)
        )
        assert report["items"] == 100
        with pytest.raises(ValueError, match="target_accuracy"):
            run_simulation(LabelledText(texts, labels), SimulationSettings(target_accuracy=1.5))


class TestSimulatedCrowd:
    def test_workers_match_their_accuracy_and_never_repeat(self) -> None:
        truth = np.zeros(4000, dtype=np.int64)
        crowd = SimulatedCrowd.build(
            truth, 5, error_rates=[0.2], spammer_share=0.0, rng=np.random.default_rng(0)
        )
        answers = [crowd.ask(i) for i in range(4000)]
        assert np.mean([a is not None and a[1] == 0 for a in answers]) == pytest.approx(
            0.8, abs=0.03
        )
        assert crowd.ask(0) is None  # the only worker already answered item 0

    def test_spammers_join_the_pool(self) -> None:
        crowd = SimulatedCrowd.build(
            np.zeros(3, np.int64),
            4,
            error_rates=[0.1] * 9,
            spammer_share=0.1,
            rng=np.random.default_rng(0),
        )
        assert crowd.n_workers == 10
        assert int(crowd.spammer.sum()) == 1


class TestReadLabelledTsv:
    def test_quoted_multiline_text(self, tmp_path: Path) -> None:
        path = tmp_path / "d.tsv"
        path.write_text('text\tlabel\n"two\nlines"\ta\nplain\tb\n\tb\n', encoding="utf-8")
        data = read_labelled_tsv(path)
        assert data.texts == ["two\nlines", "plain", ""]
        assert data.label_names == ["a", "b"]

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("words\tclass\nx\ta\n", "header must name"),
            ("text\tlabel\nx\t\n", "line 2: empty label"),
            ("text\tlabel\nx\ta\n", "2 distinct labels"),
            ("", "header must name"),
        ],
    )
    def test_bad_files(self, tmp_path: Path, content: str, message: str) -> None:
        path = tmp_path / "bad.tsv"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(InvalidInput, match=message):
            read_labelled_tsv(path)

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "bin.tsv"
        path.write_bytes(b"text\tlabel\n\xff\xfe\ta\n")
        with pytest.raises(InvalidInput, match="not UTF-8"):
            read_labelled_tsv(path)


class TestCli:
    runner = CliRunner()

    def test_prints_one_json_object(self, tmp_path: Path) -> None:
        texts, labels = synthetic_corpus(300)
        path = write_tsv(tmp_path / "t.tsv", texts, labels)
        result = self.runner.invoke(
            app,
            [
                "simulate",
                str(path),
                "--seed",
                "3",
                "--max-items",
                "200",
                "--workers",
                "0.1,0.2,0.3",
                "--spammer-share",
                "0",
            ],
        )
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["items"] == 200
        assert report["settings"]["seed"] == 3
        assert report["settings"]["error_rates"]["n_workers"] == 3
        assert report["file"] == "t.tsv"

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["missing.tsv"], "does not exist"),
            (["{tsv}", "--workers", "0.1,x"], "comma-separated error rates"),
            (["{tsv}", "--workers", "1.5"], "in [0, 1]"),
            (["{tsv}", "--model", "gpt"], "tfidf or embeddings"),
            (["{tsv}", "--target-accuracy", "2"], "target_accuracy"),
            (["{tsv}", "--spammer-share", "1"], "spammer_share"),
        ],
    )
    def test_bad_input_is_one_error_line(
        self, tmp_path: Path, args: list[str], message: str
    ) -> None:
        texts, labels = synthetic_corpus(20)
        tsv = str(write_tsv(tmp_path / "t.tsv", texts, labels))
        result = self.runner.invoke(app, ["simulate", *[a.replace("{tsv}", tsv) for a in args]])
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("error:")
        assert message in lines[0]
