from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crowdloop.accounts.models import User
from crowdloop.projects import service
from crowdloop.projects.models import Project, Task
from crowdloop.projects.schemas import ProjectCreate, TaskCreate

LABELS = ["cat", "dog", "bird"]


def make_project(session: Session, owner: User, **overrides: Any) -> Project:
    fields: dict[str, Any] = {
        "name": "Animals",
        "instructions": "Pick the animal in the picture.",
        "answer_schema": {"type": "single_choice", "labels": LABELS},
        "overlap": 3,
        "reward_cents": 5,
    }
    fields.update(overrides)
    return service.create_project(session, owner, ProjectCreate.model_validate(fields))


def make_tasks(session: Session, project: Project, n: int, **overrides: Any) -> list[Task]:
    return [
        service.create_task(
            session,
            project,
            TaskCreate.model_validate({"data": {"text": f"item {i}"}, **overrides}),
        )
        for i in range(n)
    ]
