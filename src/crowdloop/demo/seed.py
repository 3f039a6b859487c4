"""Seed the demo: an admin, a requester, four workers and a review-sentiment project.

Idempotent: accounts and the project are found by name and reused, so running the demo
twice creates nothing new. The passwords and tokens are public (they are printed and
documented), so the demo refuses to run with ``env=prod``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import ApiToken, Role, User
from crowdloop.accounts.schemas import UserCreate, UserUpdate
from crowdloop.accounts.security import hash_token
from crowdloop.ai import service as ai
from crowdloop.ai.schemas import AiConfigUpdate
from crowdloop.allocation import policy
from crowdloop.config import Settings
from crowdloop.errors import Conflict, NoTaskAvailable, NotFound, PermissionDenied
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import ProjectCreate, TaskCreate
from crowdloop.quality import inference as quality_inference
from crowdloop.work import service as work

PROJECT_NAME = "Demo: product review sentiment"
LABELS = ["positive", "negative", "neutral"]
INSTRUCTIONS = """\
# Product review sentiment

Read the customer review and pick the sentiment it expresses about the product:

- **positive**: the customer is happy with the product;
- **negative**: the customer is unhappy (broken, disappointing, returned);
- **neutral**: facts only, or praise and criticism that balance out.

Judge the review, not the product category.
"""
#: (username, role, accuracy of the simulated answers it gives; None = gives none)
ACCOUNTS: list[tuple[str, Role, float | None]] = [
    ("demo-admin", Role.admin, None),
    ("demo-requester", Role.requester, None),
    ("demo-worker1", Role.worker, 0.95),
    ("demo-worker2", Role.worker, 0.85),
    ("demo-worker3", Role.worker, 0.7),
    ("demo-worker4", Role.worker, 0.4),
]
ANSWERS_PER_WORKER = 20
SEED = 20261122


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    password: str
    token: str


@dataclass(frozen=True)
class DemoInfo:
    accounts: list[DemoAccount]
    project_id: int
    project_name: str
    n_tasks: int
    created: bool


def demo_password(username: str) -> str:
    return f"{username}-password"


def demo_token(username: str) -> str:
    """A fixed, public token, so demo commands and docs can be copied as they are."""
    return "cl_" + username.replace("-", "_")


def load_reviews() -> list[dict[str, Any]]:
    text = resources.files("crowdloop.demo").joinpath("reviews.jsonl").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _ensure_user(session: Session, username: str, role: Role) -> User:
    password = demo_password(username)
    try:
        user = accounts.get_user_by_username(session, username)
    except NotFound:
        return accounts.create_user(
            session, UserCreate(username=username, password=password, role=role)
        )
    if user.role != role:
        raise Conflict(f"user {username!r} exists with role {user.role.value}, not {role.value}")
    accounts.update_user(session, user, UserUpdate(password=password, is_active=True))
    return user


def _ensure_token(session: Session, user: User) -> str:
    plain = demo_token(user.username)
    digest = hash_token(plain)
    token = next((t for t in accounts.list_tokens(session, user) if t.token_hash == digest), None)
    if token is None:
        token = ApiToken(user_id=user.id, name="demo", token_hash=digest, prefix=plain[:10])
        session.add(token)
    token.revoked = False
    session.flush()
    return plain


def _find_project(session: Session, owner: User) -> Project | None:
    owned = projects.list_projects(session, owner)
    return next((p for p in owned if p.name == PROJECT_NAME), None)


def _create_project(session: Session, owner: User, settings: Settings) -> Project:
    data = ProjectCreate(
        name=PROJECT_NAME,
        instructions=INSTRUCTIONS,
        answer_schema={"type": "single_choice", "labels": LABELS},
        overlap=3,
        reward_cents=2,
        budget_cents=10_000,
    )
    project = projects.create_project(session, owner, data, default_lease=settings.lease_seconds)
    for row in load_reviews():
        item = TaskCreate(
            data={"text": row["text"], "product": row["product"]},
            external_id=row["id"],
            gold=row["label"] if row.get("control") else None,
        )
        projects.create_task(session, project, item)
    return project


def _simulate_answers(
    session: Session, project: Project, workers: list[tuple[User, float]]
) -> None:
    """Let the demo workers answer some tasks, so results exist from the first minute."""
    truth = {row["id"]: row["label"] for row in load_reviews()}
    rng = random.Random(SEED)
    for worker, accuracy in workers:
        for _ in range(ANSWERS_PER_WORKER):
            try:
                assignment = policy.next_assignment(session, worker, project)
            except NoTaskAvailable:
                break
            task = projects.get_task(session, project, assignment.task_id)
            right = truth[str(task.external_id)]
            wrong = [label for label in LABELS if label != right]
            answer = right if rng.random() < accuracy else rng.choice(wrong)
            work.submit(session, worker, assignment.id, answer)


def _start_ai(session: Session, project: Project) -> None:
    """Turn the model on (suggestions shown, no auto-acceptance: far too few labels to
    certify anything) and train it once on the simulated answers, so the worker's task
    shows a suggestion and the requester's AI status explains why nothing is certified."""
    quality_inference.refit(session, project)
    update = AiConfigUpdate(enabled=True, show_suggestions=True, auto_accept=False)
    ai.update_config(session, project, update)
    try:
        ai.run(session, project)
    except Conflict:  # nothing confident to train on: the demo works without a model
        return


def seed_demo(session: Session, settings: Settings) -> DemoInfo:
    """Create (or find) the demo accounts, tokens and project; flush, never commit."""
    if settings.env == "prod":
        raise PermissionDenied("the demo uses public passwords and tokens: not with env=prod")
    users: dict[str, User] = {}
    demo_accounts = []
    for username, role, _ in ACCOUNTS:
        users[username] = user = _ensure_user(session, username, role)
        token = _ensure_token(session, user)
        demo_accounts.append(DemoAccount(username, role, demo_password(username), token))
    requester = users["demo-requester"]
    project = _find_project(session, requester)
    created = project is None
    if project is None:
        project = _create_project(session, requester, settings)
        workers = [(users[name], acc) for name, _, acc in ACCOUNTS if acc is not None]
        _simulate_answers(session, project, workers)
        _start_ai(session, project)
    stats = projects.project_stats(session, project)
    return DemoInfo(demo_accounts, project.id, project.name, stats.tasks, created)
