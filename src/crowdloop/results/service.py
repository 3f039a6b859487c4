"""Read aggregated results and the answers behind them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.results.schemas import ResultPage, TaskAnswers, TaskResult
from crowdloop.work import service as work
from crowdloop.work.schemas import AnswerRead


def results_page(session: Session, project: Project, *, after: int, limit: int) -> ResultPage:
    tasks = projects.list_tasks(session, project, after=after, limit=limit)
    items = [
        TaskResult(
            task_id=t.id,
            external_id=t.external_id,
            n_answers=t.n_answers,
            overlap=t.overlap,
            result=t.result,
            confidence=t.confidence,
        )
        for t in tasks
    ]
    return ResultPage(items=items, next_cursor=items[-1].task_id if len(items) == limit else None)


def task_answers(session: Session, project: Project, task_id: int) -> TaskAnswers:
    task = projects.get_task(session, project, task_id)
    answers = [
        AnswerRead(
            assignment_id=a.id,
            task_id=a.task_id,
            worker_id=a.worker_id,
            answer=a.answer,
            submitted_at=a.finished_at,
        )
        for a in work.answers_for_task(session, task.id)
    ]
    return TaskAnswers(
        task_id=task.id, result=task.result, confidence=task.confidence, answers=answers
    )
