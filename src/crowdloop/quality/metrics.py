"""Agreement metrics of a project's answers (single-choice projects)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from crowdloop.algorithms.agreement import (
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_agreement,
    worker_agreement,
)
from crowdloop.algorithms.answers import Answers, Codebook
from crowdloop.errors import InvalidInput
from crowdloop.projects.models import Project
from crowdloop.quality import repository


class Agreement(BaseModel):
    project_id: int
    answers: int
    tasks_with_answers: int
    pairwise: float
    fleiss_kappa: float
    krippendorff_alpha: float
    workers: dict[int, float]


def agreement(session: Session, project: Project) -> Agreement:
    if project.task_type != "single_choice":
        raise InvalidInput("agreement metrics need a single_choice project")
    labels = list(project.answer_schema["labels"])
    rows = repository.project_answers(session, project.id)
    task_cb = Codebook({r.task_id for r in rows})
    worker_cb = Codebook({r.worker_id for r in rows})
    answers = Answers(
        task_idx=task_cb.encode([r.task_id for r in rows]),
        worker_idx=worker_cb.encode([r.worker_id for r in rows]),
        label_idx=Codebook(labels, keep_order=True).encode([r.answer for r in rows]),
        n_tasks=len(task_cb),
        n_workers=len(worker_cb),
        n_labels=len(labels),
    )
    per_worker = worker_agreement(answers)
    return Agreement(
        project_id=project.id,
        answers=len(rows),
        tasks_with_answers=len(task_cb),
        pairwise=pairwise_agreement(answers),
        fleiss_kappa=fleiss_kappa(answers),
        krippendorff_alpha=krippendorff_alpha(answers),
        workers={int(w): float(per_worker[i]) for i, w in enumerate(worker_cb.ids)},  # type: ignore[call-overload]
    )
