"""``preserve migrate``: apply today's format policy to AIPs already held, or make the derivatives ingest left for
later (``--pending``)."""

from __future__ import annotations

from collections.abc import Callable

import click

from cli.context import app
from cli.output import console, emit_json, esc, json_option
from cli.progress import ITEMS, bar
from ingest.migrate import Migration, make_pending_copies, migrate, targets_for
from preservation.identifiers import timestamp


@click.command("migrate")
@click.option("--puid", help="The PRONOM format to migrate, e.g. fmt/412.")
@click.option(
    "--pending",
    is_flag=True,
    help='Make the derivatives ingest left for later (preservation_copies = "after"), for every AIP still owed them.',
)
@click.option(
    "--aip",
    "aip_ids",
    multiple=True,
    metavar="AIP",
    help="With --pending: only this AIP (id or unique prefix; repeatable).",
)
@click.option("--dry-run", is_flag=True, help="With --puid: say which AIPs would get which new files; change nothing.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who is running it (default: login name).")
@json_option(help="Print the results as JSON.")
@click.pass_context
def migrate_command(
    ctx: click.Context,
    puid: str | None,
    pending: bool,
    aip_ids: tuple[str, ...],
    dry_run: bool,
    archivist: str | None,
    as_json: bool,
) -> None:
    """Make the derivatives today's format policy asks for, for every AIP holding files of PUID;
    or, with --pending, those ingest left for later.

    Each AIP that lacks them gets a new version with only the new files, a new METS and tag
    files; earlier versions stay exportable. AIPs that already have them are left alone.
    With --pending, an AIP whose copies cannot be made (a damaged stored copy, say) stays
    pending and the others go on. Exit 1 if a conversion or an AIP failed.
    """
    if bool(puid) == pending:
        raise click.UsageError("give --puid PUID, or --pending (not both)")
    if aip_ids and not pending:
        raise click.UsageError("--aip goes with --pending")
    if pending and dry_run:
        raise click.UsageError("--dry-run goes with --puid; `preserve aip list` shows which AIPs are pending")
    obj = app(ctx)
    if pending:
        with bar(as_json, ITEMS) as watcher:
            made = make_pending_copies(  # each line stamped: the background runs write to a log
                obj.settings,
                obj.database(),
                list(aip_ids) or None,
                archivist or "",
                progress=_reporter(as_json, True),
                watcher=watcher,
            )
        if as_json:
            emit_json({"pending": True, "aips": made})
        elif not made and aip_ids:
            click.echo("No AIP given is waiting for its preservation copies (`preserve aip show` says if it is).")
        elif not made:
            click.echo("No AIP is waiting for its preservation copies.")
        if any(r.failed for r in made):
            ctx.exit(1)
        return
    assert puid is not None
    if not targets_for(obj.settings, puid):
        message = f"The format policy keeps {puid} as it is (no derivatives to make): nothing to migrate."
        emit_json({"puid": puid, "aips": []}) if as_json else click.echo(message)
        return
    with bar(as_json, ITEMS) as watcher:
        results = migrate(
            obj.settings, obj.database(), puid, archivist or "", dry_run, progress=_reporter(as_json), watcher=watcher
        )
    if as_json:
        emit_json({"puid": puid, "aips": results})
    elif not results:
        click.echo(f"No AIP holds original files of {puid}.")
    if any(r.failed for r in results):
        ctx.exit(1)


def _reporter(as_json: bool, stamped: bool = False) -> Callable[[Migration], None]:
    """What to do with each AIP's result as it comes: print a line (nothing for JSON), after the time if
    ``stamped``."""

    def report(result: Migration) -> None:
        if not as_json:
            when = f"{timestamp()}  " if stamped else ""
            colour = {"migrated": "green", "failed": "red"}.get(result.outcome, "dim")
            version = f" → {result.version}" if result.version else ""
            problems = "".join(f"\n      [red]{esc(f)}[/red]" for f in result.failed)
            console().print(
                f"  {when}{result.aip_id}  [{colour}]{result.outcome}[/{colour}]{version}  "
                f"{len(result.made)} new file(s){problems}"
            )

    return report


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(migrate_command)
