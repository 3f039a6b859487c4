"""The event types crowdloop publishes, with what each payload carries.

Payloads carry ids and small facts, never task data or answers' contents beyond what the
project's owner may see: webhooks and live pages read them.
"""

from __future__ import annotations

import enum


class EventType(enum.StrEnum):
    tasks_created = "tasks.created"
    assignment_leased = "assignment.leased"
    assignment_expired = "assignment.expired"
    assignment_released = "assignment.released"
    assignment_skipped = "assignment.skipped"
    answer_submitted = "answer.submitted"
    result_changed = "result.changed"
    task_completed = "task.completed"
    review_decided = "review.decided"
    quality_action = "quality.action"
    model_certified = "model.certified"
    project_finished = "project.finished"
    budget_reached = "project.budget_reached"
    deadline_reached = "project.deadline_reached"
    webhook_test = "webhook.test"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.tasks_created: "tasks were added to a project (batch_id, count)",
    EventType.assignment_leased: "a worker got a task (assignment_id, task_id, worker_id)",
    EventType.assignment_expired: "a lease ran out and the slot went back (assignment_id, task_id)",
    EventType.assignment_released: "a worker gave a task back unanswered (assignment_id, task_id)",
    EventType.assignment_skipped: "a worker skipped a task (assignment_id, task_id, worker_id)",
    EventType.answer_submitted: "a worker answered (assignment_id, task_id, worker_id)",
    EventType.result_changed: "a task's inferred answer changed (task_id, answer, confidence)",
    EventType.task_completed: "a task needs no more answers (task_id, answer, confidence)",
    EventType.review_decided: "a reviewer decided on an answer (assignment_id, decision)",
    EventType.quality_action: "a rule or a requester acted on a worker (worker_id, kind, reason)",
    EventType.model_certified: "a model version was certified to auto-accept (version_id)",
    EventType.project_finished: "every task of the project is complete",
    EventType.budget_reached: "the project's spend reached its budget",
    EventType.deadline_reached: "the project's deadline passed",
    EventType.webhook_test: "a test delivery asked for by the endpoint's owner",
}
