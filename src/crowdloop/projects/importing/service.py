"""import_tasks: stream a file of tasks into a project, in batches, all or (optionally) none.

Used by the API (``POST /projects/{id}/import``) and the CLI (``crowdloop import``). The caller's
unit of work commits; on ``on_error="reject"`` a bad row raises ImportRejected, so the unit of
work rolls back and neither tasks nor the batch row remain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import PurePath
from typing import Any, BinaryIO, Literal

from sqlalchemy.orm import Session

from crowdloop.errors import InvalidInput
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects import service as projects
from crowdloop.projects.importing import readers, repository
from crowdloop.projects.importing.duplicates import refuse_duplicates
from crowdloop.projects.importing.schemas import ImportReport
from crowdloop.projects.models import Project
from crowdloop.storage.types import utcnow

ImportFormat = Literal["csv", "jsonl", "json"]
OnError = Literal["reject", "skip"]
FORMATS: tuple[ImportFormat, ...] = ("csv", "jsonl", "json")
_SUFFIXES: dict[str, ImportFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}


class ImportRejected(InvalidInput):
    """The file had bad rows and on_error="reject": nothing was imported. See ``report``."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.summary())
        self.report = report


def detect_format(filename: str) -> ImportFormat:
    """The import format named by a file's extension (.csv, .jsonl/.ndjson, .json)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InvalidInput(
            f"cannot tell the format of {filename!r} from its extension; "
            "pass a format: csv, jsonl or json (Label Studio)"
        )
    return _SUFFIXES[suffix]


def _records(stream: BinaryIO, fmt: ImportFormat, task_type: str) -> Iterator[readers.Parsed]:
    if fmt == "csv":
        return readers.read_csv(stream, task_type)
    if fmt == "jsonl":
        return readers.read_jsonl(stream)
    if fmt == "json":
        return readers.read_labelstudio(stream, task_type)
    raise InvalidInput(f"unknown import format {fmt!r}; use one of {list(FORMATS)}")


def import_tasks(  # noqa: PLR0913 - the shared API/CLI signature, keyword-only options
    session: Session,
    project: Project,
    stream: BinaryIO,
    *,
    fmt: ImportFormat | None,
    source: str,
    on_error: OnError,
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Read ``stream`` record by record and insert valid tasks ``batch_size`` at a time."""
    if on_error not in ("reject", "skip"):
        raise InvalidInput(f"on_error must be 'reject' or 'skip', got {on_error!r}")
    if batch_size < 1:
        raise InvalidInput("batch_size must be at least 1")
    fmt = fmt or detect_format(source)
    records = refuse_duplicates(session, project.id, _records(stream, fmt, project.task_type))
    batch = repository.create_batch(session, project.id, source=source, fmt=fmt)
    report = ImportReport(batch_id=batch.id, format=fmt, source=source, on_error=on_error)
    ignored = _load(session, project, records, report, batch_size=batch_size, progress=progress)
    _check(report, ignored)
    repository.finish_batch(
        session, batch.id, rows=report.n_rows, imported=report.n_imported, errors=report.n_errors
    )
    publish(
        session,
        EventType.tasks_created,
        project_id=project.id,
        batch_id=batch.id,
        count=report.n_imported,
        source=source,
    )
    return report


def _load(
    session: Session,
    project: Project,
    records: Iterator[readers.Parsed],
    report: ImportReport,
    *,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> int:
    """Validate and insert; returns the number of Label Studio annotations ignored."""
    rows: list[dict[str, Any]] = []
    read = ignored = 0
    reject = report.on_error == "reject"
    build = projects.task_builder(project, batch_id=report.batch_id, created_at=utcnow())
    for record in records:
        read = record.index + 1
        ignored += record.ignored_annotations
        values = _values(build, record, report)
        # Once a rejecting import has a bad row, keep reading only to report every error.
        if values is None or (reject and report.n_errors):
            continue
        rows.append(values)
        if len(rows) >= batch_size:
            _flush(session, rows, report, progress, read)
    report.n_rows = read
    _flush(session, rows, report, progress, read)
    return ignored


def _values(
    build: projects.TaskValues, record: readers.Parsed, report: ImportReport
) -> dict[str, Any] | None:
    if record.task is None:
        report.add_error(record.index, record.line, record.error or "invalid row")
        return None
    try:
        return build(record.task)
    except InvalidInput as exc:
        report.add_error(record.index, record.line, f"gold: {exc.detail}")
        return None


def _flush(
    session: Session,
    rows: list[dict[str, Any]],
    report: ImportReport,
    progress: Callable[[int], None] | None,
    read: int,
) -> None:
    repository.insert_tasks(session, rows)
    report.n_imported += len(rows)
    rows.clear()
    if progress is not None:
        progress(read)


def _check(report: ImportReport, ignored: int) -> None:
    if report.n_rows == 0:
        raise InvalidInput("the file holds no tasks")
    if report.n_errors and report.on_error == "reject":
        report.batch_id = None
        report.n_imported = 0
        raise ImportRejected(report)
    if report.n_imported == 0:
        report.batch_id = None
        raise ImportRejected(report)
    if ignored:
        report.notes.append(
            f"{ignored} Label Studio annotation(s) ignored: only one with ground_truth=true "
            "is imported, as the task's gold answer"
        )
