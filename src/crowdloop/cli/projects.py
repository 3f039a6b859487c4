"""``crowdloop project``: create, list and show projects."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from crowdloop.cli._common import operator, state, unit
from crowdloop.errors import InvalidInput
from crowdloop.projects.task_types import TASK_TYPES

if TYPE_CHECKING:
    from crowdloop.projects.models import Project

app = typer.Typer(help="Create, list and inspect projects.", no_args_is_help=True)

_CHOICE = ("single_choice", "multiple_choice")


def answer_schema(
    task_type: str,
    labels: str | None,
    low: float | None,
    high: float | None,
    step: float | None,
    max_length: int | None,
) -> dict[str, Any]:
    """The answer schema described by the ``project create`` options, checked for misuse."""
    if task_type not in TASK_TYPES:
        raise InvalidInput(f"--type must be one of {', '.join(TASK_TYPES)}, got {task_type!r}")
    given = {"--labels": labels, "--min": low, "--max": high, "--step": step}
    given["--max-length"] = max_length
    allowed = {
        "single_choice": {"--labels"},
        "multiple_choice": {"--labels"},
        "rating": {"--min", "--max", "--step"},
        "text": {"--max-length"},
    }[task_type]
    misplaced = [name for name, value in given.items() if value is not None and name not in allowed]
    if misplaced:
        raise InvalidInput(f"{', '.join(misplaced)} does not apply to --type {task_type}")
    if task_type in _CHOICE:
        if labels is None:
            raise InvalidInput(f"--type {task_type} needs --labels, e.g. --labels cat,dog,bird")
        return {"type": task_type, "labels": [x.strip() for x in labels.split(",")]}
    schema: dict[str, Any] = {"type": task_type}
    extra = {"min": low, "max": high, "step": step, "max_length": max_length}
    schema.update({k: v for k, v in extra.items() if v is not None})
    return schema


def parse_deadline(value: str | None) -> datetime | None:
    """ISO 8601 date or date-time; without a timezone it is taken as UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"--deadline must be an ISO 8601 date-time such as 2030-01-31T18:00:00+00:00, "
            f"got {value!r}"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _read_instructions(path: Path | None) -> str:
    if path is None:
        return ""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read instructions file {path}: {exc}") from None


@app.command("create")
def create(  # noqa: PLR0913
    ctx: typer.Context,
    owner: Annotated[str, typer.Option(help="Username of the requester who owns it.")],
    name: Annotated[str, typer.Option(help="Project name.")],
    task_type: Annotated[
        str, typer.Option("--type", help=f"Answer type: {', '.join(TASK_TYPES)}.")
    ],
    labels: Annotated[
        str | None, typer.Option(help="Comma-separated labels (single/multiple choice).")
    ] = None,
    low: Annotated[float | None, typer.Option("--min", help="Rating minimum (default 1).")] = None,
    high: Annotated[float | None, typer.Option("--max", help="Rating maximum (default 5).")] = None,
    step: Annotated[float | None, typer.Option(help="Rating step (default 1).")] = None,
    max_length: Annotated[
        int | None, typer.Option(help="Longest text answer (default 1000).")
    ] = None,
    overlap: Annotated[int, typer.Option(help="Answers wanted per task.")] = 3,
    reward_cents: Annotated[int, typer.Option(help="Reward per answer, in cents.")] = 0,
    budget_cents: Annotated[int | None, typer.Option(help="Total budget, in cents.")] = None,
    deadline: Annotated[
        str | None, typer.Option(help="ISO 8601 date-time; UTC when no timezone is given.")
    ] = None,
    priority: Annotated[int, typer.Option(help="Higher is served first (-1000..1000).")] = 0,
    skill: Annotated[
        list[str] | None,
        typer.Option("--skill", metavar="SKILL", help="A required skill; repeat for several."),
    ] = None,
    instructions_file: Annotated[
        Path | None, typer.Option(help="Markdown file with the instructions for workers.")
    ] = None,
) -> None:
    """Create a project owned by a requester (or an admin); prints its id."""
    from crowdloop.accounts import service as accounts
    from crowdloop.projects import service
    from crowdloop.projects.schemas import ProjectCreate

    data = ProjectCreate(
        name=name,
        instructions=_read_instructions(instructions_file),
        answer_schema=answer_schema(task_type, labels, low, high, step, max_length),
        overlap=overlap,
        reward_cents=reward_cents,
        budget_cents=budget_cents,
        deadline=parse_deadline(deadline),
        priority=priority,
        required_skills=skill or [],
    )
    with unit(ctx) as session:
        user = accounts.get_user_by_username(session, owner)
        lease = state(ctx).settings.lease_seconds
        project = service.create_project(session, user, data, default_lease=lease)
    typer.echo(f"created project {project.id}: {project.name}")


@app.command("list")
def list_projects(
    ctx: typer.Context,
    owner: Annotated[str | None, typer.Option(help="Only projects of this user.")] = None,
) -> None:
    """List projects: id, owner id, type, status, name."""
    from crowdloop.accounts import service as accounts
    from crowdloop.projects import service

    with unit(ctx, write=False) as session:
        owner_id = None if owner is None else accounts.get_user_by_username(session, owner).id
        projects = service.list_projects(session, operator())
        for p in (p for p in projects if owner_id in (None, p.owner_id)):
            typer.echo(f"{p.id}\t{p.owner_id}\t{p.task_type}\t{p.status.value}\t{p.name}")


def _describe(project: Project, stats: dict[str, Any]) -> dict[str, Any]:
    from crowdloop.projects.schemas import ProjectRead

    read = ProjectRead.model_validate(project).model_dump(mode="json")
    read.pop("instructions")
    return {**read, "stats": stats}


@app.command("show")
def show(
    ctx: typer.Context,
    project_id: Annotated[int, typer.Argument(metavar="ID", help="Project id.")],
) -> None:
    """Show a project's settings and progress (tasks, answers, budget) as JSON."""
    from crowdloop.projects import access, service

    with unit(ctx, write=False) as session:
        project = access.for_manager(session, operator(), project_id)
        stats = service.project_stats(session, project).model_dump(mode="json")
        stats.pop("project_id")
        described = _describe(project, stats)
    typer.echo(json.dumps(described, indent=2))


@app.command("progress")
def progress(
    ctx: typer.Context,
    project_id: Annotated[int, typer.Argument(metavar="ID", help="Project id.")],
) -> None:
    """Live figures as JSON: progress, spend, answers per hour, ETA, estimated accuracy."""
    from crowdloop.monitoring import service as monitoring
    from crowdloop.projects import access

    with unit(ctx, write=False) as session:
        project = access.for_manager(session, operator(), project_id)
        figures = monitoring.progress(session, project).model_dump(mode="json")
    typer.echo(json.dumps(figures, indent=2))
