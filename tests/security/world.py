"""A small seeded world for the security tests: every role, a members-only project with
tasks, a control task, answers by two workers and a live lease, a webhook endpoint, a file
upload, and another requester's project. Every string a role must not see is a marker."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from crowdloop.accounts import service as accounts
from crowdloop.accounts.models import Role, User
from crowdloop.allocation import policy
from crowdloop.files import service as files
from crowdloop.projects import service as projects
from crowdloop.projects.models import Project
from crowdloop.projects.schemas import TaskCreate
from crowdloop.storage.engine import Database
from crowdloop.storage.uow import unit_of_work
from crowdloop.webhooks import service as webhooks
from crowdloop.webhooks.schemas import EndpointCreate
from crowdloop.work import service as work
from tests.factories.accounts import make_token, make_user
from tests.factories.projects import make_project
from tests.webhooks.conftest import OPEN

GOLD = "GOLDMARK-7d1c"
EXPLANATION = "EXPLAINMARK-5a2e"
ANSWER_A = "ANSWERMARK-A-91f0"
ANSWER_B = "ANSWERMARK-B-3c77"
TASK_DATA = "TASKMARK-P-0b4d"
OTHER_PROJECT = "OTHERMARK-Q-e8a1"
ROLES = (
    "anonymous",
    "bad_token",
    "admin",
    "owner",
    "other_requester",
    "reviewer",
    "member",
    "member_b",
    "outsider",
)


@dataclass
class World:
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def _users(session: Session, world: World) -> dict[str, User]:
    roles = {
        "admin": Role.admin,
        "owner": Role.requester,
        "other_requester": Role.requester,
        "reviewer": Role.reviewer,
        "member": Role.worker,
        "member_b": Role.worker,
        "outsider": Role.worker,
        "spare": Role.worker,  # the user that admin routes change, deactivate and forget
    }
    users = {name: make_user(session, role=role) for name, role in roles.items()}
    for name, user in users.items():
        world.users[name] = user.id
        world.usernames[name] = user.username
        world.tokens[name] = make_token(session, user)
    world.tokens["bad_token"] = "not-a-real-token"
    # a second token of the owner's: the one the revoke routes revoke
    world.ids["spare_token"] = accounts.issue_token(session, users["owner"], name="spare")[0].id
    return users


def _project(session: Session, users: dict[str, User], world: World) -> Project:
    project = make_project(
        session,
        users["owner"],
        name="Members only",
        answer_schema={"type": "text"},
        overlap=2,
        visibility="members",
        quality={"control_rate": 0},
    )
    for name in ("reviewer", "member", "member_b"):
        projects.add_member(session, project, users[name])
    tasks = [
        projects.create_task(session, project, TaskCreate(data={"text": f"{TASK_DATA} {i}"}))
        for i in range(3)
    ]
    control = TaskCreate(data={"text": "a control"}, gold=GOLD, gold_explanation=EXPLANATION)
    world.ids["task"] = tasks[0].id
    world.ids["control"] = projects.create_task(session, project, control).id
    world.ids["project"] = project.id
    return project


def _answers(session: Session, project: Project, users: dict[str, User], world: World) -> None:
    """Worker A answers two tasks and holds a live lease; worker B answers one."""
    for name, answer, n in (("member", ANSWER_A, 2), ("member_b", ANSWER_B, 1)):
        for _ in range(n):
            lease = policy.next_assignment(session, users[name], project)
            work.submit(session, users[name], lease.id, answer)
            world.ids[f"answered_{name}"] = lease.id
    world.ids["lease"] = policy.next_assignment(session, users["member"], project).id


def _upload(session: Session, users: dict[str, User], world: World) -> None:
    deliverables = make_project(
        session,
        users["owner"],
        name="Deliverables",
        answer_schema={"type": "file", "extensions": [".txt"]},
        overlap=1,
        quality={"control_rate": 0},
    )
    projects.create_task(session, deliverables, TaskCreate(data={"text": "write it"}))
    lease = policy.next_assignment(session, users["member_b"], deliverables)
    upload = files.store(session, users["member_b"], lease, filename="a.txt", data=b"FILEMARK")
    world.ids["upload"] = upload.id


def seed(db: Database) -> World:
    """The world, through the services (one unit of work)."""
    world = World()
    with unit_of_work(db) as session:
        users = _users(session, world)
        project = _project(session, users, world)
        _answers(session, project, users, world)
        _upload(session, users, world)
        other = make_project(
            session, users["other_requester"], name=OTHER_PROJECT, visibility="members"
        )
        projects.create_task(session, other, TaskCreate(data={"text": OTHER_PROJECT}))
        world.ids["other_project"] = other.id
        hook = EndpointCreate(url="https://hooks.example.org/crowdloop")
        endpoint = webhooks.create_endpoint(
            session, project, hook, created_by=users["owner"].id, outbound=OPEN
        )
        world.ids["webhook"] = endpoint.id
        spare = EndpointCreate(url="https://hooks.example.org/spare")
        world.ids["spare_webhook"] = webhooks.create_endpoint(
            session, project, spare, created_by=users["owner"].id, outbound=OPEN
        ).id
    return world
