"""``preserve storage``: the archive's storage locations — list, add, and how each is doing."""

from __future__ import annotations

import re
from typing import TypedDict

import click

from catalogue import queries as catalogue
from cli.context import app
from cli.counts import count_words
from cli.output import console, emit_json, esc, human_size, json_option, table
from cli.progress import bar
from preservation.config import CONFIG_NAME, LocationSettings, load_settings
from preservation.errors import ConfigError, NotFound, PreservationError
from stewardship.finding_aids import copy_finding_aids, keeping_locations
from stewardship.replicate import ReplicaCopy
from stewardship.replicate import replicate as replicate_aips  # `replicate` is add's option
from storage import open_location
from storage.ocfl import ROOT_NAMASTE, ensure_storage_root


class _LocationRow(TypedDict):
    """A location as ``storage list`` shows it."""

    name: str
    backend: str
    where: str
    purpose: str
    replicated: bool


class _StatusRow(TypedDict):
    """A location as ``storage status`` shows it."""

    name: str
    reachable: str
    aips: int
    bytes: int
    damaged_copies: int
    missing_copies: int  # AIPs with no copy here, in a location of [replication]
    last_audit: str


class _CleanRow(TypedDict):
    """What ``storage clean-uploads`` removed from a location, or would remove."""

    location: str
    removed: list[str]
    would_remove: list[str]


def _where(location: LocationSettings) -> str:
    if location.backend == "local":
        return str(location.path)
    endpoint = f" at {location.endpoint}" if location.endpoint else ""
    return f"s3://{location.bucket}/{location.prefix}{endpoint}"


@click.group("storage")
def storage_group() -> None:
    """The storage locations AIPs are kept in."""


@storage_group.command("list")
@json_option(help="Print as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """List the storage locations in preserve.toml, and which ones every AIP is written to."""
    settings = app(ctx).settings
    rows: list[_LocationRow] = [
        {
            "name": loc.name,
            "backend": loc.backend,
            "where": _where(loc),
            "purpose": loc.purpose,
            "replicated": loc.name in settings.replication,
        }
        for loc in settings.locations
    ]
    if as_json:
        emit_json(rows)
        return
    listing = table("Location", "Backend", "Where", "Purpose", "Every AIP written here")
    for row in rows:
        listing.add_row(
            esc(row["name"]), row["backend"], esc(row["where"]), row["purpose"], "yes" if row["replicated"] else "no"
        )
    console().print(listing)


@storage_group.command("status")
@json_option(help="Print as JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """For each location: can it be reached, how many AIPs and bytes it holds, how many AIPs it should hold a copy
    of and does not, when it was last audited. Exit 1 if a location cannot be reached or copies are missing."""
    obj = app(ctx)
    with obj.database().session() as session:
        held = catalogue.location_totals(session)
        missing = {name: len(catalogue.aips_without_copy(session, name)) for name in obj.settings.replication}
    rows: list[_StatusRow] = []
    for location in obj.settings.locations:
        try:
            open_location(location).stat(ROOT_NAMASTE[0])
            reachable = "yes"
        except NotFound:
            reachable = "yes (no OCFL storage root yet)"
        except PreservationError as exc:
            reachable = f"NO: {exc.message}"
        aips, size, damaged, audited = held.get(location.name, (0, 0, 0, ""))
        rows.append(
            {
                "name": location.name,
                "reachable": reachable,
                "aips": aips,
                "bytes": size,
                "damaged_copies": damaged,
                "missing_copies": missing.get(location.name, 0),
                "last_audit": audited,
            }
        )
    if as_json:
        emit_json(rows)
    else:
        listing = table("Location", "Reachable", "AIPs", "Stored", "Damaged copies", "Missing copies", "Last audited")
        for row in rows:
            listing.add_row(
                esc(row["name"]),
                esc(row["reachable"]),
                str(row["aips"]),
                human_size(row["bytes"]),
                str(row["damaged_copies"]),
                str(row["missing_copies"]),
                row["last_audit"][:19].replace("T", " ") or "never",
            )
        console().print(listing)
        for row in rows:
            if row["missing_copies"]:
                click.echo(
                    f"{row['missing_copies']} AIP(s) have no copy in {row['name']}, which every AIP is written to: "
                    f"`preserve storage replicate {row['name']}` copies them there."
                )
    if any(not row["reachable"].startswith("yes") or row["missing_copies"] for row in rows):
        ctx.exit(1)


@storage_group.command("add")
@click.argument("name")
@click.option("--backend", type=click.Choice(["local", "s3"]), required=True)
@click.option("--path", "path", help="Folder (local), relative to the archive home or absolute.")
@click.option("--endpoint", default="", help="S3 endpoint URL (omit for AWS itself).")
@click.option("--bucket", default="", help="S3 bucket.")
@click.option("--prefix", default="", help="Key prefix inside the bucket.")
@click.option("--purpose", type=click.Choice(["aip", "replica", "access"]), default="replica", show_default=True)
@click.option(
    "--replicate/--no-replicate",
    default=True,
    show_default=True,
    help="Write every new AIP here too (adds it to [replication]).",
)
@click.pass_context
def add_command(
    ctx: click.Context,
    name: str,
    backend: str,
    path: str | None,
    endpoint: str,
    bucket: str,
    prefix: str,
    purpose: str,
    replicate: bool,
) -> None:
    """Add a storage location to preserve.toml (comments are kept) and check that it can be reached.

    Credentials for S3 come from the environment or the AWS configuration chain, never from here.
    """
    settings = app(ctx).settings
    config = settings.config_file or settings.home / CONFIG_NAME
    if not config.is_file():
        raise ConfigError(f"{config}: no preserve.toml to add to", hint="Run `preserve init` first.")
    if any(loc.name == name for loc in settings.locations):
        raise ConfigError(f"{config}: a storage location named {name!r} exists already")
    fields = {"name": name, "backend": backend, "purpose": purpose}
    if backend == "local":
        if not path:
            raise click.UsageError("a local location needs --path")
        fields["path"] = path
    else:
        if not bucket:
            raise click.UsageError("an s3 location needs --bucket")
        fields.update({k: v for k, v in (("endpoint", endpoint), ("bucket", bucket), ("prefix", prefix)) if v})
    original = config.read_text(encoding="utf-8")
    text = (
        original.rstrip("\n")
        + "\n\n[[storage]]\n"
        + "".join(f'{key} = "{_escape(value)}"\n' for key, value in fields.items())
    )
    if replicate:
        text = _add_to_replication(text, name)
    config.write_text(text, encoding="utf-8")
    try:
        added = load_settings(settings.home, config).location(name)
        ensure_storage_root(open_location(added))
    except BaseException:
        config.write_text(original, encoding="utf-8")
        raise
    click.echo(
        f"Added storage location {name!r} ({_where(added)})"
        + ("; every new AIP will be written there too." if replicate else ".")
    )
    if replicate:
        with app(ctx).database().session() as session:
            owed = len(catalogue.aips_without_copy(session, name))
        if owed:
            click.echo(f"The {owed} AIP(s) held already have no copy there yet: `preserve storage replicate {name}`.")


def _escape(value: str) -> str:
    return value.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"')


def _add_to_replication(text: str, name: str) -> str:
    pattern = re.compile(r"(\[replication\][^\[]*?locations\s*=\s*\[)([^\]]*)(\])", re.DOTALL)
    found = pattern.search(text)
    if found is None:
        return text + f'\n[replication]\nlocations = ["{_escape(name)}"]\n'
    items = found.group(2).strip().rstrip(",")
    joined = f'{items}, "{_escape(name)}"' if items else f'"{_escape(name)}"'
    return text[: found.start(2)] + joined + text[found.end(2) :]


@storage_group.command("replicate")
@click.argument("location")
@click.option("--aip", "aip_ref", help="Only this AIP (UUID or unique prefix).")
@json_option(help="Print as JSON.")
@click.pass_context
def replicate_command(ctx: click.Context, location: str, aip_ref: str | None, as_json: bool) -> None:
    """Copy every AIP that has no copy in LOCATION there, verify it, and record it (exit 1 if one failed)."""
    obj = app(ctx)
    out = console()

    def report(result: ReplicaCopy) -> None:
        if not as_json and result.outcome != "present":
            colour = "green" if result.outcome == "copied" else "red"
            stored = result.aip.counts.stored
            detail = (
                f"from {esc(result.source)}: "
                + (f"{count_words(*stored, 'stored')}, " if stored is not None else "")
                + f"{result.files} objects with the inventories and event log, {human_size(result.bytes)}"
                if result.outcome == "copied"
                else esc(result.problem)
            )
            out.print(f"  {esc(result.aip.id)}  [{colour}]{result.outcome}[/{colour}]  {detail}")

    with bar(as_json) as watcher:
        results = replicate_aips(obj.settings, obj.database(), location, aip_ref, progress=report, watcher=watcher)
    # the finding aids the catalogue was imported from, so that this location too can rebuild it
    aids = (
        copy_finding_aids(obj.settings, location)
        if aip_ref is None and location in keeping_locations(obj.settings)
        else 0
    )
    counts = {kind: sum(r.outcome == kind for r in results) for kind in ("copied", "present", "failed")}
    if as_json:
        emit_json(
            {
                "location": location,
                **counts,
                "finding_aids_copied": aids,
                "aips": [
                    {
                        "aip_id": r.aip.id,
                        "outcome": r.outcome,
                        "source": r.source,
                        "files": r.files,
                        "bytes": r.bytes,
                        "problem": r.problem,
                    }
                    for r in results
                ],
            }
        )
    else:
        out.print(f"{counts['copied']} copied, {counts['present']} already there, {counts['failed']} failed.")
        if aids:
            out.print(f"{aids} finding aid(s) the catalogue was imported from copied there too.")
    if counts["failed"]:
        ctx.exit(1)


@storage_group.command("clean-uploads")
@click.argument("locations", nargs=-1)
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="Only writes started at least this many hours ago (a running ingest's are younger).",
)
@click.option("--dry-run", is_flag=True, help="List what would be removed, remove nothing.")
@json_option(help="Print as JSON.")
@click.pass_context
def clean_uploads_command(
    ctx: click.Context, locations: tuple[str, ...], hours: float, dry_run: bool, as_json: bool
) -> None:
    """Remove writes a crash left unfinished: temp files on disk, multipart uploads in S3 (every location,
    or those named).

    Such leftovers are never part of an AIP — a copy counts only once it is verified and registered —
    but object stores keep, and bill, an unfinished upload's parts until it is aborted.
    """
    settings = app(ctx).settings
    chosen = [settings.location(name) for name in locations] if locations else settings.locations
    rows: list[_CleanRow] = []
    for location in chosen:
        found = open_location(location).abandoned_writes(hours * 3600, remove=not dry_run)
        rows.append(
            {"location": location.name, "removed": [] if dry_run else found, "would_remove": found if dry_run else []}
        )
    if as_json:
        emit_json(rows)
        return
    verb = "would remove" if dry_run else "removed"
    for row in rows:
        writes = row["would_remove"] or row["removed"]
        click.echo(f"{row['location']}: {verb} {len(writes)} unfinished write(s)")
        for item in writes:
            click.echo(f"  {item}")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(storage_group)
