"""``preserve aip``: list, show and export AIPs."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import click

from access.export import FORMATS, export_aip
from catalogue import queries as catalogue
from catalogue.lost import lost_file_dict, lost_files
from catalogue.summaries import Tally, aip_summary
from cli.context import app
from cli.counts import print_tallies, roles_words, stored_words
from cli.output import console, emit_json, esc, human_size, json_option, table
from cli.paths import found_bag_path
from cli.progress import bar
from ingest.premis_records import make_agents
from ingest.update import update_aip
from preservation.errors import NotFound
from preservation.model import COPIES_MAKING, Aip, FileRecord, LostFile, Replica
from stewardship.legal_hold import hold_active, set_legal_hold
from stewardship.restore import restore_file
from storage import open_location
from storage.ocfl import read_inventory


@click.group("aip")
def aip_group() -> None:
    """List, inspect and export the AIPs in the archive."""


@aip_group.command("list")
@json_option(help="Print as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List every AIP, newest first."""
    with app(ctx).database().session() as session:
        aips = catalogue.list_aips(session)
    if as_json:
        emit_json(aips)
        return
    if not aips:
        click.echo("The archive holds no AIPs yet. Ingest a folder with: preserve ingest FOLDER")
        return
    rows = table("AIP", "Title", "Original files", "Stored", "Status", "Ingested")
    for aip in aips:
        status = aip.status + (f"; copies {_copies_words(aip.copies_state)}" if aip.copies_state else "")
        stored = aip.counts.stored
        rows.add_row(
            aip.id,
            esc(aip.title),
            _files_and_size(*aip.counts.original),
            _files_and_size(*stored) if stored is not None else "not yet measured",
            status,
            _when(aip.created_at),
        )
    console().print(rows)


def _files_and_size(files: int, size: int) -> str:
    return f"{files} {'file' if files == 1 else 'files'}, {human_size(size)}"


@aip_group.command("show")
@click.argument("aip_id")
@click.option("--files", "list_files", is_flag=True, help="List the files (paths, sizes, formats, verdicts, digests).")
@click.option("--events", "list_events", is_flag=True, help="List every event.")
@click.option(
    "--path", "prefix", default="", help="Only files under this path (data/objects/…, objects/…, or photographs/…)."
)
@click.option("--limit", type=click.IntRange(min=1), help="At most this many files.")
@click.option("--versions", is_flag=True, help="List the AIP's versions (from its stored OCFL inventory).")
@json_option(help="Print as JSON (every file and event; --path and --limit page the files).")
@click.pass_context
def show_command(
    ctx: click.Context,
    aip_id: str,
    list_files: bool,
    list_events: bool,
    prefix: str,
    limit: int | None,
    versions: bool,
    as_json: bool,
) -> None:
    """Show an AIP: what it holds summed up (files by role, format, folder and validation verdict; events;
    stored copies), and with --files the files themselves, with --events every event.

    AIP_ID may be the full UUID or its first 4 or more characters.
    """
    if versions:
        _show_versions(ctx, aip_id, as_json)
        return
    list_files = list_files or bool(prefix) or limit is not None  # --path and --limit are about the files
    if not as_json and not list_files and not list_events:
        _show_summary(ctx, aip_id)
        return
    with app(ctx).database().session() as session:
        aip = catalogue.get_aip(session, aip_id)
        under = found_bag_path(app(ctx).database(), aip.id, prefix) if prefix else ""
        files = list(islice(catalogue.aip_files(session, aip.id, under), limit))
        if prefix and not files:
            raise NotFound(
                f"AIP {aip.id} has no file under {under}",
                hint=f"`preserve aip show {aip.id[:8]}` lists its folders (under Folders); --path takes a folder "
                "as it prints it, e.g. objects/photographs.",
            )
        events = catalogue.aip_events(session, aip.id) if as_json or list_events else []
        replicas = catalogue.aip_replicas(session, aip.id)
        agents = catalogue.agents_by_id(session, (a for e in events for a in e.agent_ids))
        described = catalogue.aip_descriptions(session, aip.id)
        rights = catalogue.aip_rights(session, aip.id)
        lost = lost_files(session, aip.id)
    held = hold_active(app(ctx).database(), aip.id)
    if as_json:
        emit_json(
            {
                "aip": aip,
                "legal_hold": held,
                "files": files,
                "events": events,
                "replicas": replicas,
                "agents": list(agents.values()),
                "descriptions": [
                    {"target": f"objects/{t}" if t else "objects", "element": e, "value": v} for t, e, v in described
                ],
                "rights": [{"target": f"objects/{t}" if t else "objects", **s.to_dict()} for t, s in rights],
                "lost": [lost_file_dict(file) for file in lost],
            }
        )
        return
    out = console()
    _print_header(aip, held, lost)
    asked = under.removeprefix("data/objects").strip("/") if prefix else None
    for target, element, value in described:  # the AIP's own, and with --path those of what is under it
        if target and not _within(target, asked):
            continue
        out.print(f"  [dim]{esc('objects/' + target if target else 'AIP')} {_element(element)}:[/dim] {esc(value)}")
    if list_files:
        _print_files(files)
        if limit is not None and len(files) == limit:
            out.print(f"[dim]The first {limit} files (--limit); without it, every one under the path given.[/dim]")
    if list_events:
        history = table("When", "Event", "Outcome", "File", title="Events")
        by_id = {record.id: record.path for record in files}
        for event in events:
            where = esc(by_id.get(event.file_id, event.file_id[:8])) if event.file_id else "(AIP)"
            history.add_row(_when(event.datetime), event.type, event.outcome, where)
        out.print(history)
    _print_copies(replicas)
    if lost:
        _show_lost(aip.id, lost)


def _within(target: str, under: str | None) -> bool:
    """Whether a described target is at or below ``under`` (None: nothing is; '': everything is)."""
    return under is not None and (not under or target == under or target.startswith(under + "/"))


def _element(element: str) -> str:
    """A description's element as people read it: dc.title, or reference for the archival ones."""
    return element.removeprefix("archival.") if element.startswith("archival.") else f"dc.{element}"


def _print_copies(replicas: list[Replica]) -> None:
    copies = table("Location", "Version", "Status", "Last verified", title="Stored copies")
    for replica in replicas:
        copies.add_row(esc(replica.location), replica.version, replica.status, _when(replica.verified_at))
    console().print(copies)


def _show_summary(ctx: click.Context, reference: str) -> None:
    """The AIP summed up: as quick for 100,000 files as for ten (grouped in the catalogue)."""
    with app(ctx).database().session() as session:
        aip = catalogue.get_aip(session, reference)
        summary = aip_summary(session, aip.id)
        replicas = catalogue.aip_replicas(session, aip.id)
        described = [(e, v) for t, e, v in catalogue.aip_descriptions(session, aip.id) if not t]
        lost = lost_files(session, aip.id)
    held = hold_active(app(ctx).database(), aip.id)
    out = console()
    _print_header(aip, held, lost)
    for element, value in described:
        out.print(f"  [dim]AIP {_element(element)}:[/dim] {esc(value)}")
    _print_counts(aip)
    _print_tallies("Formats", "Format", summary.by_format, detail="PUID")
    _print_tallies("Folders", "Folder", summary.by_folder)
    _print_tallies("Validation", "Verdict", summary.by_verdict)
    for path, verdict, message in summary.problems:
        out.print(f"  [red]{verdict}[/red] {esc(path)}: {esc(message)}")
    if summary.pending_review:
        out.print(f"  [yellow]{summary.pending_review} file(s) pending review[/yellow] (personal data found)")
    events = table("Event", "Outcome", "Count", title="Events")
    for kind, outcome, count in summary.events:
        events.add_row(kind, outcome, str(count))
    out.print(events)
    _print_copies(replicas)
    if lost:
        _show_lost(aip.id, lost)
    out.print(
        f"[dim]The files: preserve aip show {aip.id[:8]} --files [--path objects/FOLDER] [--limit N]; "
        "every event: --events[/dim]"
    )


def _print_tallies(title: str, heading: str, tallies: list[Tally], detail: str = "") -> None:
    print_tallies(title, heading, ((t.label, t.detail, t.files, t.bytes) for t in tallies), detail)


def _print_counts(aip: Aip) -> None:
    """The AIP's files by role, catalogued and stored: the counts every command uses (docs/aip.md)."""
    counts = aip.counts
    rows = [(ROLE_TITLES.get(role, role), "", files, size) for role, files, size in counts.by_role]
    rows.append(("catalogued files (all of the above)", "", *counts.catalogued))
    if counts.stored is not None:
        rows.append(("stored files (with the METS and tag files, every version)", "", *counts.stored))
    print_tallies("Files", "What", rows)
    if counts.stored is None:
        console().print(f"  {stored_words(counts)}")


ROLE_TITLES = {
    "original": "original files",
    "metadata": "metadata files",
    "preservation": "preservation copies",
    "access": "access copies",
}


def _print_files(files: list[FileRecord]) -> None:
    rows = table("Path", "Size", "PUID", "Format", "Validation", "SHA-256", title="Files")
    for record in files:
        fmt = record.format
        label = esc(fmt.label)
        if fmt.basis not in ("signature", "container", "text"):
            label += f" [dim]({fmt.basis or 'not identified'})[/dim]"
        check = record.validation
        status = check.status or "—"
        if check.status in ("invalid", "failed"):
            status = f"[red]{status}[/red]: {esc(check.messages[0] if check.messages else '')}"
        elif check.status in ("valid with warnings", "not checked") and check.messages:
            status = f"[yellow]{status}[/yellow]: {esc(check.messages[0])}"
        if record.review:
            status += f" · [yellow]{record.review}[/yellow] ({esc(record.personal_data)})"
        rows.add_row(esc(record.path), human_size(record.size), fmt.puid or "—", label, status, record.sha256)
    console().print(rows)


def _print_header(aip: Aip, held: bool, lost: list[LostFile]) -> None:
    out = console()
    out.print(f"[bold]{esc(aip.title)}[/bold]")
    out.print(f"  AIP {aip.id}  ({aip.status}; OCFL object {aip.ocfl_id}, {aip.head_version})")
    out.print(f"  {roles_words(aip.counts)}; {stored_words(aip.counts)}")
    out.print(f"  ingested {_when(aip.created_at)} UTC")
    if aip.copies_state:
        out.print(
            f"  [bold yellow]preservation copies: {_copies_words(aip.copies_state)}"
            "[/bold yellow] (the format policy makes them after ingest; `preserve migrate --pending` makes any left)"
        )
    if held:
        out.print("  [bold yellow]Legal hold in place[/bold yellow] (release with `preserve aip hold --release`)")
    if lost:
        out.print(
            f"  [bold red]{len(lost)} lost file{'s' if len(lost) != 1 else ''}[/bold red]: no intact copy in any "
            "location (listed at the end)"
        )


def _show_lost(aip_id: str, lost: list[LostFile]) -> None:
    """The AIP's lost files, each with what every location holds instead, and how to restore one."""
    out = console()
    out.print()
    out.print(f"[bold red]Lost files — no intact copy in any location[/bold red] ({len(lost)})")
    for file in lost:
        out.print(f"  {esc(file.path)}" + (f"  [dim](found {_when(file.found_at)})[/dim]" if file.found_at else ""))
        for location, state in file.states:
            out.print(f"      {esc(location)}: {esc(state)}")
    out.print(
        f"  Restore each from outside (a backup, the depositor) with: preserve aip repair {aip_id} "
        "--file PATH --from FILE"
    )


def _show_versions(ctx: click.Context, aip_id: str, as_json: bool) -> None:
    obj = app(ctx)
    with obj.database().session() as session:
        aip = catalogue.get_aip(session, aip_id)
        replica = catalogue.aip_replicas(session, aip.id)[0]
    inventory = read_inventory(open_location(obj.settings.location(replica.location)), replica.object_root)
    rows = [
        {
            "version": name,
            "created": data.get("created", ""),
            "message": data.get("message", ""),
            "user": data.get("user", {}).get("name", ""),
            "files": sum(len(paths) for paths in data.get("state", {}).values()),
            "head": name == inventory["head"],
        }
        for name, data in sorted(inventory["versions"].items(), key=lambda item: int(item[0].lstrip("v")))
    ]
    if as_json:
        emit_json({"aip_id": aip.id, "versions": rows})
        return
    listing = table("Version", "Created", "By", "Files in its bag", "What", title=f"Versions of {aip.id}")
    for row in rows:
        listing.add_row(
            row["version"] + (" (head)" if row["head"] else ""),
            row["created"],
            esc(row["user"]),
            str(row["files"]),
            esc(row["message"]),
        )
    console().print(listing)


@aip_group.command("update")
@click.argument("aip_id")
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A corrected or new metadata.csv (Dublin Core; replaces the current descriptions).",
)
@click.option(
    "--rights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A corrected or new rights.csv (replaces the current rights).",
)
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who is making the change (default: login name).")
@json_option(help="Print the result as JSON.")
@click.pass_context
def update_command(
    ctx: click.Context, aip_id: str, metadata: Path | None, rights: Path | None, archivist: str | None, as_json: bool
) -> None:
    """Correct or add an AIP's metadata without ingesting its files again.

    A new AIP version is stored (the next OCFL version) holding only what changed: a new METS with
    a PREMIS metadata modification event, the new spreadsheets, new tag files. Files are never
    copied again, and every earlier version stays exportable (`aip export --version`).
    """
    obj = app(ctx)
    report = update_aip(obj.settings, obj.database(), aip_id, metadata, rights, archivist or "")
    if as_json:
        emit_json(
            {
                "aip_id": report.aip_id,
                "version": report.version,
                "changed": report.changed,
                "locations": report.locations,
                "warnings": report.warnings,
            }
        )
    else:
        click.echo(
            f"AIP {report.aip_id} is now at {report.version}: {len(report.changed)} file(s) stored anew "
            f"in {', '.join(report.locations)}."
        )
        out = console()
        for warning in report.warnings:
            out.print(f"[yellow]warning:[/yellow] {esc(warning)}")


@aip_group.command("repair")
@click.argument("aip_id")
@click.option(
    "--file",
    "path",
    required=True,
    help="The file to restore, as `aip show` lists it "
    "(e.g. data/objects/letters/a.pdf), or its key in the OCFL object.",
)
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A copy of the file from outside the archive (a backup, the depositor's copy).",
)
@json_option(help="Print the result as JSON.")
@click.pass_context
def repair_command(ctx: click.Context, aip_id: str, path: str, source: Path, as_json: bool) -> None:
    """Restore one file of an AIP from a copy outside the archive — a lost file, most often.

    The copy is accepted only if its size and digests are those recorded for the file; it is then
    written to every location whose copy of the file does not verify (checked as it is read and
    again once written), each with a PREMIS recovery event, and the AIP is audited again. Exits 0
    when the AIP is intact everywhere afterwards, 1 when damage remains, 31 when the copy is not
    the recorded file (nothing is written then).
    """
    obj = app(ctx)
    done = restore_file(obj.settings, obj.database(), aip_id, path, source)
    if as_json:
        emit_json(
            {
                "aip_id": done.aip_id,
                "path": done.path,
                "key": done.key,
                "written": done.written,
                "already_intact": done.already_intact,
                "ok": done.audit.ok,
                "lost": [{"path": f.path, "key": f.key, "states": dict(f.states)} for f in done.audit.lost],
            }
        )
    else:
        where = ", ".join(done.written) or "nowhere (every copy of it was intact)"
        click.echo(f"{done.path}: restored in {where}; verified as read and again once written.")
        verdict = "intact in every location" if done.audit.ok else "still damaged (see `preserve aip show`)"
        click.echo(f"AIP {done.aip_id} audited again: {verdict}.")
    if not done.audit.ok:
        ctx.exit(1)


@aip_group.command("hold")
@click.argument("aip_id")
@click.option("--reason", required=True, help="Why (a case, a request, an instruction); kept in the event.")
@click.option("--release", is_flag=True, help="Release the hold instead of placing it.")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST", help="Who is placing it (default: login name).")
@json_option(help="Print the result as JSON.")
@click.pass_context
def hold_command(
    ctx: click.Context, aip_id: str, reason: str, release: bool, archivist: str | None, as_json: bool
) -> None:
    """Place a legal hold on every stored version of an AIP (or release it with --release).

    While held, an S3 location with Object Lock refuses to delete the AIP's objects even after
    their retention has run out. Local disks cannot hold: they are listed as "not possible".
    Exit 1 if a location failed, or if no copy could be held at all.
    """
    obj = app(ctx)
    agents = make_agents(obj.settings.archive_name, archivist or "")
    aip, results = set_legal_hold(
        obj.settings, obj.database(), aip_id, not release, reason, [agents["software"], agents["person"]]
    )
    if as_json:
        emit_json({"aip_id": aip, "hold": not release, "locations": results})
    else:
        out = console()
        for result in results:
            colour = {"held": "green", "released": "green", "failed": "red"}.get(result.outcome, "yellow")
            detail = f"{result.versions} object versions" if result.versions else esc(result.problem)
            out.print(f"  {esc(result.location)}  [{colour}]{result.outcome}[/{colour}]  {detail}")
    done = [r for r in results if r.outcome in ("held", "released")]
    if any(r.outcome == "failed" for r in results) or not done:
        if not as_json:
            click.echo(
                "No copy could be " + ("released." if release else "held.")
                if not done
                else "Some locations failed: see above.",
                err=True,
            )
        ctx.exit(1)


@aip_group.command("export")
@click.argument("aip_id")
@click.argument("dest", type=click.Path(path_type=Path))
@click.option(
    "--as",
    "as_",
    type=click.Choice(FORMATS),
    default="dir",
    show_default=True,
    help="A bag folder, or the bag packed in a tar or zip file.",
)
@click.option("--version", "version", help="An earlier version, e.g. v1 (default: the latest).")
@click.option("--into", is_flag=True, help="DEST is a folder (not empty) to put the bag in, as <slug>-<uuid>.")
@json_option(help="Print the result as JSON.")
@click.pass_context
def export_command(
    ctx: click.Context, aip_id: str, dest: Path, as_: str, version: str | None, into: bool, as_json: bool
) -> None:
    """Write the AIP as a BagIt bag to DEST, a new path (.zip or .tar added when packing if DEST lacks it);
    into DEST as <slug>-<uuid> if DEST is an empty folder, or with --into.

    Every file is checked against the stored OCFL inventory as it is copied, and the bag is
    validated (RFC 8493) before it is packed or appears at its final name.
    """
    obj = app(ctx)
    with bar(as_json) as progress:
        path = export_aip(obj.settings, obj.database(), aip_id, dest, as_, version, into, progress)
    if as_json:
        emit_json({"aip_id": aip_id, "bag": str(path), "as": as_, "valid": True})
    else:
        click.echo(f"Exported a valid bag to {path}")


def _when(iso: str) -> str:
    return iso[:19].replace("T", " ")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(aip_group)


def _copies_words(state: str) -> str:
    """How the copies' state is said to people: pending, or being made."""
    return "being made" if state == COPIES_MAKING else "pending"
