from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from crowdloop.files.models import Upload


def get(session: Session, upload_id: int, *, with_data: bool = False) -> Upload | None:
    query = select(Upload).where(Upload.id == upload_id)
    if with_data:
        query = query.options(undefer(Upload.data))
    return session.scalars(query).first()
