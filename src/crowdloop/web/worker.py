"""The worker's workspace: projects open to them, earnings, and the task stream."""

from __future__ import annotations

import json
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.errors import Conflict, Gone, InvalidInput, PermissionDenied
from crowdloop.projects import access
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project, ProjectStatus
from crowdloop.quality import service as quality
from crowdloop.storage.types import utcnow
from crowdloop.web import repository as reads
from crowdloop.web.deps import (
    FormDep,
    PostingUser,
    ReadSession,
    WebRoute,
    WebUser,
    WriteSession,
    is_fragment,
    render,
    require_role,
)
from crowdloop.web.files import file_answer
from crowdloop.web.suggest import suggestion_of
from crowdloop.work import service as work
from crowdloop.work.models import Assignment, AssignmentStatus

router = APIRouter(route_class=WebRoute, include_in_schema=False)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
MAX_KEYED_OPTIONS = 9


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    kind: str  # text | image | json


def task_fields(data: dict[str, Any]) -> list[Field]:
    """How to show each value of a task's data: text, an image link, or pretty JSON."""
    fields = []
    for name, value in data.items():
        if isinstance(value, str):
            is_image = value.startswith(("http://", "https://")) and value.lower().endswith(
                IMAGE_SUFFIXES
            )
            fields.append(Field(name, value, "image" if is_image else "text"))
        else:
            fields.append(Field(name, json.dumps(value, indent=2, ensure_ascii=False), "json"))
    return fields


def show_answer(value: Any) -> str:
    """An answer as short text: strings as they are, whole numbers without ".0", else JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return json.dumps(value, ensure_ascii=False)


def rating_options(schema: dict[str, Any]) -> list[str]:
    """The values of a rating grid, when it has few enough steps to key with 1-9."""
    low, high, step = float(schema["min"]), float(schema["max"]), schema.get("step")
    if step is None or (high - low) / step + 1 > MAX_KEYED_OPTIONS:
        return []
    n = round((high - low) / step) + 1
    return [f"{low + i * step:g}" for i in range(n)]


def _stream_context(
    session: Session, user: User, project: Project, job: Assignment | None
) -> dict[str, Any]:
    done, earned = reads.worker_totals(session, user.id).get(project.id, (0, 0))
    context: dict[str, Any] = {
        "project": project,
        "schema": project.answer_schema,
        "job": None,
        "done": done,
        "earned": earned,
    }
    if job is not None:
        view = work.to_read(session, job)  # the worker-safe view: no gold, no other answers
        left = (view.lease_expires_at - utcnow()).total_seconds()
        context.update(job=view, fields=task_fields(view.data), lease_left=max(int(left), 0))
        context["suggestion"] = suggestion_of(view)
        if project.task_type == "rating":
            context["options"] = rating_options(project.answer_schema)
    return context


def _stream(request: Request, context: dict[str, Any], *, status: int = 200) -> Response:
    name = "worker/_task.html" if is_fragment(request) else "worker/workspace.html"
    return render(request, name, context, status=status)


@router.get("/work")
def home(request: Request, user: WebUser, session: ReadSession) -> Response:
    require_role(user, Role.worker)
    open_projects = [
        p for p in projects.list_projects(session, user) if p.status == ProjectStatus.active
    ]
    totals = reads.worker_totals(session, user.id)
    earned = sum(cents for _, cents in totals.values())
    answers = sum(n for n, _ in totals.values())
    standing = quality.my_standing(session, user.id)
    context = {
        "projects": open_projects,
        "totals": totals,
        "earned": earned,
        "answers": answers,
        "quality": {q.project_id: q for q in standing.projects},
        "events": [e for e in standing.events if not e.reverted][:10],
        "names": {p.id: p.name for p in projects.list_projects(session, user)},
        "now": utcnow(),
    }
    return render(request, "worker/home.html", context)


@router.get("/work/projects/{project_id}")
def workspace(request: Request, project_id: int, user: WebUser, session: WriteSession) -> Response:
    """Open the stream: the worker's live assignment, or a newly leased one."""
    require_role(user, Role.worker)
    project = access.for_worker(session, user, project_id)
    job = policy.next_or_none(session, user, project)
    return _stream(request, _stream_context(session, user, project, job))


@router.get("/work/projects/{project_id}/instructions")
def instructions(
    request: Request, project_id: int, user: WebUser, session: ReadSession
) -> Response:
    require_role(user, Role.worker)
    project = access.for_worker(session, user, project_id)
    return render(request, "worker/instructions.html", {"project": project})


def parse_answer(task_type: str, form: Any) -> Any:
    """The answer as the schema expects it, from the task form's fields."""
    if task_type == "multiple_choice":
        return [v for v in form.getlist("answer") if isinstance(v, str)]
    raw = form.get("answer")
    if not isinstance(raw, str) or raw == "":
        raise InvalidInput("choose or enter an answer first")
    if task_type == "rating":
        try:
            return float(raw)
        except ValueError as exc:
            raise InvalidInput(f"the rating must be a number, got {raw!r}") from exc
    return raw


def _owned(session: Session, user: User, assignment_id: int) -> tuple[Assignment, Project]:
    require_role(user, Role.worker)
    assignment = work.get_assignment(session, user, assignment_id)
    return assignment, access.for_worker(session, user, assignment.project_id)


def _next_context(
    session: Session, user: User, project: Project, notice: str | None
) -> dict[str, Any]:
    """The stream after an answer: the next task, or why there is none (e.g. a block).

    A block raised by the rules must not undo the answer just given, so it is shown here
    instead of failing the request (which would roll the submit back)."""
    try:
        job = policy.next_or_none(session, user, project)
    except PermissionDenied as exc:
        context = _stream_context(session, user, project, None)
        context["blocked"] = exc.detail
    else:
        context = _stream_context(session, user, project, job)
    context["notice"] = notice
    return context


def _answer(session: Session, user: User, job: tuple[str, int], form: Any) -> Any:
    task_type, assignment_id = job
    if task_type == "file":
        return file_answer(session, user, assignment_id, form)
    return parse_answer(task_type, form)


@router.post("/work/assignments/{assignment_id}/submit")
def submit(
    request: Request, assignment_id: int, user: PostingUser, session: WriteSession, form: FormDep
) -> Response:
    """Record the answer and lease the next task in the same transaction."""
    assignment, project = _owned(session, user, assignment_id)
    job = (project.task_type, assignment.id)
    notice, feedback = None, None
    try:
        done = work.submit(session, user, assignment.id, _answer(session, user, job, form))
        feedback = quality.control_feedback(session, done)
    except InvalidInput as exc:
        context = _stream_context(session, user, project, assignment)
        context["error"] = exc.detail
        return _stream(request, context, status=422)
    except Gone:
        notice = "Your time on that task ran out, so it went back to the pool. Here is a new one."
    except Conflict:
        notice = "That task was already finished."
    context = _next_context(session, user, project, notice)
    if feedback is not None:  # the worker's own control answer was wrong: teach, kindly
        context["feedback"] = {
            "expected": show_answer(feedback.expected),
            "explanation": feedback.explanation,
        }
    return _stream(request, context)


@router.post("/work/assignments/{assignment_id}/skip")
def skip(
    request: Request, assignment_id: int, user: PostingUser, session: WriteSession
) -> Response:
    """Decline this task for good and get the next one."""
    assignment, project = _owned(session, user, assignment_id)
    notice = "Skipped."
    try:
        work.give_back(session, user, assignment.id, AssignmentStatus.skipped)
    except (Gone, Conflict) as exc:
        notice = exc.detail
    return _stream(request, _next_context(session, user, project, notice))


@router.post("/work/assignments/{assignment_id}/release")
def release(assignment_id: int, user: PostingUser, session: WriteSession) -> Response:
    """Hand the task back unanswered and leave the stream."""
    assignment, _ = _owned(session, user, assignment_id)
    with suppress(Gone, Conflict):  # already back in the pool: leaving is what was asked
        work.give_back(session, user, assignment.id, AssignmentStatus.released)
    return RedirectResponse("/work?released=1", status_code=303)
