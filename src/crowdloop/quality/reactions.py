"""Quality's part of the labelling loop: reactions to what ``work`` publishes.

Wired in ``crowdloop.wiring.build_bus``; they run inside the publishing transaction, so an
answer, the task's new result, dynamic overlap's decision and the worker's counters commit
(or roll back) together. ``work`` never imports this module.

- ``answer.submitted``: the task's current answer and confidence; dynamic overlap closes a
  settled task or gives a contested one another slot (``task.completed`` when it needs no
  more answers); the worker's counters and the project's rules.
- ``assignment.skipped``: the worker's skip streak and the rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from crowdloop.ai import service as ai
from crowdloop.algorithms.allocation.overlap import OverlapPolicy
from crowdloop.events.bus import Published
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects.models import Project, Task
from crowdloop.quality import inference, repository, service
from crowdloop.work import service as work
from crowdloop.work.models import Assignment


def _loaded(session: Session, event: Published) -> tuple[Assignment, Project, datetime]:
    """The event's assignment, its project, and when the worker finished it."""
    assignment = session.get(Assignment, int(event.payload["assignment_id"]))
    assert assignment is not None
    assert assignment.finished_at is not None
    project = session.get(Project, assignment.project_id)
    assert project is not None
    return assignment, project, assignment.finished_at


def on_answer(session: Session, event: Published) -> None:
    """An answer arrived: re-aggregate its task, settle it, and judge the worker."""
    assignment, project, now = _loaded(session, event)
    state = inference.task_state(session, project, assignment.task_id)
    if state is None:
        state = inference.TaskState(None, 0.0, 0.0)
    task = session.get(Task, assignment.task_id)
    assert task is not None
    previous = task.result
    repository.set_result(session, assignment.task_id, state.answer, state.confidence)
    if state.answer != previous:
        publish(
            session,
            EventType.result_changed,
            project_id=project.id,
            task_id=task.id,
            answer=state.answer,
            previous=previous,
            confidence=round(state.confidence, 6),
        )
    _settle(session, project, task, state)
    service.on_submit(session, project, task, assignment, now)


def on_skip(session: Session, event: Published) -> None:
    assignment, project, now = _loaded(session, event)
    service.on_skip(session, project, assignment.worker_id, now)


def _settle(session: Session, project: Project, task: Task, state: inference.TaskState) -> None:
    """Close a settled task, or give a contested one another slot; announce completion."""
    dynamic = inference.config_of(project).dynamic_overlap
    session.refresh(task, ["n_answers", "n_active", "slots", "overlap", "is_control"])
    if task.is_control:
        return
    if dynamic is None:
        done = task.n_answers >= task.overlap
    else:
        policy = OverlapPolicy(
            min_answers=dynamic.min_answers,
            max_answers=dynamic.max_answers,
            target_confidence=ai.answer_target(project, task.id, dynamic.target_confidence),
        )
        done = bool(policy.is_done([task.n_answers], [state.stop_confidence])[0])
        if done:
            work.close_task(session, task.id)
        else:
            work.extend_task(session, task.id, dynamic.max_answers)
    if done:
        publish(
            session,
            EventType.task_completed,
            project_id=project.id,
            task_id=task.id,
            answer=state.answer,
            confidence=round(state.confidence, 6),
            n_answers=task.n_answers,
        )
        if not work.has_open_tasks(session, project.id):
            publish(session, EventType.project_finished, project_id=project.id)
