"""File answers in the browser: the workspace's file input (stored, then submitted as the
answer in the same request) and downloads for the uploading worker, the project's owner
and admins."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from crowdloop.accounts.models import User
from crowdloop.errors import InvalidInput
from crowdloop.files import service as files
from crowdloop.projects.answer_schema import MAX_FILE_BYTES
from crowdloop.web.deps import ReadSession, WebRoute, WebUser
from crowdloop.work import service as work

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def file_answer(session: Session, user: User, assignment_id: int, form: Any) -> dict[str, Any]:
    """Store the form's file on the worker's live assignment; the answer naming it."""
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        raise InvalidInput("choose a file first")
    data = sent.file.read(MAX_FILE_BYTES + 1)
    lease = work.live_assignment(session, user, assignment_id)
    upload = files.store(session, user, lease, filename=sent.filename, data=data)
    return {"upload_id": upload.id}


@router.get("/files/{upload_id}")
def download(upload_id: int, user: WebUser, session: ReadSession) -> Response:
    upload = files.for_reader(session, user, upload_id, with_data=True)
    headers = files.download_headers(upload)
    return Response(upload.data, media_type=upload.content_type, headers=headers)
