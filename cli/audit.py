"""``preserve audit``: check stored copies against what was recorded, repair from a good copy, on a schedule."""

from __future__ import annotations

import sys

import click

from catalogue import queries as catalogue
from cli.context import AppContext, app
from cli.counts import count_words
from cli.output import console, emit_json, esc, json_option
from cli.progress import Bar, wants_progress
from ingest.executors import executor_for
from policies.fixity import load_fixity_policy
from preservation.model import Aip
from stewardship.audit_runs import FULL, METADATA, AipAudit, PlannedCheck, plan_all
from stewardship.schedule import plan_due

DAMAGE = 1


@click.command("audit")
@click.option("--aip", "aip_id", help="Audit only this AIP (UUID or its first characters).")
@click.option("--location", help="Audit only the copies in this storage location.")
@click.option("--due", is_flag=True, help="Do the checks the fixity policy says are due now (one scheduled slice).")
@click.option(
    "--budget-bytes",
    type=click.IntRange(min=1),
    help="Read at most about this many bytes in full checks (overrides the policy's budget_bytes_per_run).",
)
@click.option(
    "--metadata-only", is_flag=True, help="Compare only presence, sizes and store checksums (cheap; no bytes are read)."
)
@click.option(
    "--repair/--no-repair",
    default=None,
    help="Re-write each damaged file from a location whose copy of it "
    "verifies (default: the policy's repair setting, which ships on). --no-repair changes no stored file; "
    "the checks are still recorded as events.",
)
@json_option(help="Print the results as JSON.")
@click.pass_context
def audit_command(
    ctx: click.Context,
    aip_id: str | None,
    location: str | None,
    due: bool,
    budget_bytes: int | None,
    metadata_only: bool,
    repair: bool | None,
    as_json: bool,
) -> None:
    """Check the fixity of stored copies: every copy of every AIP, or those selected.

    A full check re-reads every file and compares size, SHA-256 and SHA-512 with what was
    recorded at ingest; it also finds missing and unexpected files, a changed inventory, damaged
    event log documents, and on versioned object stores a deleted or replaced version. Repair is
    file by file: each damaged file of a copy is re-written from any other location whose copy of
    that file verifies as it is read; a file with no intact copy anywhere is reported lost. Exits 0
    when every copy checked is intact (or was repaired), 1 when damage remains, naming each bad
    file and copy. Every check and repair is recorded as a PREMIS event.
    """
    obj = app(ctx)
    settings = obj.settings
    if location is not None:
        settings.location(location)  # a clear error for a name that is not configured
    policy = load_fixity_policy(settings.policies_path)
    kind = METADATA if metadata_only else FULL
    if due:
        plan = plan_due(
            obj.database(),
            policy.cadences(settings.locations),
            location=location,
            aip_ref=aip_id,
            budget_bytes=budget_bytes,
        )
    else:
        plan = plan_all(obj.database(), aip_id, location, kind)
        if budget_bytes is not None:
            plan = _within(plan, budget_bytes)
    results = _run(obj, plan, policy.repair if repair is None else repair, quiet=as_json)
    missing = _missing_copies(obj, [r.aip.id for r in results] if due or aip_id else None, location)
    if as_json:
        emit_json(
            {
                "ok": all(r.ok for r in results) and not missing,
                "found_damage": any(r.found_damage for r in results),
                "aips": [_as_dict(r) for r in results],
                "missing_copies": [{"aip_id": aip.id, "location": name} for aip, name in missing],
            }
        )
    else:
        _print(results, due)
        for aip, name in missing:
            console().print(
                f"[red]MISSING[/red]  {aip.id}  {esc(aip.title)}  {esc('[' + name + ']')} no copy in this location, "
                f"which every AIP is written to: `preserve storage replicate {esc(name)}` makes it"
            )
    if not all(result.ok for result in results) or missing:
        ctx.exit(DAMAGE)


def _missing_copies(obj: AppContext, audited: list[str] | None, location: str | None) -> list[tuple[Aip, str]]:
    """The AIPs (those ``audited``, or all) with no copy in a location of [replication] — one added after they
    were ingested — as (AIP, location)."""
    names = [n for n in obj.settings.replication if location in (None, n)]
    missing = []
    with obj.database().session() as session:
        for name in names:
            for aip_id in catalogue.aips_without_copy(session, name):
                if audited is None or aip_id in audited:
                    missing.append((catalogue.get_aip(session, aip_id), name))
    return missing


def _within(plan: list[PlannedCheck], budget: int) -> list[PlannedCheck]:
    """The first planned checks whose bytes fit in ``budget`` (always at least one)."""
    chosen: list[PlannedCheck] = []
    used = 0
    for planned in plan:
        size = planned.aip.bytes_stored * len(planned.locations)
        if chosen and used + size > budget:
            break
        chosen.append(planned)
        used += size
    return chosen


def _run(obj: AppContext, plan: list[PlannedCheck], repair: bool, quiet: bool) -> list[AipAudit]:
    """Run the plan on the archive's executor, with a progress bar on a terminal when the executor reports
    progress (bytes for full checks, copies otherwise)."""
    executor = executor_for(obj.settings)  # this machine, or one task per AIP on the `preserve worker` processes
    total = sum(p.aip.bytes_stored * len(p.locations) for p in plan if p.kind == FULL)
    with Bar(wants_progress(quiet) and executor.reports_progress) as progress:
        progress.stage("Auditing", total or None)
        return executor.audit(
            obj.settings,
            obj.database(),
            plan,
            repair,
            on_bytes=progress.advance,
            on_copy=lambda aip, copy: progress.describe(f"Auditing {aip.id[:8]}"),
        )


def _as_dict(result: AipAudit) -> dict:
    return {
        "aip_id": result.aip.id,
        "title": result.aip.title,
        "ok": result.ok,
        "no_good_copy": result.no_good_copy,
        "lost": [{"path": f.path, "key": f.key, "states": dict(f.states)} for f in result.lost],
        "copies": [
            {
                "location": c.replica.location,
                "kind": c.check.kind,
                "ok": c.check.ok,
                "status": c.status,
                "stored_files": c.check.files,  # every content file of the object, all versions (docs/aip.md)
                "stored_bytes": c.check.bytes,
                "bad": [{"path": b.path, "problem": b.problem} for b in c.check.bad],
                "repaired_from": c.repaired_from,
                "repaired": [
                    {"path": r.path, "key": r.key, "from": r.source, "sha512": r.sha512}
                    for r in result.repairs
                    if r.target == c.replica.location
                ],
                "rewritten": c.repair.rewritten if c.repair else [],
                "quarantined": c.repair.quarantined if c.repair else [],
                "still_bad": ([{"path": b.path, "problem": b.problem} for b in c.after.bad] if c.after else [])
                + ([{"path": "(repair)", "problem": c.repair_problem}] if c.repair_problem else []),
            }
            for c in result.copies
        ],
    }


def _print(results: list[AipAudit], due: bool) -> None:
    out = console()
    if not results:
        out.print("Nothing is due for checking." if due else "The archive holds no AIPs to audit.")
        return
    marks = {"ok": "[green]OK[/green]", "repaired": "[yellow]REPAIRED[/yellow]", "damaged": "[red]DAMAGED[/red]"}
    for result in results:
        for copy in result.copies:
            check = copy.check
            what = count_words(check.files, check.bytes, "stored") + (" listed" if check.kind == METADATA else " read")
            out.print(
                f"{marks[copy.status]}  {result.aip.id}  {esc(result.aip.title)}  "
                f"{esc('[' + copy.replica.location + ']')} {what}"
            )
            for bad in check.bad:
                out.print(f"      [red]{esc(bad.path)}[/red]: {esc(bad.problem)} (copy in {esc(bad.location)})")
            if copy.repair is not None and (copy.repair.rewritten or copy.repair.quarantined):
                source = f" from the copies in {esc(copy.repaired_from)}" if copy.repaired_from else ""
                verdict = "verified again" if copy.status == "repaired" else "[red]still damaged[/red]"
                out.print(
                    f"      {len(copy.repair.rewritten)} file(s) re-written{source}, "
                    f"{len(copy.repair.quarantined)} moved to quarantine; {verdict}"
                )
                for repair in (r for r in [*result.repairs, *result.log_repairs] if r.target == copy.replica.location):
                    out.print(f"        re-written: {esc(repair.path)} (from {esc(repair.source)})")
                if copy.after is not None:
                    for bad in copy.after.bad:
                        out.print(f"        [red]still bad:[/red] {esc(bad.path)}: {esc(bad.problem)}")
            if copy.repair_problem:
                out.print(f"      [red]repair failed:[/red] {esc(copy.repair_problem)}")
    for result in (r for r in results if r.lost):
        out.print(
            f"[bold red]AIP {result.aip.id} ({esc(result.aip.title)}): {len(result.lost)} file(s) have NO "
            "intact copy left in any location (lost).[/bold red] Everything else was repaired or is intact; "
            "the lost files' copies are kept as they are:"
        )
        for lost in result.lost:
            states = "; ".join(f"{location}: {state}" for location, state in lost.states)
            out.print(f"      [red]{esc(lost.path)}[/red] ({esc(states)})")
        out.print(
            f"      Restore each from a backup or the depositor: preserve aip repair {result.aip.id[:8]} "
            "--file PATH --from FILE"
        )
        print(f"preserve audit: AIP {result.aip.id} has {len(result.lost)} lost file(s)", file=sys.stderr)
    damaged = sum(1 for r in results for c in r.copies if c.status == "damaged")
    repaired = sum(1 for r in results for c in r.copies if c.status == "repaired")
    files = sum(len(r.repairs) + len(r.log_repairs) for r in results)
    if damaged:
        out.print(
            f"[red]{damaged} damaged copy(ies) remain[/red]; {repaired} copy(ies) repaired whole, {files} "
            "file(s) re-written. Every check and repair is recorded as a PREMIS event."
        )
    else:
        out.print(
            f"All {len(results)} AIP(s) checked are intact"
            + (f" ({repaired} copy(ies) repaired)." if repaired else ".")
        )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(audit_command)
