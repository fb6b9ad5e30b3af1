"""``preserve catalogue``: look after the catalogue itself."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from access.decisions import refresh_everything
from access.ead_export import export_ead
from access.open_data import catalogue_rows, write_catalogue_csv, write_catalogue_json
from cli.context import app
from cli.output import console, emit_json, esc, json_option
from cli.progress import ITEMS, bar
from ingest.ead_import import import_ead
from policies.closure import load_closure_policy
from preservation.files import written_whole
from stewardship.finding_aids import keep_finding_aid, reimport_finding_aids
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
    fixity checks comes back from the event logs; the finding aids imported (kept in storage as they
    were given) are imported again, oldest first. Accounts, requests, the outbox and the record of
    ingest runs are not in storage and do not come back (docs/setting-up.md).
    """
    obj = app(ctx)
    database = obj.database(require_current=False)
    closure = load_closure_policy(obj.settings.policies_path)
    with bar(as_json, ITEMS) as watcher:
        report = rebuild(obj.settings, database, watcher)
        watcher.stage("Importing again the finding aids storage keeps")
        with tempfile.TemporaryDirectory(prefix="preserve-rebuild-") as work:
            aids = reimport_finding_aids(
                obj.settings,
                Path(work),
                lambda path: import_ead(database, path, closure, allow_opening=True),  # as they were accepted
            )
        watcher.stage("Working out who may see what, and the records index")
        refresh_everything(obj.settings, database)  # who may see what, and the records index, worked out again
    if as_json:
        emit_json(
            {
                "aips": report.aips,
                "files": report.files,
                "events": report.events,
                "fixity_checks": report.checks,
                "finding_aids": len(aids.documents),
                "problems": report.problems + aids.problems,
            }
        )
    else:
        click.echo(
            f"Rebuilt the catalogue: {report.aips} AIP(s), {report.files} catalogued files, {report.events} events, "
            f"{report.checks} fixity checks of copies; {len(aids.documents)} finding aid(s) imported again."
        )
        for problem in report.problems + aids.problems:
            click.echo(f"problem: {problem}")
    if report.problems or aids.problems:
        ctx.exit(1)


@catalogue_group.command("import-ead")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what would be created and changed; change nothing.")
@click.option(
    "--allow-opening",
    is_flag=True,
    help="Let the file lift closures the catalogue holds, or move units to other parents (refused otherwise).",
)
@json_option(help="Print what was done as JSON.")
@click.pass_context
def import_ead_command(ctx: click.Context, file: Path, dry_run: bool, allow_opening: bool, as_json: bool) -> None:
    """Import the units of description of an EAD finding aid (EAD 2002 or EAD3, as CALM and AtoM export them):
    the hierarchy, reference codes, titles, dates, extents, scope and content, access conditions, creators.

    Units are created or updated by reference code and never deleted; importing the same file again changes
    nothing. A unit an AIP's own metadata describes is left as it is. A file with any problem (no reference
    code, a reference given twice, a normalised date that is not one, XML that is not well-formed) is refused
    whole, every problem named with its line.
    """
    obj = app(ctx)
    closure = load_closure_policy(obj.settings.policies_path)
    settings = obj.settings
    report = import_ead(
        obj.database(), file, closure, dry_run, allow_opening, keep=lambda path: keep_finding_aid(settings, path)
    )
    if as_json:
        emit_json(report)
        return
    out = console()
    done = "Would import" if dry_run else "Imported"
    out.print(
        f"{done} {esc(file)}: {len(report.created)} unit(s) new, {len(report.updated)} changed, "
        f"{len(report.unchanged)} unchanged" + ("; nothing was changed (--dry-run)." if dry_run else ".")
    )
    if report.created:
        listed = esc(", ".join(report.created[:MAX_LISTED]))
        more = f" … and {len(report.created) - MAX_LISTED} more" if len(report.created) > MAX_LISTED else ""
        out.print(f"  {'new' if not dry_run else 'would be new'}: {listed}{more}")
    for line in report.opening[:MAX_LISTED]:
        out.print(f"  [yellow]{'would open' if dry_run else 'opened'}[/yellow] {esc(line)}")
    if dry_run and report.opening and not allow_opening:
        out.print(
            f"[red]The import would be refused[/red]: it would lift the closure of, or move, {len(report.opening)} "
            "unit(s) the catalogue holds closed. If that is meant, import with --allow-opening."
        )
    if report.aips_refreshed:
        out.print(f"  access worked out again for the {report.aips_refreshed} AIP(s) placed below what changed")
    for reference, fields in report.updated[:MAX_LISTED]:
        out.print(f"  changed {esc(reference)}: {', '.join(fields)}")
    if len(report.updated) > MAX_LISTED:
        out.print(f"  … and {len(report.updated) - MAX_LISTED} more (--json lists them all)")
    if report.described_by_aips:
        listed = esc(", ".join(report.described_by_aips[:MAX_LISTED]))
        out.print(
            f"[yellow]{len(report.described_by_aips)} unit(s) are described with their files by an AIP, and were "
            f"left as they are[/yellow] (`preserve aip update` changes them): {listed}"
        )
    if report.pending_review:
        out.print(
            f"[yellow]{len(report.pending_review)} unit(s) have access conditions a person must read[/yellow] "
            f"(pending review): {esc(', '.join(report.pending_review[:MAX_LISTED]))}"
        )
    if report.decided_below:
        out.print(
            f"[yellow]{len(report.decided_below)} archivist's decision(s) keep records shown below units this "
            "import closes[/yellow] (a decision at a record outranks what is above it; `preserve access set` "
            "changes it):"
        )
        for line in report.decided_below[:MAX_LISTED]:
            out.print(f"  {esc(line)}")
    if report.not_read:
        listed = ", ".join(
            f"{name} ({seen['count']}, first at line {seen['first_line']})" for name, seen in report.not_read.items()
        )
        out.print(
            f"[yellow]Not read into the catalogue[/yellow] (the finding aid keeps them; docs/discovery.md says what "
            f"is read): {esc(listed)}"
        )


MAX_LISTED = 20


@catalogue_group.command("export")
@click.option("--csv", "as_csv", is_flag=True, help="As CSV, a row per record (the default).")
@click.option("--json", "as_json_array", is_flag=True, help="As one JSON array of objects.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def export_command(ctx: click.Context, as_csv: bool, as_json_array: bool, output: Path | None) -> None:
    """The open catalogue for an open-data portal: every record anyone may see — its reference code, title,
    level, kind, years, collection, format and the address of its page in the portal (docs/discovery.md).
    Closed and restricted records are never written."""
    if as_csv and as_json_array:
        raise click.UsageError("give --csv or --json, not both")
    obj = app(ctx)
    write = write_catalogue_json if as_json_array else write_catalogue_csv
    rows = catalogue_rows(obj.database(), obj.settings.portal_url)
    if output is None:
        count = write(sys.stdout, rows)
    else:
        with written_whole(output, "w", encoding="utf-8", newline="") as handle:
            count = write(handle, rows)
    click.echo(f"{count} open record(s) written" + (f" to {output}" if output else ""), err=True)


@catalogue_group.command("export-ead")
@click.argument("reference")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the finding aid to this file (default: standard output).",
)
@click.option(
    "--include-closed",
    is_flag=True,
    help="Closed units too, with their titles (for the archive's own use; never for publication).",
)
@click.pass_context
def export_ead_command(ctx: click.Context, reference: str, output: Path | None, include_closed: bool) -> None:
    """Write the unit REFERENCE and everything below it — units imported from a finding aid and those AIPs
    describe — as one EAD 2002 finding aid for Discovery or Archives Hub, with a link to the portal for each open
    record. A closed unit is left out with everything below it, its title never written, unless
    --include-closed. What was written and left out is said on standard error."""
    obj = app(ctx)
    if output is None:
        with tempfile.TemporaryDirectory(prefix="preserve-ead-") as work:
            target = Path(work) / "ead.xml"
            report = export_ead(obj.settings, obj.database(), reference, target, include_closed)
            sys.stdout.buffer.write(target.read_bytes())
            sys.stdout.flush()
    else:
        report = export_ead(obj.settings, obj.database(), reference, output, include_closed)
    click.echo(
        f"{report.units} unit(s) of {reference} written"
        + (f" to {output}" if output else "")
        + f", {report.linked} with a link to the portal; {report.left_out} closed unit(s) left out"
        + (" with what is below them" if report.left_out else ""),
        err=True,
    )
    if not (obj.settings.country_code and obj.settings.repository_code):
        click.echo(
            "note: no [archive] country_code and repository_code in preserve.toml: Discovery and Archives Hub "
            "need them on every reference code",
            err=True,
        )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(catalogue_group)
