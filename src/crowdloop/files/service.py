"""Upload a file on a live assignment, use it as the answer, download it.

Which assignment is live and whose it is, ``crowdloop.work`` decides (``live_assignment``);
files only stores the upload on it. Who may read an upload: the worker who uploaded it, the
project's owner and admins. Anyone else gets "not found" (no hint that it exists)."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Protocol
from urllib.parse import quote

from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.errors import InvalidInput, NotFound
from crowdloop.files import repository
from crowdloop.files.models import Upload
from crowdloop.projects.answer_schema import File, parse_schema
from crowdloop.projects.models import Project, Task
from crowdloop.storage.types import utcnow
from crowdloop.text import ensure_storable


class Lease(Protocol):
    """The live assignment a file is uploaded on (an ``Assignment``)."""

    @property
    def id(self) -> int: ...
    @property
    def task_id(self) -> int: ...
    @property
    def project_id(self) -> int: ...


def clean_name(filename: str) -> str:
    """The file's own name, without any directory a browser or client sent."""
    name = PureWindowsPath(PurePosixPath(ensure_storable(filename, "file name")).name).name.strip()
    if not name or name in (".", ".."):
        raise InvalidInput("the file has no name")
    return name[:255]


def file_schema(session: Session, project_id: int) -> File:
    project = session.get(Project, project_id)
    assert project is not None
    schema = parse_schema(project.answer_schema)
    if not isinstance(schema, File):
        raise InvalidInput(f"project {project_id} takes {schema.type} answers, not files")
    return schema


def store(
    session: Session,
    worker: User,
    assignment: Lease,
    *,
    filename: str,
    data: bytes,
    now: datetime | None = None,
) -> Upload:
    """Check the file's type and size and store it on the worker's live ``assignment``."""
    name = clean_name(filename)
    file_schema(session, assignment.project_id).check_file(name, len(data))
    upload = Upload(
        assignment_id=assignment.id,
        task_id=assignment.task_id,
        worker_id=worker.id,
        filename=name,
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        created_at=now or utcnow(),
    )
    session.add(upload)
    session.flush()
    return upload


def answer_of(session: Session, assignment_id: int, value: Any) -> dict[str, Any]:
    """A file answer, checked to name the worker's own upload on this assignment."""
    upload = repository.get(session, int(value["upload_id"]))
    if upload is None or upload.assignment_id != assignment_id:
        raise InvalidInput(
            f"upload {value['upload_id']} is not a file you uploaded on this assignment"
        )
    return {"upload_id": upload.id, "filename": upload.filename, "size": upload.size}


def can_read(session: Session, user: User, upload: Upload) -> bool:
    if user.role == Role.admin or upload.worker_id == user.id:
        return True
    task = session.get(Task, upload.task_id)
    project = None if task is None else session.get(Project, task.project_id)
    return project is not None and project.owner_id == user.id


def for_reader(session: Session, user: User, upload_id: int, *, with_data: bool = False) -> Upload:
    """The upload, for its worker, the project's owner or an admin; NotFound for others."""
    upload = repository.get(session, upload_id, with_data=with_data)
    if upload is None or not can_read(session, user, upload):
        raise NotFound(f"upload {upload_id} not found")
    return upload


def download_headers(upload: Upload) -> dict[str, str]:
    """Headers that make the browser save the file, never render it inline."""
    fallback = upload.filename.encode("ascii", "replace").decode().replace('"', "_")
    quoted = quote(upload.filename)
    return {
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quoted}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
