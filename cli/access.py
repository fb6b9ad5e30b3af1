"""``preserve access``: open, restrict or close records, and see who may see what."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import date

import click

from access.decisions import CatalogueUnitAccess, catalogue_unit_access, decide_access, refresh_everything, resolve
from catalogue import queries as catalogue
from catalogue.units import aip_access, decisions_of, files_access, units_of
from cli.context import app
from cli.output import console, emit_json, esc, json_option, table
from cli.paths import found_bag_path
from ingest.premis_records import make_agents
from policies.closure import load_closure_policy
from preservation.errors import NotFound
from preservation.model import CLOSED, OPEN, RESTRICTED, Access


@click.group("access")
def access_group() -> None:
    """Access to records: open, closed until a date, or restricted (needs an archivist's approval).

    What researchers may see follows the closure policy (policies/closure.toml) and archivists'
    decisions; every decision is a PREMIS event kept with the AIP.
    """


@access_group.command("set")
@click.argument("reference")
@click.option("--path", help="A file or folder (objects/…) within the AIP REFERENCE names.")
@click.option("--open", "open_", is_flag=True, help="Open to everyone.")
@click.option("--restricted", is_flag=True, help="Seen only with an archivist's approval of a request.")
@click.option("--closed-until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Closed until this date (YYYY-MM-DD).")
@click.option("--closed", "closed_indefinitely", is_flag=True, help="Closed until reviewed (no end date).")
@click.option("--reason", required=True, help="Why (an FOI exemption, a depositor's agreement, a review); kept.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who decides (default: login name).")
@json_option(help="Print the result as JSON.")
@click.pass_context
def set_command(
    ctx: click.Context,
    reference: str,
    path: str | None,
    open_: bool,
    restricted: bool,
    closed_until,
    closed_indefinitely: bool,
    reason: str,
    archivist: str | None,
    as_json: bool,
) -> None:
    """Decide access to REFERENCE: a unit's reference code (e.g. DRO/52/1), or an AIP id (with --path for a
    file or folder in it). The decision covers everything below it, except what a more specific rule or
    decision says."""
    chosen = [
        name
        for name, given in (
            ("--open", open_),
            ("--restricted", restricted),
            ("--closed-until", closed_until is not None),
            ("--closed", closed_indefinitely),
        )
        if given
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --open, --restricted, --closed-until DATE or --closed")
    if closed_until is not None and closed_until.date() <= date.today():
        raise click.UsageError(f"--closed-until {closed_until.date()} is not in the future (use --open)")
    status = OPEN if open_ else RESTRICTED if restricted else CLOSED
    access = Access(status, closed_until.date().isoformat() if closed_until else "", reason)
    obj = app(ctx)
    agents = make_agents(obj.settings.archive_name, archivist or "")
    if path and "\\" in path:  # a depositor's name with a backslash, typed as they wrote it?
        with obj.database().session() as session, contextlib.suppress(NotFound):
            path = found_bag_path(obj.database(), catalogue.get_aip(session, reference).id, path)
    decision = decide_access(
        obj.settings,
        obj.database(),
        load_closure_policy(obj.settings.policies_path),
        reference,
        path or "",
        access,
        [agents["software"], agents["person"]],
    )
    if as_json:
        emit_json(
            {
                "aip_id": decision.aip_id,
                "target": decision.target,
                "reference": decision.reference,
                "access": vars(decision.access),
                "files_refreshed": decision.files_refreshed,
            }
        )
        return
    what = decision.reference or (f"objects/{decision.target}" if decision.target else "the whole AIP")
    console().print(
        f"{esc(what)} (AIP {decision.aip_id}) is now {_text(decision.access)}; "
        f"access worked out again for {decision.files_refreshed} file(s)."
    )


@access_group.command("show")
@click.argument("reference")
@click.option("--path", help="A file or folder (objects/…) within the AIP REFERENCE names.")
@json_option(help="Print as JSON (every file).")
@click.pass_context
def show_command(ctx: click.Context, reference: str, path: str | None, as_json: bool) -> None:
    """Who may see REFERENCE and the files under it, and why (a unit of the archive's own catalogue too)."""
    obj = app(ctx)
    database = obj.database()
    imported = catalogue_unit_access(obj.settings, database, reference) if not path else None
    if imported is not None:
        _show_catalogue_unit(imported, as_json)
        return
    aip_id, target, code = resolve(database, reference, path or "")
    with database.session() as session:
        unit = next((u for u in units_of(session, aip_id) if u.target == target), None)
        decision = decisions_of(session, [aip_id]).get((aip_id, target))
        files = files_access(session, aip_id, target)
        whole = aip_access(session, aip_id)
    if as_json:
        emit_json(
            {
                "aip_id": aip_id,
                "target": target,
                "reference": code,
                "unit": vars(unit) if unit else None,
                "decision": vars(decision) if decision else None,
                "aip_access": vars(whole),
                "files": [{"path": f"objects/{p}", "access": vars(a)} for p, a in files],
            }
        )
        return
    out = console()
    out.print(f"[bold]{esc(code or target or 'AIP ' + aip_id)}[/bold]" + (f" — {esc(unit.title)}" if unit else ""))
    if unit:
        out.print(
            f"  level: {unit.level or '—'}; date: {esc(unit.date_text) or '—'}; parent: "
            f"{esc(unit.parent_reference) or '—'}; closure: {unit.closure_kind or '—'}"
        )
    decided = f"{_text(decision)} — {esc(decision.reason)}" if decision else "none (the policy applies)"
    out.print(f"  decision: {decided}")
    out.print(f"  the AIP as a whole: {_text(whole)}")
    counts = Counter(a.status for _, a in files)
    out.print("  files: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    listing = table("File", "Access", "Why")
    for file_path, access in files[:50]:
        listing.add_row(esc(f"objects/{file_path}"), _text(access), esc(access.reason))
    out.print(listing)
    if len(files) > 50:
        out.print(f"  … and {len(files) - 50} more (--json lists them all)")


def _show_catalogue_unit(imported: CatalogueUnitAccess, as_json: bool) -> None:
    """What a unit of the archive's own catalogue comes to."""
    unit = imported.unit
    if as_json:
        emit_json({"catalogue_unit": vars(unit), "access": vars(imported.access), "aips_below": imported.aips_below})
        return
    out = console()
    out.print(
        f"[bold]{esc(unit.reference)}[/bold] — {esc(unit.title)} (the archive's own catalogue, from {esc(unit.source)})"
    )
    out.print(
        f"  level: {unit.level or '—'}; date: {esc(unit.date_text) or '—'}; parent: {esc(unit.parent_reference) or '—'}"
    )
    read = unit.closure_kind or (f"closed until {unit.closed_until}" if unit.closed_until else "open")
    out.print(f"  access conditions: {esc(unit.access_text) or '(none given)'} → {esc(read)}")
    out.print(
        f"  comes to: {_text(imported.access)}"
        + (f" — {esc(imported.access.reason)}" if imported.access.reason else "")
    )
    out.print(f"  AIPs placed below it: {imported.aips_below}")
    out.print("  (change it in the finding aid and import it again: `preserve catalogue import-ead`)")


@access_group.command("refresh")
@json_option(help="Print the result as JSON.")
@click.pass_context
def refresh_command(ctx: click.Context, as_json: bool) -> None:
    """Work out every record's access again (closures that have ended open; run daily by `preserve scheduler`,
    or after changing policies/closure.toml)."""
    obj = app(ctx)
    files = refresh_everything(obj.settings, obj.database())
    if as_json:
        emit_json({"files": files})
    else:
        console().print(f"Access worked out again for {files} file(s).")


def _text(access: Access) -> str:
    if access.status == CLOSED:
        return f"[red]closed[/red] until {access.closed_until or 'reviewed'}"
    return "[yellow]restricted[/yellow]" if access.status == RESTRICTED else "[green]open[/green]"


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(access_group)
