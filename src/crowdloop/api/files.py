"""File answers over HTTP: upload on a live assignment, then read the metadata or content.

Upload first (``POST /assignments/{id}/files``, multipart field ``file``), then submit
``{"answer": {"upload_id": ...}}``. Only the uploading worker, the project's owner and admins
can read an upload; anyone else gets 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Response, UploadFile

from crowdloop.api.deps import CurrentUser, CurrentWorker, PathId, ReadSession, WriteSession
from crowdloop.files import service
from crowdloop.files.models import Upload
from crowdloop.files.schemas import UploadRead
from crowdloop.projects.answer_schema import MAX_FILE_BYTES
from crowdloop.work import service as work

router = APIRouter(tags=["files"])


def content_response(upload: Upload) -> Response:
    headers = service.download_headers(upload)
    return Response(upload.data, media_type=upload.content_type, headers=headers)


@router.post("/assignments/{assignment_id}/files", response_model=UploadRead, status_code=201)
def upload(
    assignment_id: PathId, file: UploadFile, worker: CurrentWorker, session: WriteSession
) -> UploadRead:
    """Upload a file on your live assignment (type and size as the project allows)."""
    data = file.file.read(MAX_FILE_BYTES + 1)
    lease = work.live_assignment(session, worker, assignment_id)
    found = service.store(session, worker, lease, filename=file.filename or "", data=data)
    return UploadRead.model_validate(found)


@router.get("/uploads/{upload_id}", response_model=UploadRead)
def metadata(upload_id: PathId, user: CurrentUser, session: ReadSession) -> UploadRead:
    return UploadRead.model_validate(service.for_reader(session, user, upload_id))


@router.get("/uploads/{upload_id}/content", response_class=Response)
def content(upload_id: PathId, user: CurrentUser, session: ReadSession) -> Response:
    """The file itself (the uploading worker, the project's owner or an admin)."""
    return content_response(service.for_reader(session, user, upload_id, with_data=True))
