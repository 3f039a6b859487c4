"""Quality rules and their actions (warn, block, discard), control tasks, worker standing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.algorithms.metrics import beta_interval
from crowdloop.audit import service as audit
from crowdloop.audit.models import AuditAction
from crowdloop.errors import Conflict, NotFound, PermissionDenied
from crowdloop.events.service import publish
from crowdloop.events.types import EventType
from crowdloop.projects.models import Project, Task
from crowdloop.projects.quality_config import QualityRule
from crowdloop.quality import inference, repository
from crowdloop.quality.models import EventKind, QualityEvent, WorkerQuality
from crowdloop.quality.schemas import (
    MyStanding,
    OwnStanding,
    QualityEventRead,
    WorkerQualityRead,
)
from crowdloop.storage.types import utcnow
from crowdloop.work.models import Assignment, AssignmentStatus
from crowdloop.work.schemas import ControlFeedback


def check_not_blocked(session: Session, project: Project, worker_id: int, now: datetime) -> None:
    wq = repository.worker_quality(session, project.id, worker_id)
    if wq is not None and wq.blocked_until is not None and wq.blocked_until > now:
        until = wq.blocked_until.isoformat(timespec="minutes")
        raise PermissionDenied(
            f"you are blocked from this project until {until}: {wq.block_reason}"
        )


def ability(session: Session, project: Project, worker_id: int) -> float:
    """A cautious estimate of the worker's accuracy: the lower end of its credible interval
    (from the last re-fit, else from control answers), 0 when nothing is known yet."""
    wq = repository.worker_quality(session, project.id, worker_id)
    if wq is None:
        return 0.0
    if wq.accuracy_low is not None:
        return float(wq.accuracy_low)
    if wq.n_control:
        _, interval = beta_interval([wq.n_control_correct], [wq.n_control])
        return float(interval[0, 0])
    return 0.0


def control_feedback(session: Session, assignment: Assignment) -> ControlFeedback | None:
    """What to show the worker after their answer: after a wrong answer to a control
    task, the expected answer and its explanation; else None."""
    task = session.get(Task, assignment.task_id)
    assert task is not None
    if not task.is_control or assignment.answer == task.gold:
        return None
    return ControlFeedback(correct=False, expected=task.gold, explanation=task.gold_explanation)


def on_submit(
    session: Session, project: Project, task: Task, assignment: Assignment, now: datetime
) -> None:
    """Update the worker's counters and apply the project's rules (the reaction to
    ``answer.submitted``, see ``quality.reactions``)."""
    wq = inference.ensure(session, project.id, assignment.worker_id)
    wq.n_answers += 1
    wq.skip_streak = 0
    seconds = (now - assignment.created_at).total_seconds()
    if task.is_control:
        wq.n_control += 1
        wq.n_control_correct += int(assignment.answer == task.gold)
        _check_qualification(session, project, wq, now)
    for rule in inference.config_of(project).rules:
        if rule.kind == "fast_answers" and seconds < rule.threshold:
            wq.n_fast += 1
    _evaluate(session, project, wq, now)


def in_qualification(session: Session, project: Project, worker_id: int) -> bool:
    """Whether the worker still owes control answers to the project's qualification test."""
    test = inference.config_of(project).qualification
    if test is None:
        return False
    wq = repository.worker_quality(session, project.id, worker_id)
    return wq is None or wq.n_control < test.tasks


def _check_qualification(
    session: Session, project: Project, wq: WorkerQuality, now: datetime
) -> None:
    """On the qualification's last control answer: block the worker if they failed it."""
    test = inference.config_of(project).qualification
    if test is None or wq.n_control != test.tasks:
        return
    accuracy = wq.n_control_correct / wq.n_control
    if accuracy >= test.min_accuracy:
        return
    reason = (
        f"qualification failed: {wq.n_control_correct} of {wq.n_control} control tasks"
        f" right ({accuracy:.0%}); this project needs {test.min_accuracy:.0%}"
    )
    block(
        session, project, wq, hours=test.block_hours, reason=reason, rule="qualification", now=now
    )


def block(
    session: Session,
    project: Project,
    wq: WorkerQuality,
    *,
    hours: float,
    reason: str,
    rule: str,
    now: datetime,
) -> QualityEvent:
    """Block the worker on the project for ``hours`` with a reason they see, recorded as
    ``{rule}:block`` in the audit trail (undone by ``revert``). Rules, the qualification
    test and a requester's hand all block through here."""
    wq.blocked_until = now + timedelta(hours=hours)
    wq.block_reason = reason
    event = QualityEvent(
        project_id=project.id,
        worker_id=wq.worker_id,
        kind=EventKind.block,
        rule=f"{rule}:block",
        reason=reason,
        details={"until": wq.blocked_until.isoformat()},
        reverted=False,
        created_at=now,
    )
    session.add(event)
    session.flush()
    _announce(session, event)
    return event


def _announce(session: Session, event: QualityEvent) -> None:
    publish(
        session,
        EventType.quality_action,
        project_id=event.project_id,
        worker_id=event.worker_id,
        kind=event.kind.value,
        rule=event.rule,
        reason=event.reason,
        quality_event_id=event.id,
    )


def on_skip(session: Session, project: Project, worker_id: int, now: datetime) -> None:
    wq = inference.ensure(session, project.id, worker_id)
    wq.skip_streak += 1
    _evaluate(session, project, wq, now)


def _fired(rule: QualityRule, wq: WorkerQuality) -> str | None:
    """The reason a rule fires for this worker now, or None."""
    if rule.kind == "fast_answers" and wq.n_fast >= rule.min_answers:
        return f"{wq.n_fast} answers faster than {rule.threshold:g} s"
    if rule.kind == "control_accuracy" and wq.n_control >= rule.min_answers:
        acc = wq.n_control_correct / wq.n_control
        if acc < rule.threshold:
            return (
                f"control accuracy {acc:.0%} over {wq.n_control} control tasks"
                f" is under {rule.threshold:.0%}"
            )
    if rule.kind == "skips_in_row" and wq.skip_streak >= rule.threshold:
        return f"{wq.skip_streak} skips in a row"
    if (
        rule.kind == "consensus_agreement"
        and wq.agreement is not None
        and wq.n_answers >= rule.min_answers
        and wq.agreement < rule.threshold
    ):
        return f"agreement with the consensus {wq.agreement:.0%} is under {rule.threshold:.0%}"
    return None


def _evaluate(session: Session, project: Project, wq: WorkerQuality, now: datetime) -> None:
    for rule in inference.config_of(project).rules:
        reason = _fired(rule, wq)
        if reason is None or _already_acted(session, project.id, wq.worker_id, rule):
            continue
        act(session, project, wq, rule, reason, now)


def evaluate_all(session: Session, project: Project, now: datetime | None = None) -> None:
    """Re-check every worker (after a re-fit updated agreement with the consensus)."""
    for wq in repository.qualities(session, project.id):
        _evaluate(session, project, wq, now or utcnow())


def _already_acted(session: Session, project_id: int, worker_id: int, rule: QualityRule) -> bool:
    key = f"{rule.kind}:{rule.action}"
    return any(
        e.rule == key and not e.reverted for e in repository.events(session, project_id, worker_id)
    )


def act(
    session: Session,
    project: Project,
    wq: WorkerQuality,
    rule: QualityRule,
    reason: str,
    now: datetime,
) -> QualityEvent:
    if rule.action == "block":
        hours = rule.block_hours
        return block(session, project, wq, hours=hours, reason=reason, rule=rule.kind, now=now)
    details: dict[str, Any] = {}
    if rule.action == "discard":
        details["assignments"] = discard_answers(session, project, wq.worker_id)
    event = QualityEvent(
        project_id=project.id,
        worker_id=wq.worker_id,
        kind=EventKind(rule.action),
        rule=f"{rule.kind}:{rule.action}",
        reason=reason,
        details=details,
        reverted=False,
        created_at=now,
    )
    session.add(event)
    session.flush()
    _announce(session, event)
    return event


def discard_answers(session: Session, project: Project, worker_id: int) -> list[int]:
    """Discard the worker's answers in the project and re-queue their tasks."""
    rows = repository.worker_answers(session, project.id, worker_id, AssignmentStatus.submitted)
    ids = [r.id for r in rows]
    repository.set_status(session, ids, AssignmentStatus.discarded)
    for row in rows:
        repository.shift_answers(session, row.task_id, -1)
        _reaggregate(session, project, row.task_id)
    return ids


def _reaggregate(session: Session, project: Project, task_id: int) -> None:
    found = inference.aggregate_task(session, project, task_id)
    result, confidence = found if found is not None else (None, None)
    repository.set_results(session, [{"id": task_id, "result": result, "confidence": confidence}])


def revert(
    session: Session, project: Project, event_id: int, *, by: int, now: datetime | None = None
) -> QualityEvent:
    """Undo a block or a discard (the requester's call); the event stays, marked reverted
    with who undid it (``by``, a user id) and when."""
    event = session.get(QualityEvent, event_id)
    if event is None or event.project_id != project.id:
        raise NotFound(f"quality event {event_id} not found in project {project.id}")
    if event.reverted or event.kind == EventKind.warn:
        raise Conflict(f"event {event_id} cannot be reverted (kind {event.kind.value})")
    wq = inference.ensure(session, project.id, event.worker_id)
    if event.kind == EventKind.block:
        wq.blocked_until, wq.block_reason = None, None
    elif event.kind == EventKind.discard:
        ids = [int(i) for i in event.details.get("assignments", [])]
        repository.set_status(session, ids, AssignmentStatus.submitted)
        for assignment in session.query(Assignment).filter(Assignment.id.in_(ids)):
            repository.shift_answers(session, assignment.task_id, +1)
            _reaggregate(session, project, assignment.task_id)
    event.reverted, event.reverted_by, event.reverted_at = True, by, now or utcnow()
    session.flush()
    audit.record(
        session,
        AuditAction.quality_reverted,
        actor_id=by,
        subject=("project", project.id),
        detail={
            "quality_event_id": event.id,
            "worker_id": event.worker_id,
            "kind": event.kind.value,
        },
    )
    return event


def to_read(wq: WorkerQuality) -> WorkerQualityRead:
    read = WorkerQualityRead.model_validate(wq)
    if wq.n_control:
        mean, interval = beta_interval([wq.n_control_correct], [wq.n_control])
        read.control_accuracy = float(mean[0])
        read.control_accuracy_interval = (float(interval[0, 0]), float(interval[0, 1]))
    return read


def project_workers(session: Session, project: Project) -> list[WorkerQualityRead]:
    return [to_read(wq) for wq in repository.qualities(session, project.id)]


def my_standing(session: Session, worker_id: int) -> MyStanding:
    return MyStanding(
        projects=[
            OwnStanding.model_validate(wq)
            for wq in repository.qualities_of_worker(session, worker_id)
        ],
        events=[
            QualityEventRead.model_validate(e)
            for e in repository.events_of_worker(session, worker_id)
        ],
    )


def project_events(
    session: Session, project: Project, worker_id: int | None = None
) -> Sequence[QualityEvent]:
    return repository.events(session, project.id, worker_id)
