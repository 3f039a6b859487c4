from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crowdloop.work.schemas import AnswerRead


class TaskResult(BaseModel):
    task_id: int
    external_id: str | None
    n_answers: int
    overlap: int
    result: Any | None
    confidence: float | None


class ResultPage(BaseModel):
    items: list[TaskResult]
    next_cursor: int | None


class TaskAnswers(BaseModel):
    task_id: int
    result: Any | None
    confidence: float | None
    answers: list[AnswerRead]
