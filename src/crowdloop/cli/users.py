"""``crowdloop users`` and ``crowdloop tokens``: accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

import typer

from crowdloop.accounts.roles import Role
from crowdloop.cli._common import info, operator, unit

users_app = typer.Typer(help="Create, list and forget user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="Issue and revoke API tokens.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name (letters, digits, _ . @ -).")],
    role: Annotated[Role, typer.Option(help="Role of the account.")] = Role.worker,
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (8+ characters); prompted for when omitted.", show_default=False
        ),
    ] = None,
    skill: Annotated[
        list[str] | None,
        typer.Option("--skill", metavar="SKILL", help="A skill tag; repeat for several."),
    ] = None,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
) -> None:
    """Create a user account."""
    from crowdloop.accounts import service
    from crowdloop.accounts.schemas import UserCreate

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = UserCreate(
        username=username, password=password, role=role, email=email, skills=skill or []
    )
    with unit(ctx) as session:
        user = service.create_user(session, data)
    typer.echo(f"created user {user.id} {user.username} ({user.role.value})")


@users_app.command("list")
def list_users(
    ctx: typer.Context,
    role: Annotated[Role | None, typer.Option(help="Only users with this role.")] = None,
) -> None:
    """List users: id, username, role, active, skills."""
    from crowdloop.accounts import service

    with unit(ctx, write=False) as session:
        for user in service.list_users(session, role=role):
            active = "active" if user.is_active else "inactive"
            skills = ",".join(user.skills) or "-"
            typer.echo(f"{user.id}\t{user.username}\t{user.role.value}\t{active}\t{skills}")


@users_app.command("forget")
def forget_user(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user who asked to be forgotten.")],
) -> None:
    """Erase a user's personal data on their request: the username becomes anonymous;
    e-mail, password, skills, API tokens, web sessions and the addresses of their
    sign-ins in the audit log are erased. Their answers stay, under the anonymous name,
    so results stay valid. The account can never sign in again."""
    from crowdloop.accounts import service

    with unit(ctx) as session:
        user = service.forget_user(session, service.get_user_by_username(session, username))
        anonymous = user.username
    typer.echo(f"forgot user {user.id}: now {anonymous}")


@tokens_app.command("create")
def create_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "cli",
) -> None:
    """Issue an API token and print it once on stdout (it is stored only as a hash)."""
    from crowdloop.accounts import service

    with unit(ctx) as session:
        user = service.get_user_by_username(session, username)
        token, plain = service.issue_token(session, user, name=name)
        token_id = token.id
    info(f"token {token_id} for {username}; it is shown only once:")
    typer.echo(plain)


@tokens_app.command("list")
def list_tokens(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Whose tokens to list.")],
) -> None:
    """List a user's tokens: id, name, prefix, created, status."""
    from crowdloop.accounts import service

    with unit(ctx, write=False) as session:
        user = service.get_user_by_username(session, username)
        for t in service.list_tokens(session, user):
            status = "revoked" if t.revoked else "active"
            created = t.created_at.isoformat(timespec="seconds")
            typer.echo(f"{t.id}\t{t.name}\t{t.prefix}...\t{created}\t{status}")


@tokens_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    token_id: Annotated[int, typer.Argument(metavar="ID", help="Token id (see tokens list).")],
) -> None:
    """Revoke an API token: requests using it are refused from now on."""
    from crowdloop.accounts import service

    with unit(ctx) as session:
        token = service.revoke_token(session, operator(), token_id)
    typer.echo(f"revoked token {token.id} ({token.name})")
