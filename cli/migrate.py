"""``preserve migrate``: apply today's format policy to AIPs already held."""

from __future__ import annotations

import click

from cli.context import app
from cli.output import console, emit_json, esc, json_option
from ingest.migrate import migrate, targets_for


@click.command("migrate")
@click.option("--puid", required=True, help="The PRONOM format to migrate, e.g. fmt/412.")
@click.option("--dry-run", is_flag=True, help="Say which AIPs would get which new files; change nothing.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who is running it (default: login name).")
@json_option(help="Print the results as JSON.")
@click.pass_context
def migrate_command(ctx: click.Context, puid: str, dry_run: bool, archivist: str | None, as_json: bool) -> None:
    """Make the derivatives today's format policy asks for, for every AIP holding files of PUID.

    Each AIP that lacks them gets a new version with only the new files, a new METS and tag
    files; earlier versions stay exportable. AIPs that already have them are left alone.
    Exit 1 if a conversion failed.
    """
    obj = app(ctx)
    if not targets_for(obj.settings, puid):
        message = f"The format policy keeps {puid} as it is (no derivatives to make): nothing to migrate."
        emit_json({"puid": puid, "aips": []}) if as_json else click.echo(message)
        return
    out = console()

    def report(result) -> None:
        if not as_json:
            colour = {"migrated": "green", "failed": "red"}.get(result.outcome, "dim")
            version = f" → {result.version}" if result.version else ""
            problems = "".join(f"\n      [red]{esc(f)}[/red]" for f in result.failed)
            out.print(
                f"  {result.aip_id}  [{colour}]{result.outcome}[/{colour}]{version}  "
                f"{len(result.made)} new file(s){problems}"
            )

    results = migrate(obj.settings, obj.database(), puid, archivist or "", dry_run, progress=report)
    if as_json:
        emit_json({"puid": puid, "aips": results})
    elif not results:
        click.echo(f"No AIP holds original files of {puid}.")
    if any(r.failed for r in results):
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(migrate_command)
