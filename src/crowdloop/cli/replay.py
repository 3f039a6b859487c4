"""``crowdloop replay``: what an overlap policy would have cost and delivered on a past
project, replayed from its recorded answers (see crowdloop.algorithms.replay)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdloop.algorithms.methods import REPLAY_MODELS as MODELS
from crowdloop.cli._common import warn
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    from crowdloop.algorithms.answers import Answers, Codebook
    from crowdloop.algorithms.replay import ReplayPolicy, ReplayResult
    from crowdloop.cli._tables import Gold

_EXAMPLES = 10


def _policy(
    policy: str,
    overlap: int | None,
    confidence: float | None,
    bounds: tuple[int | None, int],
    model: str,
) -> ReplayPolicy:
    from crowdloop.algorithms.replay import ReplayPolicy

    max_overlap, min_overlap = bounds
    name = policy.lower()
    try:
        if name == "fixed":
            if overlap is None:
                raise InvalidInput("--policy fixed needs --overlap K")
            return ReplayPolicy.fixed(overlap, model=model)
        if name == "adaptive":
            if confidence is None or max_overlap is None:
                raise InvalidInput("--policy adaptive needs --confidence C and --max-overlap K")
            return ReplayPolicy.adaptive(
                confidence, max_overlap, min_overlap=min_overlap, model=model
            )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    raise InvalidInput(f"unknown policy {policy!r}; choose fixed or adaptive")


def _encode(labels_csv: Path, gold: Gold | None) -> tuple[Answers, Codebook, Any]:
    import numpy as np

    from crowdloop.algorithms.answers import Answers, Codebook, dedupe
    from crowdloop.cli._tables import ANSWER_COLUMNS, encode_answers, read_table

    table = read_table(labels_csv, ANSWER_COLUMNS, "labels file")
    if not table.n_rows:
        raise InvalidInput(f"{labels_csv} has a header but no answers")
    labels = Codebook([*table.columns["label"].values, *(gold.labels.values() if gold else ())])
    answers, tasks, _ = encode_answers(table, labels)
    deduped, n_removed = dedupe(answers, keep="last")
    if n_removed:
        warn(f"{n_removed} repeated answer(s) (same worker, same task) dropped; the last counts")
    codes = np.full(len(tasks), -1, dtype=np.int64)
    if gold is not None:
        known = [t for t in gold.labels if t in tasks]
        if not known:
            raise InvalidInput(f"none of the tasks in {gold.path} has answers in {labels_csv}")
        codes[tasks.encode(known)] = labels.encode([gold.labels[t] for t in known])
    assert isinstance(deduped, Answers)
    return deduped, tasks, codes


def result_json(result: ReplayResult, tasks: Codebook) -> dict[str, Any]:
    """The JSON object printed by the command."""
    short = tasks.decode(result.short_tasks[:_EXAMPLES])
    return {
        "policy": result.policy.describe(),
        "seed": result.seed,
        "tasks": result.tasks,
        "gold_tasks": result.gold_tasks,
        "labels_available": result.labels_available,
        "labels_used": result.labels_used,
        "labels_per_task": round(result.labels_per_task, 4),
        "labels_saved_share": round(1.0 - result.labels_used / result.labels_available, 4),
        "accuracy": None if result.accuracy is None else round(result.accuracy, 4),
        "rounds": result.rounds,
        "short_tasks": int(result.short_tasks.size),
        "short_task_examples": [str(t) for t in short],
    }


def replay_command(  # noqa: PLR0913
    labels_csv: Annotated[
        Path, typer.Argument(metavar="LABELS.csv", help="Recorded answers: task,worker,label.")
    ],
    gold: Annotated[
        Path | None,
        typer.Option(metavar="GOLD.csv", help="Known answers (task,label) to score accuracy."),
    ] = None,
    policy: Annotated[str, typer.Option(help="fixed or adaptive.")] = "adaptive",
    overlap: Annotated[
        int | None, typer.Option(help="Answers per task (fixed policy).", show_default=False)
    ] = None,
    confidence: Annotated[
        float | None,
        typer.Option(help="Target posterior confidence (adaptive).", show_default=False),
    ] = None,
    max_overlap: Annotated[
        int | None, typer.Option(help="Most answers per task (adaptive).", show_default=False)
    ] = None,
    min_overlap: Annotated[int, typer.Option(help="Fewest answers per task (adaptive).")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the answers' arrival order.")] = 0,
    model: Annotated[
        str, typer.Option(help=f"Worker-quality model: {', '.join(MODELS)}.")
    ] = "online",
) -> None:
    """Replay recorded answers under an overlap policy; prints one JSON object.

    Each task's answers arrive in a random (seeded) order; after each answer the policy
    decides whether the task needs another; worker quality is learned online from the
    answers so far (gold only scores the result).
    """
    from crowdloop.algorithms.replay import replay
    from crowdloop.cli._tables import read_gold

    if model not in MODELS:
        raise InvalidInput(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    chosen = _policy(policy, overlap, confidence, (max_overlap, min_overlap), model)
    known = None if gold is None else read_gold(gold)
    answers, tasks, codes = _encode(labels_csv, known)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = replay(answers, chosen, gold=codes, seed=seed)
    for w in caught:
        warn(str(w.message))
    if result.short_tasks.size:
        warn(
            f"{result.short_tasks.size} task(s) have fewer than "
            f"{chosen.overlap.min_answers} recorded answers, e.g. "
            f"{tasks.decode(result.short_tasks[:1])[0]!r}"
        )
    typer.echo(json.dumps(result_json(result, tasks)))


def register(app: typer.Typer) -> None:
    app.command("replay")(replay_command)
