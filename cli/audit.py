"""``preserve audit``: re-read every stored copy and compare it with the ingest digests."""

from __future__ import annotations

import click

from cli.context import app
from cli.output import console, emit_json, esc, human_size
from preservation.audit import AipAudit, audit

DAMAGE = 1


@click.command("audit")
@click.option("--aip", "aip_id", help="Audit only this AIP (UUID or its first characters).")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def audit_command(ctx: click.Context, aip_id: str | None, as_json: bool) -> None:
    """Check the fixity of every stored copy of every AIP (or of one).

    Exits 0 when every file matches the digests recorded at ingest, 1 when any does not,
    naming each bad file and the location of the bad copy. Each check is recorded as a
    PREMIS fixity check event.
    """
    obj = app(ctx)
    results = audit(obj.settings, obj.database(), aip_id)
    if as_json:
        emit_json({"ok": all(r.ok for r in results), "aips": [_as_dict(r) for r in results]})
    else:
        _print(results)
    if not all(result.ok for result in results):
        ctx.exit(DAMAGE)


def _as_dict(result: AipAudit) -> dict:
    return {
        "aip_id": result.aip.id,
        "title": result.aip.title,
        "ok": result.ok,
        "copies": [
            {"location": c.location, "ok": c.ok, "files": c.files, "bytes": c.bytes,
             "bad": [{"path": b.path, "problem": b.problem} for b in c.bad]}
            for c in result.copies
        ],
    }


def _print(results: list[AipAudit]) -> None:
    out = console()
    if not results:
        out.print("The archive holds no AIPs to audit.")
        return
    bad_count = 0
    for result in results:
        for copy in result.copies:
            mark = "[green]OK[/green]" if copy.ok else "[red]DAMAGED[/red]"
            out.print(f"{mark}  {result.aip.id}  {esc(result.aip.title)}  {esc('[' + copy.location + ']')} "
                      f"{copy.files} files, {human_size(copy.bytes)}")
            for bad in copy.bad:
                bad_count += 1
                out.print(f"      [red]{esc(bad.path)}[/red]: {esc(bad.problem)} (copy in {esc(bad.location)})")
    if bad_count:
        out.print(f"[red]{bad_count} bad file(s) found.[/red] Every check is recorded as a fixity check event.")
    else:
        out.print(f"All {len(results)} AIP(s) intact.")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(audit_command)
