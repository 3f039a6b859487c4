"""Export a project's results as a stream of bytes, in constant memory.

Tasks are read by keyset pagination over their id (``page_size`` at a time), and each page is
joined in Python with the submitted answers of the same id range (one indexed query per page).
Nothing accumulates: a page is encoded, yielded and dropped.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from operator import attrgetter
from typing import Any, BinaryIO, Literal

from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import InvalidInput
from crowdloop.projects import access
from crowdloop.projects.models import Project
from crowdloop.results.exporting import repository
from crowdloop.results.exporting.formats import Answer, Encoder, ExportedTask, encoder_for
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work

ExportFormat = Literal["csv", "jsonl", "json", "labelstudio"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "json", "labelstudio")
PAGE_SIZE = 1000


def encoder(project: Project, fmt: str) -> Encoder:
    """The encoder of a format (``labelstudio`` is another name for ``json``)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format {fmt!r}; use one of {list(FORMATS)}")
    return encoder_for("json" if fmt == "labelstudio" else fmt, project.task_type)


def iter_pages(
    session: Session, project: Project, *, page_size: int = PAGE_SIZE
) -> Iterator[list[ExportedTask]]:
    """The project's tasks with their submitted answers, ``page_size`` tasks at a time."""
    after = 0
    while True:
        rows = repository.task_page(session, project.id, after=after, limit=page_size)
        if not rows:
            return
        yield _join(session, project.id, rows)
        after = rows[-1].id


def _join(session: Session, project_id: int, rows: Sequence[Any]) -> list[ExportedTask]:
    answers = repository.submitted_answers(
        session, project_id, first_task=rows[0].id, last_task=rows[-1].id
    )
    by_task = {
        task_id: [Answer(a.worker_id, a.answer, a.finished_at) for a in group]
        for task_id, group in groupby(answers, key=attrgetter("task_id"))
    }
    return [
        ExportedTask(
            id=r.id,
            external_id=r.external_id,
            data=r.data,
            result=r.result,
            confidence=r.confidence,
            n_answers=r.n_answers,
            gold=r.gold,
            is_control=r.is_control,
            predictions=r.predictions,
            answers=by_task.get(r.id, []),
        )
        for r in rows
    ]


def iter_export(
    session: Session, project: Project, fmt: str, *, page_size: int = PAGE_SIZE
) -> Iterator[bytes]:
    """The export file, chunk by chunk (about one chunk per page of tasks)."""
    enc = encoder(project, fmt)
    yield enc.head()
    for page in iter_pages(session, project, page_size=page_size):
        yield enc.page(page)
    yield enc.tail()


def export_results(session: Session, project: Project, fmt: str, out: BinaryIO) -> int:
    """Write the export to ``out``; returns the number of bytes written (for the CLI)."""
    written = 0
    for chunk in iter_export(session, project, fmt):
        out.write(chunk)
        written += len(chunk)
    return written


def start_export(session: Session, user: User, project_id: int, fmt: str) -> Project:
    """Check that ``user`` may export the project in ``fmt`` and record the export in the
    audit log (in the caller's write unit); then stream it with :func:`stream_export` or
    :func:`export_results`."""
    project = access.for_reader(session, user, project_id)
    encoder(project, fmt)
    audit.record(
        session,
        AuditAction.export_downloaded,
        actor_id=user.id,
        subject=("project", project.id),
        detail={"format": fmt},
    )
    return project


def stream_export(
    db: Database, project_id: int, fmt: str, *, page_size: int = PAGE_SIZE
) -> Iterator[bytes]:
    """Like iter_export, in its own read-only unit of work: for a response that outlives the
    request's session. Check access before starting it; it only reloads the project."""
    with unit_of_work(db, write=False) as session:
        project = access.load(session, project_id)
        for chunk in iter_export(session, project, fmt, page_size=page_size):
            if chunk:
                yield chunk


def media_type(fmt: str) -> tuple[str, str]:
    """(media type, file extension) of an export format."""
    enc = encoder_for("json" if fmt == "labelstudio" else fmt, "text")
    return enc.media_type, enc.extension
