"""`moderation users` and `moderation tokens`: the workspace's accounts and the moderation API's
tokens."""

from __future__ import annotations

import sys

import typer

from commands.support import fail, in_session, migrated_database_url
from moderation.services import accounts
from moderation.storage import staff
from moderation.storage.db import session_scope

users_app = typer.Typer(help="Moderator and admin accounts of the workspace.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the moderation API.", no_args_is_help=True)


def _read_password() -> str:
    """From a terminal, prompted twice; otherwise the first line of standard input."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("add")
def users_add(
    name: str,
    role: str = typer.Option("moderator", help="moderator or admin"),
) -> None:
    """Add an account; the password is prompted for, or read from standard input."""
    try:
        chosen = accounts.Role(role)
    except ValueError:
        fail(f"role must be moderator or admin, not {role!r}")
    password = _read_password()
    added = in_session(lambda session: accounts.add_user(session, name, chosen, password))
    typer.echo(f"added {added.role} {added.name}")


@users_app.command("list")
def users_list() -> None:
    """Every account: name, role, whether it is disabled, its last sign-in."""
    with session_scope(migrated_database_url()) as session:
        users = staff.all_users(session)
        tokens = {u.id: staff.tokens_of(session, u.id) for u in users}
    typer.echo(f"{'name':<24} {'role':<10} {'state':<9} {'tokens':>6}  last sign-in")
    for user in users:
        state = "disabled" if user.disabled else "active"
        last = user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "never"
        typer.echo(f"{user.name:<24} {user.role:<10} {state:<9} {tokens[user.id]:>6}  {last}")


def _switch_user(name: str, enable: bool) -> None:
    switch = accounts.enable_user if enable else accounts.disable_user
    with session_scope(migrated_database_url()) as session:
        found = switch(session, name)
    if not found:
        fail(f"no user named {name!r}")
    typer.echo(f"{'enabled' if enable else 'disabled'} {name}")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable an account: its sessions end and its tokens stop working at once."""
    _switch_user(name, enable=False)


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Enable a disabled account again; it signs in anew (revoked tokens stay revoked)."""
    _switch_user(name, enable=True)


@users_app.command("set-password")
def users_set_password(name: str) -> None:
    """Set an account's password (prompted for, or read from standard input); its browser
    sessions end. Its API tokens keep working: revoke a leaked one with `tokens revoke`."""
    password = _read_password()
    in_session(lambda session: accounts.set_password(session, name, password))
    typer.echo(f"password of {name} set; their browser sessions ended")


@tokens_app.command("list")
def tokens_list(
    name: str = typer.Argument(None, help="Only this user's tokens."),
) -> None:
    """Every API token: its id, owner, label, when it was made and last used, whether it is
    revoked. The tokens themselves are not kept (only their digest), so they are not shown."""
    with session_scope(migrated_database_url()) as session:
        rows = staff.tokens(session, name)
    typer.echo(f"{'id':>5} {'user':<24} {'state':<8} {'created':<20} {'last used':<20} label")
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        created = row.created_at.isoformat(timespec="seconds")
        used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
        typer.echo(
            f"{row.id:>5} {row.user_name:<24} {state:<8} {created:<20} {used:<20} {row.label}"
        )


@tokens_app.command("revoke")
def tokens_revoke(token_id: int = typer.Argument(..., help="The id `tokens list` shows.")) -> None:
    """Revoke one API token at once; its owner's account and other tokens keep working."""
    with session_scope(migrated_database_url()) as session:
        revoked = staff.revoke_token(session, token_id)
    if not revoked:
        fail(f"no active token {token_id}")
    typer.echo(f"revoked token {token_id}")


@tokens_app.command("create")
def tokens_create(
    name: str, label: str = typer.Option("", help="What the token is for (shown in lists).")
) -> None:
    """Create an API token for a user and print it once: it is stored hashed."""
    token = in_session(lambda session: accounts.create_token(session, name, label))
    typer.echo(token)
