"""``preserve user``: accounts for the portal (researchers, archivists, administrators)."""

from __future__ import annotations

import sys

import click

from access.sessions import end_sessions, session_state, sessions, when
from access.users import check_password, create_user, set_disabled, set_password, set_role, users
from cli.context import app
from cli.output import console, emit_json, esc, json_option, table
from preservation.errors import AccountError


@click.group("user")
def user_group() -> None:
    """Accounts that sign in to the portal, and what each may do.

    researcher: search, see open records, request restricted ones. archivist: also approve or
    refuse requests and decide access. administrator: everything, including accounts.
    """


def _at_a_terminal() -> bool:
    """Whether the password is being typed (standard input is a terminal)."""
    return sys.stdin.isatty()


def _password(from_stdin: bool, address: str) -> str:
    """The new password: a line of standard input when asked to or when it is not a terminal (a pipe: no prompt,
    no warning), else typed twice — the rules checked on the first typing, not after both."""
    if from_stdin or not _at_a_terminal():
        return sys.stdin.readline().rstrip("\r\n")  # a line from Windows ends in CR LF: neither is typed
    while True:
        password = click.prompt("Password", hide_input=True)
        try:
            check_password(password, address)
        except AccountError as exc:
            click.secho(f"{exc.message}. {exc.hint}", fg="yellow", err=True)
            continue
        if click.prompt("Repeat the password", hide_input=True) == password:
            return password
        click.secho("The two did not match; once more.", fg="yellow", err=True)


@user_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="The person's name, as the portal shows it.")
@click.option("--role", type=click.Choice(["researcher", "archivist", "administrator"]), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@json_option(help="Print the new account as JSON.")
@click.pass_context
def add_command(ctx: click.Context, email: str, name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Create an account for EMAIL (the password is asked for twice, never shown)."""

    database = app(ctx).database()
    user = create_user(database, email, name, role, _password(password_stdin, email))
    if as_json:
        emit_json(vars(user))
    else:
        console().print(f"Account {esc(user.email)} ({user.role}) created.")


@user_group.command("list")
@json_option(help="Print as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every account: address, name, role, last sign-in."""

    found = users(app(ctx).database())
    if as_json:
        emit_json([vars(user) for user in found])
        return
    listing = table("E-mail", "Name", "Role", "Last sign-in", "State")
    for user in found:
        listing.add_row(
            esc(user.email),
            esc(user.name),
            user.role,
            user.last_login[:19].replace("T", " ") or "never",
            "disabled" if user.disabled else "active",
        )
    console().print(listing if found else "No accounts yet: `preserve user add EMAIL --role administrator`.")


@user_group.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(["researcher", "archivist", "administrator"]))
@click.pass_context
def role_command(ctx: click.Context, email: str, role: str) -> None:
    """Change what the account EMAIL may do (its portal sessions end: it signs in again)."""

    user = set_role(app(ctx).database(), email, role)
    console().print(f"{esc(user.email)} is now {user.role}.")


@user_group.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.pass_context
def password_command(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Give the account EMAIL a new password (its portal sessions end: it signs in again)."""

    user = set_password(app(ctx).database(), email, _password(password_stdin, email))
    console().print(f"New password set for {esc(user.email)}.")


@user_group.command("disable")
@click.argument("email")
@click.option("--enable", is_flag=True, help="Allow the account to sign in again.")
@click.pass_context
def disable_command(ctx: click.Context, email: str, enable: bool) -> None:
    """Stop the account EMAIL signing in and end its sessions (or allow it again with --enable); nothing it did
    is removed."""

    user = set_disabled(app(ctx).database(), email, not enable)
    console().print(f"{esc(user.email)} is {'disabled' if user.disabled else 'enabled'}.")


@user_group.command("sessions")
@click.argument("email")
@click.option("--end", is_flag=True, help="End every running session of the account (it must sign in again).")
@json_option(help="Print as JSON.")
@click.pass_context
def sessions_command(ctx: click.Context, email: str, end: bool, as_json: bool) -> None:
    """The portal sessions of the account EMAIL: when each began, was last used, from where, and whether it runs."""
    obj = app(ctx)
    ended = end_sessions(obj.database(), email) if end else None
    user, found = sessions(obj.database(), email)
    if as_json:
        emit_json(
            {
                "email": user.email,
                "ended": ended,
                "sessions": [
                    {
                        "started": when(s.created_at),
                        "last_seen": when(s.last_seen),
                        "client": s.client,
                        "agent": s.agent,
                        "state": session_state(obj.settings, s),
                    }
                    for s in found
                ],
            }
        )
        return
    if ended is not None:
        console().print(f"{ended} running session(s) of {esc(user.email)} ended.")
    listing = table("Started (UTC)", "Last used", "From", "Browser", "State")
    for found_session in found[:50]:
        listing.add_row(
            when(found_session.created_at),
            when(found_session.last_seen),
            esc(found_session.client),
            esc(found_session.agent[:40]),
            esc(session_state(obj.settings, found_session)),
        )
    console().print(listing if found else f"{esc(user.email)} has never signed in to the portal.")
    if len(found) > 50:
        console().print(f"… and {len(found) - 50} older session(s) (--json lists them all).")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(user_group)
