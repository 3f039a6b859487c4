"""Import tasks from a file, export results as a stream."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile, status
from fastapi.responses import JSONResponse, StreamingResponse

from crowdloop.api.deps import CurrentUser, DbDep, PathId, SettingsDep, WriteSession
from crowdloop.api.streaming import in_one_thread
from crowdloop.projects import access
from crowdloop.projects.importing import ImportFormat, ImportRejected, ImportReport, OnError
from crowdloop.projects.importing import import_tasks as run_import
from crowdloop.results.exporting import ExportFormat, start_export, stream_export
from crowdloop.results.exporting.service import media_type
from crowdloop.storage.uow import unit_of_work

router = APIRouter(tags=["import/export"])
MiB = 1024 * 1024


@router.post(
    "/projects/{project_id}/import",
    response_model=ImportReport,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "The file is larger than the operator's upload limit."},
        422: {"description": "Rejected: detail is the ImportReport with the bad rows."},
    },
)
def import_tasks(
    project_id: PathId,
    user: CurrentUser,
    db: DbDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV, JSONL or Label Studio JSON.")],
    fmt: Annotated[ImportFormat | None, Query(alias="format")] = None,
    on_error: OnError = "reject",
) -> ImportReport | JSONResponse:
    """Stream the uploaded file into the project's tasks (spooled to disk, read row by row)."""
    if file.size is not None and file.size > settings.max_upload_mb * MiB:
        detail = f"upload is larger than {settings.max_upload_mb} MiB"
        return JSONResponse({"error": "PayloadTooLarge", "detail": detail}, status_code=413)
    try:
        with unit_of_work(db) as session:
            project = access.for_manager(session, user, project_id)
            return run_import(
                session,
                project,
                file.file,
                fmt=fmt,
                source=file.filename or "upload",
                on_error=on_error,
                batch_size=settings.import_batch_size,
            )
    except ImportRejected as exc:  # rolled back by the unit of work; report the rows
        body = {"error": "InvalidInput", "detail": exc.report.model_dump(mode="json")}
        return JSONResponse(body, status_code=exc.status_code)


@router.get(
    "/projects/{project_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The export file, streamed.",
            "content": {"text/csv": {}, "application/x-ndjson": {}, "application/json": {}},
        }
    },
)
def export_results(
    project_id: PathId,
    user: CurrentUser,
    session: WriteSession,
    db: DbDep,
    fmt: Annotated[ExportFormat, Query(alias="format")] = "jsonl",
) -> StreamingResponse:
    """Stream every task with its result and answers (CSV, JSONL or Label Studio JSON).
    The export is recorded in the audit log."""
    start_export(session, user, project_id, fmt)
    kind, extension = media_type(fmt)
    filename = f"project-{project_id}-results.{extension}"
    return StreamingResponse(
        # Its own session (it outlives the request's), produced in one thread.
        in_one_thread(stream_export(db, project_id, fmt)),
        media_type=kind,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
