"""Import a task file from the console: CSV, JSONL or Label Studio JSON, with a row report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import UploadFile

from crowdloop.accounts.models import User
from crowdloop.errors import InvalidInput
from crowdloop.projects import access
from crowdloop.projects.importing import (
    FORMATS,
    ImportFormat,
    ImportRejected,
    ImportReport,
    import_tasks,
)
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.web.deps import (
    DbDep,
    FormDep,
    PostingUser,
    ReadSession,
    SettingsDep,
    WebRoute,
    WebUser,
    is_fragment,
    render,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)
MiB = 1024 * 1024
FORMAT_CHOICES = [
    ("", "Detect from the file name"),
    ("csv", "CSV"),
    ("jsonl", "JSONL"),
    ("json", "Label Studio JSON"),
]


def _page(
    request: Request, project: Any, context: dict[str, Any], *, status: int = 200
) -> Response:
    context = {"project": project, "formats": FORMAT_CHOICES, **context}
    name = "requester/_import_report.html" if is_fragment(request) else "requester/import.html"
    return render(request, name, context, status=status)


@router.get("/console/projects/{project_id}/import")
def import_form(request: Request, project_id: int, user: WebUser, session: ReadSession) -> Response:
    project = access.for_manager(session, user, project_id)
    return _page(request, project, {})


def _run(
    db: Database,
    user: User,
    project_id: int,
    upload: UploadFile,
    fmt: str,
    on_error: str,
    batch_size: int,
) -> ImportReport:
    chosen: ImportFormat | None = None
    if fmt:
        if fmt not in FORMATS:
            raise InvalidInput(f"unknown format {fmt!r}; choose CSV, JSONL or Label Studio JSON")
        chosen = fmt
    with unit_of_work(db) as session:
        project = access.for_manager(session, user, project_id)
        return import_tasks(
            session,
            project,
            upload.file,
            fmt=chosen,
            source=upload.filename or "upload",
            on_error="skip" if on_error == "skip" else "reject",
            batch_size=batch_size,
        )


@router.post("/console/projects/{project_id}/import")
def import_file(
    request: Request,
    project_id: int,
    user: PostingUser,
    db: DbDep,
    settings: SettingsDep,
    form: FormDep,
) -> Response:
    """Run the import; show how many rows landed and which were refused, and why."""
    with unit_of_work(db, write=False) as session:
        project = access.for_manager(session, user, project_id)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, project, {"error": "Choose a file to import."}, status=422)
    if upload.size is not None and upload.size > settings.max_upload_mb * MiB:
        error = f"The file is larger than {settings.max_upload_mb} MiB."
        return _page(request, project, {"error": error}, status=413)
    fmt, on_error = str(form.get("format") or ""), str(form.get("on_error") or "reject")
    try:
        report = _run(db, user, project_id, upload, fmt, on_error, settings.import_batch_size)
    except ImportRejected as exc:  # rolled back: nothing was imported
        return _page(request, project, {"report": exc.report, "rejected": True}, status=422)
    except InvalidInput as exc:
        return _page(request, project, {"error": exc.detail}, status=422)
    return _page(request, project, {"report": report, "rejected": False})
