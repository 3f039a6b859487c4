"""``crowdloop audit``: read the audit log."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from crowdloop.cli._common import unit

if TYPE_CHECKING:
    from crowdloop.audit.models import AuditEntry


def _line(entry: AuditEntry, names: dict[int, str]) -> str:
    actor = names.get(entry.actor_id, str(entry.actor_id)) if entry.actor_id else "-"
    subject = f"{entry.subject_type}:{entry.subject_id}" if entry.subject_type else "-"
    detail = json.dumps(entry.detail, sort_keys=True, separators=(",", ":"))
    when = entry.created_at.isoformat(timespec="seconds")
    return "\t".join([str(entry.id), when, entry.action, actor, subject, entry.ip or "-", detail])


def audit_command(
    ctx: typer.Context,
    action: Annotated[
        str | None, typer.Option(help="Only this action, e.g. login.failed or user.updated.")
    ] = None,
    user: Annotated[
        str | None, typer.Option(help="Only entries by or about this user (username or id).")
    ] = None,
    before: Annotated[int | None, typer.Option(help="Entries older than this id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many entries.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of TSV.")] = False,
) -> None:
    """The audit log, newest first: id, time, action, actor, subject, address, detail
    (sign-ins, sign-outs, user and role changes, tokens, exports, quality actions)."""
    from crowdloop.accounts import service as accounts
    from crowdloop.audit import service as audit
    from crowdloop.audit.schemas import AuditEntryRead, AuditFilter

    with unit(ctx, write=False) as session:
        user_id = None
        if user is not None:
            found = int(user) if user.isdigit() else None
            user_id = found or accounts.get_user_by_username(session, user).id
        query = AuditFilter(action=action, user_id=user_id, before=before, limit=limit)
        entries = audit.entries(session, query)
        names = accounts.usernames(session, {e.actor_id for e in entries if e.actor_id})
        for entry in entries:
            if as_json:
                typer.echo(AuditEntryRead.model_validate(entry).model_dump_json())
            else:
                typer.echo(_line(entry, names))


def register(app: typer.Typer) -> None:
    app.command("audit")(audit_command)
