"""``preserve request``: researchers' requests for records, decided by archivists; ``preserve outbox``."""

from __future__ import annotations

import getpass

import click

from access.delivery import deliver_request, delivery_link
from access.mail import send_outbox
from access.requests import decide_request, revoke_request
from catalogue.requests_outbox import (
    drop_message,
    get_request,
    list_requests,
    outbox,
    record_access,
    retry_message,
    user_address,
)
from cli.context import app
from cli.output import console, emit_json, esc, json_option, table
from preservation.agents import person_agent, software_agent
from preservation.errors import NotFound

STATES = ["open", "submitted", "approved", "delivered", "refused", "revoked"]


@click.group("request")
def request_group() -> None:
    """Researchers' requests for records: list them, and approve or refuse each with a reason."""


@request_group.command("list")
@click.option(
    "--state",
    type=click.Choice(STATES),
    default="submitted",
    show_default=True,
    help="Which requests (submitted: waiting for a decision).",
)
@json_option(help="Print as JSON.")
@click.pass_context
def list_command(ctx: click.Context, state: str, as_json: bool) -> None:
    """Requests in one state, oldest first."""
    with app(ctx).database().session() as session:
        found = list_requests(session, state)
    if as_json:
        emit_json([vars(request) for request in found])
        return
    if not found:
        console().print(f"No {state} requests.")
        return
    listing = table("Request", "Submitted", "Records", "Purpose")
    for request in found:
        listing.add_row(
            request.id[:8], request.submitted_at[:16].replace("T", " "), str(len(request.items)), esc(request.purpose)
        )
    console().print(listing)


@request_group.command("show")
@click.argument("request_id")
@json_option(help="Print as JSON.")
@click.pass_context
def show_command(ctx: click.Context, request_id: str, as_json: bool) -> None:
    """One request: who asked, what for, and each record with its access now."""
    with app(ctx).database().session() as session:
        request = get_request(session, request_id)
        who = user_address(session, request.user_id)
        records = [(aip_id, target, record_access(session, aip_id, target)) for aip_id, target in request.items]
    if as_json:
        emit_json(
            vars(request)
            | {
                "user": who,
                "records": [
                    {"aip_id": a, "target": t, "title": r[0] if r else "", "access": r[1].status if r else "gone"}
                    for a, t, r in records
                ],
            }
        )
        return
    out = console()
    out.print(f"Request [bold]{request.id}[/bold] from {esc(who)}: {request.state}")
    out.print(f"  purpose: {esc(request.purpose) or '—'}")
    if request.decided_at:
        out.print(
            f"  {'approved' if request.revoked_at else request.state} by {esc(request.decided_by)} on "
            f"{request.decided_at[:10]}: {esc(request.decision_reason)}"
        )
    if request.revoked_at:
        out.print(f"  revoked on {request.revoked_at[:10]}: {esc(request.revoked_reason)}")
    listing = table("AIP", "Record", "Title", "Access now")
    for aip_id, target, record in records:
        listing.add_row(
            aip_id[:8],
            esc(f"objects/{target}" if target else "the whole AIP"),
            esc(record[0]) if record else "",
            record[1].status if record else "gone",
        )
    out.print(listing)
    if request.delivered_at:
        out.print(
            f"  delivered {request.delivered_at[:16].replace('T', ' ')}: {request.dip_files} file(s) in "
            f"{esc(request.dip_location)}:{esc(request.dip_key)}, link until "
            f"{request.expires_at[:16].replace('T', ' ')} UTC"
        )
    if request.delivery_note:
        out.print(f"  [yellow]note:[/yellow] {esc(request.delivery_note)}")


def _decide(ctx: click.Context, request_id: str, reason: str, archivist: str | None, approve: bool) -> None:

    request = decide_request(app(ctx).database(), request_id, approve, reason, archivist or getpass.getuser())
    console().print(f"Request {request.id[:8]} {request.state}; the researcher has a message in the outbox.")
    if approve:
        _deliver(ctx, request.id, archivist)


def _deliver(ctx: click.Context, request_id: str, archivist: str | None) -> None:
    obj = app(ctx)
    with console().status("Building the DIP (access copies, manifest, description)…"):
        request = deliver_request(
            obj.settings, obj.database(), request_id, [software_agent(), person_agent(archivist or "")]
        )
    console().print(
        f"Delivered: {request.dip_files} file(s); the researcher's download works until "
        f"{request.expires_at[:16].replace('T', ' ')} UTC."
    )
    if request.delivery_note:
        console().print(f"[yellow]Note:[/yellow] {esc(request.delivery_note)}")


@request_group.command("approve")
@click.argument("request_id")
@click.option("--reason", required=True, help="What the researcher is told.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who decides (default: login name).")
@click.pass_context
def approve_command(ctx: click.Context, request_id: str, reason: str, archivist: str | None) -> None:
    """Approve a submitted request."""
    _decide(ctx, request_id, reason, archivist, True)


@request_group.command("refuse")
@click.argument("request_id")
@click.option("--reason", required=True, help="What the researcher is told.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who decides (default: login name).")
@click.pass_context
def refuse_command(ctx: click.Context, request_id: str, reason: str, archivist: str | None) -> None:
    """Refuse a submitted request."""
    _decide(ctx, request_id, reason, archivist, False)


@request_group.command("deliver")
@click.argument("request_id")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who delivers (default: login name).")
@click.pass_context
def deliver_command(ctx: click.Context, request_id: str, archivist: str | None) -> None:
    """Build the DIP of an approved request again (after a failed delivery, or when its link has expired)."""
    _deliver(ctx, request_id, archivist)


@request_group.command("revoke")
@click.argument("request_id")
@click.option("--reason", required=True, help="What the researcher is told.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who revokes (default: login name).")
@click.pass_context
def revoke_command(ctx: click.Context, request_id: str, reason: str, archivist: str | None) -> None:
    """Withdraw an approved or delivered request: its download link stops working at once and its DIP is removed."""

    obj = app(ctx)
    request = revoke_request(obj.settings, obj.database(), request_id, reason, archivist or getpass.getuser())
    console().print(
        f"Request {request.id[:8]} revoked: its download no longer works and its DIP is removed; the "
        "researcher has a message in the outbox."
    )


@request_group.command("link")
@click.argument("request_id")
@click.pass_context
def link_command(ctx: click.Context, request_id: str) -> None:
    """Print the download link of a delivered request (for its researcher, signed in, until the delivery expires)."""
    obj = app(ctx)
    with obj.database().session() as session:
        request = get_request(session, request_id)
    click.echo(delivery_link(obj.settings, request))


@click.group("outbox", invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Sent messages too.")
@click.option("--failed", is_flag=True, help="Only the messages set aside because they were refused, with why.")
@json_option(help="Print as JSON.")
@click.pass_context
def outbox_command(ctx: click.Context, show_all: bool, failed: bool, as_json: bool) -> None:
    """Messages to people (requests submitted, decided and delivered), oldest first; `send` sends them,
    `retry ID` puts back one that was refused, `drop ID` removes one."""
    if ctx.invoked_subcommand:
        return
    with app(ctx).database().session() as session:
        messages = outbox(session, unsent_only=not show_all, failed=True if failed else None)
    if as_json:
        emit_json(
            [
                {"id": m[0], "to": m[1], "subject": m[2], "body": m[3], "created": m[4], "sent": m[5], "failure": m[6]}
                for m in messages
            ]
        )
        return
    listing = table("Id", "To", "Subject", "Created", "Sent")
    for message_id, to, subject, _body, created, sent, failure in messages:
        state = sent[:16].replace("T", " ") or (f"[red]refused:[/red] {esc(failure)}" if failure else "—")
        listing.add_row(str(message_id), esc(to), esc(subject), created[:16].replace("T", " "), state)
    console().print(listing if messages else "The outbox is empty.")


@outbox_command.command("send")
@click.pass_context
def send_command(ctx: click.Context) -> None:
    """Send the unsent messages through the SMTP server in [mail], one by one; a message the server refuses is
    set aside with why (see `preserve outbox --failed`) and the others still go. Exits 1 if any was refused."""
    obj = app(ctx)
    report = send_outbox(obj.settings, obj.database())
    console().print(f"Sent {report.sent} message(s)." if report.sent or report.failed else "Nothing to send.")
    for message_id, why in report.failed:
        console().print(f"[red]Message {message_id} was refused and set aside:[/red] {esc(why)}")
    if report.failed:
        console().print("`preserve outbox --failed` lists them; `preserve outbox retry ID` or `drop ID` decides.")
        ctx.exit(1)


@outbox_command.command("retry")
@click.argument("message_id", type=int)
@click.pass_context
def retry_command(ctx: click.Context, message_id: int) -> None:
    """Put a message that was refused back in the queue for the next `send`."""
    with app(ctx).database().session() as session:
        if not retry_message(session, message_id):
            raise NotFound(f"no unsent message {message_id} in the outbox", hint="`preserve outbox` lists them.")
    console().print(f"Message {message_id} will be sent by the next `preserve outbox send`.")


@outbox_command.command("drop")
@click.argument("message_id", type=int)
@click.pass_context
def drop_command(ctx: click.Context, message_id: int) -> None:
    """Remove an unsent message from the outbox (it is never sent)."""
    with app(ctx).database().session() as session:
        if not drop_message(session, message_id):
            raise NotFound(f"no unsent message {message_id} in the outbox", hint="`preserve outbox` lists them.")
    console().print(f"Message {message_id} removed from the outbox.")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(request_group)
    group.add_command(outbox_command)
