"""``preserve catalogue``: look after the catalogue itself."""

from __future__ import annotations

import click

from access.decisions import refresh_everything
from cli.context import app
from cli.output import emit_json, json_option
from cli.progress import ITEMS, bar
from policies.closure import load_closure_policy
from stewardship.rebuild import rebuild


@click.group("catalogue")
def catalogue_group() -> None:
    """Look after the catalogue (the index of what storage holds)."""


@catalogue_group.command("rebuild")
@json_option(help="Print the result as JSON.")
@click.pass_context
def rebuild_command(ctx: click.Context, as_json: bool) -> None:
    """Recreate the catalogue from storage alone: every AIP's METS, inventory and event log.

    The catalogue must be empty: move the old database aside (keep it), run `preserve init`, then
    rebuild. Every storage location in preserve.toml is read; an AIP held in several is registered
    once with a copy in each, its stored date, its last checks and its state, and the history of
    fixity checks comes back from the event logs. Accounts, requests, the outbox and the record of
    ingest runs are not in storage and do not come back (docs/setting-up.md).
    """
    obj = app(ctx)
    load_closure_policy(obj.settings.policies_path)  # a broken policy stops us before anything starts
    database = obj.database(require_current=False)
    with bar(as_json, ITEMS) as watcher:
        report = rebuild(obj.settings, database, watcher)
        watcher.stage("Working out who may see what, and the records index")
        refresh_everything(obj.settings, database)  # who may see what, and the records index, worked out again
    if as_json:
        emit_json(
            {
                "aips": report.aips,
                "files": report.files,
                "events": report.events,
                "fixity_checks": report.checks,
                "problems": report.problems,
            }
        )
    else:
        click.echo(
            f"Rebuilt the catalogue: {report.aips} AIP(s), {report.files} catalogued files, {report.events} events, "
            f"{report.checks} fixity checks of copies."
        )
        for problem in report.problems:
            click.echo(f"problem: {problem}")
    if report.problems:
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(catalogue_group)
