"""``crowdloop simulate-crowd``: value-based matching vs random assignment on a seeded
synthetic crowd (see crowdloop.algorithms.simulate_crowd); prints one JSON object."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

from crowdloop.errors import InvalidInput


def simulate_crowd(  # noqa: PLR0913
    workers: Annotated[int, typer.Option(help="Number of workers.")] = 100,
    tasks: Annotated[int, typer.Option(help="Number of tasks.")] = 1000,
    labels: Annotated[int, typer.Option(help="Classes per task.")] = 3,
    spammers: Annotated[float, typer.Option(help="Share of spammers.")] = 0.2,
    confidence: Annotated[float, typer.Option(help="Dynamic overlap target confidence.")] = 0.9,
    max_overlap: Annotated[int, typer.Option(help="Most answers per task.")] = 7,
    min_overlap: Annotated[int, typer.Option(help="Fewest answers per task.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed of the crowd, tasks and schedule.")] = 0,
) -> None:
    """Simulate a crowd twice (value-based matching, random assignment) under the same
    dynamic overlap; report paid answers, accuracy, deadline hit rate and cost."""
    from crowdloop.algorithms.allocation.overlap import OverlapPolicy
    from crowdloop.algorithms.simulate_crowd import CrowdConfig, compare

    try:
        config = dataclasses.replace(
            CrowdConfig(), n_workers=workers, n_tasks=tasks, n_labels=labels,
            spammer_share=spammers,
        )  # fmt: skip
        policy = OverlapPolicy(min_overlap, max_overlap, confidence)
        if workers < 1 or tasks < 1 or labels < 2 or not 0.0 <= spammers <= 1.0:
            raise ValueError("need workers >= 1, tasks >= 1, labels >= 2 and 0 <= spammers <= 1")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    arms = compare(config, policy, seed=seed)
    out = {
        "config": dataclasses.asdict(config),
        "policy": dataclasses.asdict(policy),
        "seed": seed,
        **{name: dataclasses.asdict(arm) for name, arm in arms.items()},
    }
    value, rand = arms["value"], arms["random"]
    out["paid_answers_saved_share"] = round(1.0 - value.paid_answers / max(rand.paid_answers, 1), 4)
    typer.echo(json.dumps(out))


def register(app: typer.Typer) -> None:
    app.command("simulate-crowd")(simulate_crowd)
