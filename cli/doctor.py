"""``preserve doctor``: find (and with --fix, clean) what crashes leave behind, and check the archive's set-up."""

from __future__ import annotations

import time

import click

from cli.context import app
from cli.output import console, emit_json, esc, human_size
from preservation.errors import PreservationError


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Remove what was found (abandoned staging areas, unregistered objects, "
              "unfinished uploads, expired downloads).")
@click.option("--older-than", "hours", type=click.FloatRange(min=0), default=24.0, show_default=True,
              help="Grace period: only leftovers untouched for this many hours count.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.pass_context
def doctor_command(ctx: click.Context, fix: bool, hours: float, as_json: bool) -> None:
    """Check the archive: catalogue, policies, storage locations, and leftovers of crashed ingests.

    Leftovers are staging areas no running ingest or delivery holds, objects and event logs in
    storage that no AIP owns (retention is applied only after registration, so they are never
    locked), unfinished multipart uploads, and delivered requests' downloads that expired. They are
    listed, and removed with --fix. Exit 1 if a problem remains.
    """
    from access.delivery import expired_deliveries, remove_delivery
    from ingest import staging
    from policies.checks import load_checks_policy
    from policies.closure import load_closure_policy
    from policies.fixity import load_fixity_policy
    from policies.formats import load_format_policy
    from preservation.orphans import find_orphans, remove_orphan
    from storage import open_location

    obj = app(ctx)
    settings = obj.settings
    seconds = hours * 3600
    checks: list[dict] = []

    def check(name: str, fn) -> object:
        try:
            value = fn()
            checks.append({"check": name, "ok": True, "detail": ""})
            return value
        except PreservationError as exc:
            checks.append({"check": name, "ok": False, "detail": exc.message})
            return None

    check("catalogue schema is current", lambda: obj.database().require_current())
    for loader in (load_format_policy, load_fixity_policy, load_checks_policy, load_closure_policy):
        check(f"policy {loader.__name__.removeprefix('load_').removesuffix('_policy')}",
              lambda loader=loader: loader(settings.policies_path))
    for location in settings.locations:
        check(f"location {location.name} reachable",  # list() is lazy: take one answer from the store
              lambda location=location: next(iter(open_location(location).list("0=")), None))
    areas = staging.abandoned(settings.staging_dir, seconds)
    orphans = check("unregistered objects", lambda: find_orphans(settings, obj.database(), seconds)) or []
    expired = check("expired downloads", lambda: expired_deliveries(obj.database(), seconds)) or []
    uploads = {}
    for location in settings.locations:
        found = check(f"unfinished uploads in {location.name}",
                      lambda location=location: open_location(location).abandoned_writes(seconds, remove=fix))
        if found:
            uploads[location.name] = found
    if fix:
        for area in areas:
            staging.remove(area)
        for orphan in orphans:
            remove_orphan(open_location(settings.location(orphan.location)), orphan)
        for request in expired:
            remove_delivery(settings, obj.database(), request)
    result = {
        "checks": checks,
        "abandoned_staging": [{"path": str(a), "age_hours": round((time.time() - a.stat().st_mtime) / 3600, 1)}
                              for a in areas] if not fix else [str(a) for a in areas],
        "orphans": [{"location": o.location, "prefix": o.prefix, "kind": o.kind, "keys": o.keys, "bytes": o.bytes,
                     "complete": o.complete} for o in orphans],
        "unfinished_uploads": uploads,
        "expired_downloads": [{"request": r.id, "location": r.dip_location, "key": r.dip_key,
                               "expired": r.expires_at} for r in expired],
        "fixed": fix,
    }
    if as_json:
        emit_json(result)
    else:
        out = console()
        for item in checks:
            mark = "[green]ok[/green]" if item["ok"] else "[red]PROBLEM[/red]"
            out.print(f"{mark}  {esc(item['check'])}" + (f": {esc(item['detail'])}" if item["detail"] else ""))
        verb = "removed" if fix else "found"
        for area in areas:
            out.print(f"[yellow]{verb}[/yellow] abandoned staging area {esc(str(area))}")
        for o in orphans:
            what = "complete but unregistered" if o.complete else "incomplete"
            out.print(f"[yellow]{verb}[/yellow] {o.kind} {esc(o.prefix)} in {esc(o.location)}: {o.keys} keys, "
                      f"{human_size(o.bytes)} ({what})")
        for name, found in uploads.items():
            out.print(f"[yellow]{verb}[/yellow] {len(found)} unfinished upload(s) in {esc(name)}")
        for request in expired:
            out.print(f"[yellow]{verb}[/yellow] the download of request {request.id[:8]}, expired "
                      f"{request.expires_at[:16].replace('T', ' ')} UTC")
        leftovers = areas or orphans or uploads or expired
        if not leftovers and all(c["ok"] for c in checks):
            out.print("Everything looks right.")
        elif not fix and leftovers:
            out.print("Run `preserve doctor --fix` to remove the leftovers.")
    if not all(c["ok"] for c in checks) or (not fix and (areas or orphans or uploads or expired)):
        ctx.exit(1)


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(doctor_command)
