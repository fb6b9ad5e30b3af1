"""``preserve doctor``: find (and with --fix, clean) what crashes leave behind, and check the archive's set-up."""

from __future__ import annotations

import time

import click

from cli.context import app
from cli.doctor_checks import Checkup, Finding, Findings, remove_leftovers, run_checks
from cli.output import console, emit_json, esc, human_size, json_option


@click.command("doctor")
@click.option(
    "--fix",
    is_flag=True,
    help="Remove what was found (abandoned staging areas, unregistered objects, "
    "unfinished uploads, expired downloads).",
)
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="Grace period: only leftovers untouched for this many hours count.",
)
@json_option(help="Print as JSON.")
@click.pass_context
def doctor_command(ctx: click.Context, fix: bool, hours: float, as_json: bool) -> None:
    """Check the archive: catalogue, policies, storage locations, and leftovers of crashed ingests.

    Leftovers are staging areas no running ingest or delivery holds, objects and event logs in
    storage that no AIP owns (retention is applied only after registration, so they are never
    locked), unfinished multipart uploads, and delivered requests' downloads that expired. They are
    listed, and removed with --fix. Exit 1 if a problem remains.
    """
    obj = app(ctx)
    checkup = Checkup(obj, obj.settings, hours * 3600, fix)
    found = run_checks(checkup)
    if fix:
        remove_leftovers(checkup, found)
    if as_json:
        emit_json(_as_json(found, fix))
    else:
        _print(found, fix)
    if not found.ok or (found.leftovers and not fix):
        ctx.exit(1)


def _as_json(found: Findings, fix: bool) -> dict[str, object]:
    """The report as JSON: the checks, the leftovers (removed, with --fix) and the converters the policy needs."""
    return {
        "checks": [finding.as_json() for finding in found.checks],
        "abandoned_staging": [
            {"path": str(a), "age_hours": round((time.time() - a.stat().st_mtime) / 3600, 1)} for a in found.staging
        ]
        if not fix
        else [str(a) for a in found.staging],
        "orphans": [
            {
                "location": o.location,
                "prefix": o.prefix,
                "kind": o.kind,
                "keys": o.keys,
                "bytes": o.bytes,
                "complete": o.complete,
            }
            for o in found.orphans
        ],
        "unfinished_uploads": found.uploads,
        "expired_downloads": [
            {"request": r.id, "location": r.dip_location, "key": r.dip_key, "expired": r.expires_at}
            for r in found.expired
        ],
        "converters": [converter.as_json() for converter in found.converters],
        "fixed": fix,
    }


def _print(found: Findings, fix: bool) -> None:
    """The report for people: a line per check, a line per leftover, and what to do next."""
    out = console()
    for finding in found.checks:
        out.print(_check_line(finding))
        if finding.hint:
            out.print(f"      [dim]{esc(finding.hint)}[/dim]")
    verb = "removed" if fix else "found"
    for line in _leftover_lines(found):
        out.print(f"[yellow]{verb}[/yellow] {line}")
    if not found.leftovers and found.ok:
        out.print("Everything looks right.")
    elif not fix and found.leftovers:
        out.print("Run `preserve doctor --fix` to remove the leftovers.")


def _check_line(finding: Finding) -> str:
    mark = "[green]ok[/green]" if finding.ok else "[red]PROBLEM[/red]"
    return f"{mark}  {esc(finding.check)}" + (f": {esc(finding.detail)}" if finding.detail else "")


def _leftover_lines(found: Findings) -> list[str]:
    """A line (after "found" or "removed") per leftover."""
    lines = [f"abandoned staging area {esc(str(area))}" for area in found.staging]
    for o in found.orphans:
        what = "complete but unregistered" if o.complete else "incomplete"
        lines.append(f"{o.kind} {esc(o.prefix)} in {esc(o.location)}: {o.keys} keys, {human_size(o.bytes)} ({what})")
    lines += [f"{len(writes)} unfinished upload(s) in {esc(name)}" for name, writes in found.uploads.items()]
    lines += [
        f"the download of request {request.id[:8]}, expired {request.expires_at[:16].replace('T', ' ')} UTC"
        for request in found.expired
    ]
    return lines


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(doctor_command)
