"""The results explorer: filter tasks by confidence, open one to see every answer."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from crowdloop.errors import InvalidInput
from crowdloop.projects import access
from crowdloop.projects import service as projects
from crowdloop.results import service as results
from crowdloop.results.exporting import start_export, stream_export
from crowdloop.results.exporting.service import media_type
from crowdloop.web import repository as reads
from crowdloop.web.deps import DbDep, ReadSession, WebRoute, WebUser, WriteSession, render
from crowdloop.web.worker import task_fields

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE = 50
CONFIDENCE_FILTERS = [
    ("", "Any confidence"),
    ("0.99", "Not unanimous (below 100%)"),
    ("0.8", "80% or lower"),
    ("0.67", "67% or lower"),
    ("0.5", "50% or lower"),
]
EXPORT_FORMATS = [("csv", "CSV"), ("jsonl", "JSONL"), ("labelstudio", "Label Studio JSON")]
EXPORT_NAMES = tuple(value for value, _ in EXPORT_FORMATS)


def show(value: Any) -> str:
    """An answer or result as short text: strings as they are, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False)


def preview(data: dict[str, Any], limit: int = 90) -> str:
    first = next((v for v in data.values() if isinstance(v, str)), None)
    text = first if first is not None else json.dumps(data, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parse_confidence(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


@router.get("/console/projects/{project_id}/results")
def explorer(
    request: Request,
    project_id: int,
    user: WebUser,
    session: ReadSession,
    max_confidence: str = "",
    after: int = Query(0, ge=0),
) -> Response:
    project = access.for_reader(session, user, project_id)
    limit = _parse_confidence(max_confidence)
    tasks = reads.tasks_by_confidence(
        session, project.id, max_confidence=limit, disagreement=False, after=after, limit=PAGE
    )
    rows = [(t, preview(t.data), show(t.result)) for t in tasks]
    context = {
        "project": project,
        "rows": rows,
        "filters": CONFIDENCE_FILTERS,
        "chosen": max_confidence if limit is not None else "",
        "next_after": tasks[-1].id if len(tasks) == PAGE else None,
        "formats": EXPORT_FORMATS,
        "export_ready": True,
    }
    return render(request, "requester/results.html", context)


@router.get("/console/projects/{project_id}/tasks/{task_id}")
def task_detail(
    request: Request, project_id: int, task_id: int, user: WebUser, session: ReadSession
) -> Response:
    """One task for its requester: data, gold, result and every answer with its worker."""
    project = access.for_reader(session, user, project_id)
    task = projects.get_task(session, project, task_id)
    found = results.task_answers(session, project, task.id)
    names = reads.usernames(session, {a.worker_id for a in found.answers})
    answers = [(names.get(a.worker_id, str(a.worker_id)), show(a.answer), a) for a in found.answers]
    context = {
        "project": project,
        "task": task,
        "fields": task_fields(task.data),
        "result": show(task.result),
        "gold": None if task.gold is None else show(task.gold),
        "answers": answers,
        "can_download": access.can_manage(user, project),  # files: owner and admins only
    }
    return render(request, "requester/task.html", context)


@router.get("/console/projects/{project_id}/export")
def export(
    project_id: int, user: WebUser, session: WriteSession, db: DbDep, format: str = "jsonl"
) -> StreamingResponse:
    """The API's export, for the browser's cookie session: the same stream, the same formats,
    recorded in the audit log."""
    if format not in EXPORT_NAMES:
        raise InvalidInput(f"unknown export format {format!r}; use one of {list(EXPORT_NAMES)}")
    start_export(session, user, project_id, format)
    kind, extension = media_type(format)
    filename = f"project-{project_id}-results.{extension}"
    return StreamingResponse(
        stream_export(db, project_id, format),  # its own session: it outlives the request's
        media_type=kind,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
