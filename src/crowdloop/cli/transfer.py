"""``crowdloop import`` and ``crowdloop export``: tasks in, results out, both streamed."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from crowdloop.cli._common import fail, info, operator, state, unit, warn
from crowdloop.errors import InvalidInput

if TYPE_CHECKING:
    from crowdloop.projects.importing import ImportReport

PROGRESS_EVERY = 100_000


class Format(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"
    labelstudio = "labelstudio"


class OnErrorChoice(StrEnum):
    reject = "reject"
    skip = "skip"


def _progress() -> Callable[[int], None]:
    """Print 'N rows read' on stderr each time another PROGRESS_EVERY rows are read."""
    shown = 0

    def report(n_rows: int) -> None:
        nonlocal shown
        if n_rows // PROGRESS_EVERY > shown // PROGRESS_EVERY:
            info(f"{n_rows:,} rows read")
        shown = n_rows

    return report


def _row_errors(report: ImportReport) -> list[str]:
    lines = [
        f"{'line ' + str(e.line) if e.line is not None else 'item ' + str(e.index)}: {e.reason}"
        for e in report.errors
    ]
    if report.errors_truncated:
        lines.append(f"... {report.n_errors - len(report.errors)} more bad rows not listed")
    return lines


def import_command(
    ctx: typer.Context,
    project_id: Annotated[int, typer.Argument(metavar="PROJECT_ID", help="Project id.")],
    file: Annotated[Path, typer.Argument(metavar="FILE", help="CSV, JSONL or Label Studio JSON.")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="File format (default: from the file extension)."),
    ] = None,
    on_error: Annotated[
        OnErrorChoice,
        typer.Option(help="reject: import nothing if any row is bad; skip: import the good rows."),
    ] = OnErrorChoice.reject,
) -> None:
    """Import tasks from FILE into a project, streaming (constant memory).

    Bad rows are listed with their line numbers on stderr. With --on-error reject (the
    default) a file with any bad row imports nothing.
    """
    from crowdloop.projects import access
    from crowdloop.projects.importing import ImportRejected, detect_format, import_tasks

    settings = state(ctx).settings
    chosen = Format(fmt.value) if fmt is not None else Format(detect_format(file.name))
    try:
        stream: BinaryIO = file.open("rb")
    except OSError as exc:
        raise InvalidInput(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        with stream, unit(ctx) as session:
            project = access.for_manager(session, operator(), project_id)
            report = import_tasks(
                session,
                project,
                stream,
                fmt=chosen.value,
                source=file.name,
                on_error=on_error.value,
                batch_size=settings.import_batch_size,
                progress=_progress(),
            )
    except ImportRejected as exc:
        for line in _row_errors(exc.report):
            info(line)
        hint = " (--on-error skip imports the good rows)" if exc.report.n_errors else ""
        fail(f"{exc.report.n_errors} bad row(s) of {exc.report.n_rows}; nothing imported{hint}")
    for line in _row_errors(report):
        warn(f"skipped {line}")
    for note in report.notes:
        warn(note)
    typer.echo(
        f"imported {report.n_imported} of {report.n_rows} rows into project {project_id} "
        f"(batch {report.batch_id}, {report.n_errors} skipped)"
    )


@contextmanager
def _output(path: Path | None) -> Iterator[BinaryIO]:
    """stdout, or a temporary file renamed to ``path`` only once the export succeeded."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    directory = path.resolve().parent
    if not directory.is_dir():
        raise InvalidInput(f"cannot write {path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _export_format(fmt: ExportFormat | None, output: Path | None) -> ExportFormat:
    if fmt is not None:
        return fmt
    if output is not None and output.suffix.lower() in (".csv", ".jsonl", ".json"):
        return ExportFormat(output.suffix.lower()[1:])
    return ExportFormat.csv


def export_command(
    ctx: typer.Context,
    project_id: Annotated[int, typer.Argument(metavar="PROJECT_ID", help="Project id.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="csv, jsonl, or Label Studio JSON (json, alias labelstudio); "
            "default: from --output's extension, else csv.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
) -> None:
    """Export a project's tasks, answers and aggregated results, streaming."""
    from crowdloop.projects import access
    from crowdloop.results import export as results_export

    chosen = _export_format(fmt, output)
    with unit(ctx) as session:  # short: record the export in the audit log
        results_export.start_export(session, operator(), project_id, chosen.value)
    with unit(ctx, write=False) as session:  # long: the export never holds the writer
        project = access.for_reader(session, operator(), project_id)
        with _output(output) as out:
            results_export.export_results(session, project, chosen.value, out)
    if output is not None:
        info(f"exported project {project_id} to {output} ({chosen.value})")


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("export")(export_command)
