from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from crowdloop.accounts import service
from crowdloop.accounts.models import Role, User
from crowdloop.accounts.schemas import UserCreate

_seq = count(1)
PASSWORD = "correct horse battery"


def make_user(
    session: Session, *, role: Role = Role.worker, username: str | None = None, skills: list[str] | None = None
) -> User:
    name = username or f"{role.value}{next(_seq)}"
    data = UserCreate(username=name, password=PASSWORD, role=role, skills=skills or [])
    return service.create_user(session, data)


def make_token(session: Session, user: User) -> str:
    return service.issue_token(session, user)[1]
