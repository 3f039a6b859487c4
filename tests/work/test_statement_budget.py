"""The labelling loop's statement budget (issue 12): one answer through
``submit?next=true`` runs at most this many SQL statements. Write units hold what they load
(storage/engine.py): without that, the project, task and quality rows were loaded again by
each function that asked for them, ~30 statements on SQLite. A change that adds a query to
the hot path fails here and has to say why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import event

from crowdloop.storage.engine import Database
from tests.helpers import actors, project_body

# BEGIN, SAVEPOINT/RELEASE and pg_notify included; measured at the session that set it.
BUDGET = {"sqlite": 24, "postgresql": 26}
# The live notifier reads new events' heads from its own thread whenever it wakes: not the
# request's work, and whether it falls inside the window is a matter of timing.
NOT_THE_REQUEST = "SELECT events.id, events.project_id"


@contextmanager
def _counting(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if not statement.startswith(NOT_THE_REQUEST):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_an_answer_stays_within_its_statement_budget(
    app_client: TestClient, db: Database, backend: str
) -> None:
    a = actors(app_client, db, n_workers=1)
    project = a.requester.create_project(project_body(overlap=3))
    for i in range(6):
        a.requester.create_task(project["id"], {"data": {"n": i}})
    worker = a.workers[0]
    job = worker.next_task(project["id"])
    job = worker.submit(job["id"], "cat", next=True)["next"]  # warm: first quality row
    with _counting(db) as seen:
        done = worker.submit(job["id"], "dog", next=True)
    assert done["next"] is not None
    assert len(seen) <= BUDGET[backend], "\n".join(s.split("\n")[0][:90] for s in seen)
