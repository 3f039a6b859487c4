"""``crowdloop simulate``: the full human + AI labelling loop on a labelled text file.

Reads ``text<TAB>label`` rows (header ``text<TAB>label``, csv dialect excel-tab), hides
the labels, lets simulated workers answer, trains the model in active-learning rounds,
auto-accepts answers above a certified threshold and audits them. Prints one JSON object
on stdout; progress goes to stderr. Seeded and reproducible.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from crowdloop.cli._common import info
from crowdloop.errors import InvalidInput


def simulate_module() -> ModuleType:
    """The simulation, imported on use: it loads scikit-learn, which every other command
    (and the start-up of each) should not pay for."""
    return importlib.import_module("crowdloop.ai.simulate")


def _error_rates(text: str | None) -> tuple[float, ...]:
    if text is None:
        return tuple(simulate_module().default_error_rates())
    try:
        rates = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InvalidInput(f"--workers must be comma-separated error rates, got {text!r}") from None
    if not rates or any(not 0.0 <= r <= 1.0 for r in rates):
        raise InvalidInput("--workers error rates must be numbers in [0, 1]")
    return rates


def simulate(  # noqa: PLR0913 - one option per CLI flag
    file: Annotated[Path, typer.Argument(help="Labelled TSV: header text<TAB>label.")],
    target_accuracy: Annotated[
        float, typer.Option(help="Required accuracy of auto-accepted answers.")
    ] = 0.95,
    workers: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated error rates, one per honest worker "
            "[default: 40 workers, 0.05..0.30]."
        ),
    ] = None,
    spammer_share: Annotated[
        float, typer.Option(help="Share of the worker pool answering at random.")
    ] = 0.1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    model: Annotated[
        str, typer.Option(help="tfidf or embeddings (extra crowdloop[ai]).")
    ] = "tfidf",
    max_items: Annotated[
        int | None, typer.Option(help="Use a random subset of this many items.")
    ] = None,
    embedding_cache: Annotated[
        Path | None, typer.Option(help="File (.npz) caching embeddings across runs.")
    ] = None,
) -> None:
    """Simulate the human + AI labelling loop on FILE and print one JSON report."""
    from crowdloop.ai.crowd_sim import read_labelled_tsv

    if not file.is_file():
        raise InvalidInput(f"{file} does not exist or is not a file")
    if model not in ("tfidf", "embeddings"):
        raise InvalidInput(f"--model must be tfidf or embeddings, got {model!r}")
    if model == "embeddings":
        from crowdloop.ai.backends.embeddings import embeddings_available

        reason = embeddings_available()
        if reason is not None:
            raise InvalidInput(f"--model embeddings needs the ai extra: {reason}")
    sim = simulate_module()
    settings = sim.SimulationSettings(
        target_accuracy=target_accuracy,
        error_rates=_error_rates(workers),
        spammer_share=spammer_share,
        seed=seed,
        model=model,
        max_items=max_items,
        embedding_cache=str(embedding_cache) if embedding_cache else None,
    )
    try:
        settings.validate()
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    report: dict[str, Any] = sim.run_simulation(read_labelled_tsv(file), settings, progress=info)
    report["file"] = file.name
    typer.echo(json.dumps(report, sort_keys=False))


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
