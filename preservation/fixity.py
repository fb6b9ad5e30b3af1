"""Fixity audit runs: check the planned copies, repair damaged ones from a verified copy, record it all.

A run takes a plan (which copies of which AIPs, a full re-read or a metadata-only pass), checks
each copy, and — when repair is on and a copy is bad — fully verifies another copy of the same
AIP in this run (never trusting an earlier result), re-writes the damage from it, re-checks the
repaired copy and only then counts it as repaired. With no good copy left, every copy is kept as
it is and the AIP is marked damaged. Every check, repair and quarantine is a PREMIS event in the
catalogue and in the event log of each location holding the AIP, and a row in the check history
that schedules and reports read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from preservation import SOFTWARE_NAME
from preservation.agents import software_agent
from preservation.audit import FULL, METADATA, WHOLE_COPY, CopyAudit, Expected, audit_copy
from preservation.catalogue import Database
from preservation.catalogue import queries as catalogue
from preservation.config import Settings
from preservation.errors import PreservationError
from preservation.event_log import write_event_log
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.model import (
    FAILURE,
    FIXITY_CHECK,
    QUARANTINE,
    RECOVERY,
    SUCCESS,
    Agent,
    Aip,
    Event,
    Replica,
)
from preservation.repair import RepairWork, repair_copy
from preservation.replicate import seal_copy
from storage import open_location

MAX_DETAIL = 100  # failures listed in an event's outcome detail


@dataclass(frozen=True)
class PlannedCheck:
    """One AIP and which of its copies (locations) to check, and how."""

    aip: Aip
    locations: tuple[str, ...]
    kind: str = FULL


@dataclass
class CopyResult:
    """What happened to one copy: its check, and its repair if it needed one."""

    replica: Replica
    check: CopyAudit
    repair: RepairWork | None = None
    repaired_from: str = ""
    after: CopyAudit | None = None  # the check after repair
    repair_problem: str = ""

    @property
    def status(self) -> str:
        """``ok``, ``repaired`` or ``damaged``."""
        if self.check.ok:
            return "ok"
        return "repaired" if self.after is not None and self.after.ok else "damaged"


@dataclass
class AipAudit:
    """Every copy of one AIP checked in a run (including copies verified only to repair from)."""

    aip: Aip
    copies: list[CopyResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every copy checked is intact now (as found, or repaired)."""
        return all(copy.status != "damaged" for copy in self.copies)

    @property
    def found_damage(self) -> bool:
        """True when any copy was bad when checked (repaired since or not)."""
        return any(not copy.check.ok for copy in self.copies)

    @property
    def no_good_copy(self) -> bool:
        """True when copies are damaged and none could be verified to repair them from."""
        return not self.ok and not any(c.check.ok and c.check.kind == FULL for c in self.copies)


def plan_all(database: Database, aip_ref: str | None = None, location: str | None = None,
             kind: str = FULL) -> list[PlannedCheck]:
    """Every copy of every AIP (or of one; or only those in one location)."""
    with database.session() as session:
        aips = [catalogue.get_aip(session, aip_ref)] if aip_ref else catalogue.list_aips(session)
        plan = []
        for aip in aips:
            held = [r.location for r in catalogue.aip_replicas(session, aip.id)]
            chosen = tuple(name for name in held if location is None or name == location)
            if chosen:
                plan.append(PlannedCheck(aip, chosen, kind))
    return plan


def run_audit(settings: Settings, database: Database, plan: list[PlannedCheck], *, repair: bool = True,
              on_bytes: Callable[[int], None] | None = None,
              on_copy: Callable[[Aip, CopyResult], None] | None = None, run_id: str = "") -> list[AipAudit]:
    """Carry out ``plan``: check, repair where possible, and record every result (under ``run_id``, if given:
    one audit spread over several workers is one run)."""
    run_id = run_id or new_uuid()
    agent = software_agent()
    results = []
    for planned in plan:
        result = _audit_aip(settings, database, planned, repair, on_bytes, on_copy)
        _record(settings, database, run_id, agent, result)
        results.append(result)
    return results


def _audit_aip(settings: Settings, database: Database, planned: PlannedCheck, repair: bool,
               on_bytes, on_copy) -> AipAudit:
    aip = planned.aip
    with database.session() as session:
        expected = [Expected(f.path, f.size, f.sha256, f.sha512) for f in catalogue.aip_files(session, aip.id)]
        expected.append(Expected(aip.mets_path, -1, "", aip.mets_sha512))
        replicas = {r.location: r for r in catalogue.aip_replicas(session, aip.id)}
        versions = {name: catalogue.stored_versions(session, aip.id, name) for name in replicas}

    def check(replica: Replica, kind: str, rewritten: tuple[str, ...] = ()) -> CopyAudit:
        storage = open_location(settings.location(replica.location))
        rewritten_keys = {f"{replica.object_root}/{key}" for key in rewritten}  # new versions: checked by content
        recorded = {k: v for k, v in versions[replica.location].items() if k not in rewritten_keys}
        return audit_copy(storage, replica.object_root, replica.location, expected, settings.workers,
                          recorded, inventory_sha512=replica.inventory_sha512, kind=kind, on_file=on_bytes)

    result = AipAudit(aip)
    for name in planned.locations:
        copy = CopyResult(replicas[name], check(replicas[name], planned.kind))
        result.copies.append(copy)
        if on_copy is not None:
            on_copy(aip, copy)
    damaged = [copy for copy in result.copies if not copy.check.ok]
    if not damaged or not repair:
        return result
    good = next((c for c in result.copies if c.check.ok and c.check.kind == FULL), None)
    for name, replica in replicas.items():  # verify another copy now: never repair from an earlier result
        if good is not None:
            break
        earlier = [c for c in result.copies if c.replica.location == name]
        if earlier and (earlier[0].check.kind == FULL or not earlier[0].check.ok):
            continue  # verified already, or known to be bad
        copy = CopyResult(replica, check(replica, FULL))
        result.copies.append(copy)
        if on_copy is not None:
            on_copy(aip, copy)
        if copy.check.ok:
            good = copy
    if good is None:
        return result
    source = open_location(settings.location(good.replica.location))
    for copy in damaged:
        target = open_location(settings.location(copy.replica.location))
        copy.repaired_from = good.replica.location
        try:
            copy.repair = repair_copy(target, source, copy.replica.object_root, aip.id, copy.check)
            copy.after = check(copy.replica, FULL, tuple(copy.repair.rewritten))
        except PreservationError as exc:
            copy.repair_problem = exc.message
            continue
        if copy.after.ok:
            seal_copy(database, target, copy.replica.location, copy.replica.object_root, aip.id)
    return result


def _check_event(run_id: str, agent: Agent, aip_id: str, copy: CopyResult, check: CopyAudit, when: str,
                 stage: str) -> Event:
    detail = "; ".join(f"{bad.path}: {bad.problem}" for bad in check.bad[:MAX_DETAIL])
    if len(check.bad) > MAX_DETAIL:
        detail += f"; and {len(check.bad) - MAX_DETAIL} more"
    if detail:  # what the check covered comes first, so a rebuilt catalogue restores it
        detail = f"{check.files} files, {check.bytes} bytes read; {detail}"
    how = ("full re-read; algorithms=SHA-256, SHA-512" if check.kind == FULL
           else "metadata only; sizes, presence and store checksums")
    return Event(
        event_uuid(run_id, f"{aip_id}/{copy.replica.location}/{stage}/{check.kind}", FIXITY_CHECK), aip_id,
        FIXITY_CHECK, when,
        SUCCESS if check.ok else FAILURE, f"program={SOFTWARE_NAME}; {how}; location={copy.replica.location}",
        detail or f"{check.files} files, {check.bytes} bytes match what was recorded", "", (agent.id,))


def _events(run_id: str, agent: Agent, result: AipAudit, when: str) -> list[Event]:
    events = []
    aip_id = result.aip.id
    for copy in result.copies:
        events.append(_check_event(run_id, agent, aip_id, copy, copy.check, when, "check"))
        if copy.repair is not None and copy.repair.quarantined:
            events.append(Event(
                event_uuid(run_id, f"{aip_id}/{copy.replica.location}", QUARANTINE), aip_id, QUARANTINE, when,
                SUCCESS, f"program={SOFTWARE_NAME}; location={copy.replica.location}; files that are not part of "
                "the AIP's OCFL object moved aside into extensions/preserve-quarantine/",
                "; ".join(copy.repair.quarantined[:MAX_DETAIL]), "", (agent.id,)))
        if copy.repaired_from:
            fixed = copy.after is not None and copy.after.ok
            what = (copy.repair.rewritten if copy.repair else [])
            events.append(Event(
                event_uuid(run_id, f"{aip_id}/{copy.replica.location}", RECOVERY), aip_id, RECOVERY, when,
                SUCCESS if fixed else FAILURE,
                f"program={SOFTWARE_NAME}; copy in location {copy.replica.location!r} repaired from the copy in "
                f"{copy.repaired_from!r}, verified in the same run",
                (f"{len(what)} files re-written: " + "; ".join(what[:MAX_DETAIL]) if what else "nothing re-written")
                + ("" if fixed else f"; still damaged: {copy.repair_problem or _summary(copy.after)}"),
                "", (agent.id,)))
            if copy.after is not None:
                events.append(_check_event(run_id, agent, aip_id, copy, copy.after, when, "after-repair"))
    return events


def _summary(check: CopyAudit | None) -> str:
    if check is None:
        return "not checked"
    return "; ".join(f"{bad.path}: {bad.problem}" for bad in check.bad[:5])


def _record(settings: Settings, database: Database, run_id: str, agent: Agent, result: AipAudit) -> None:
    when = timestamp()
    events = _events(run_id, agent, result, when)
    with database.session() as session:
        held = [r.location for r in catalogue.aip_replicas(session, result.aip.id)]
    for name in held:  # each copy's history travels with it
        with contextlib.suppress(PreservationError):  # an unwritable location is reported by its check
            write_event_log(open_location(settings.location(name)), result.aip.id, events, [agent])
    with database.session() as session:
        catalogue.upsert_agents(session, [agent])
        catalogue.record_events(session, events)
        for copy in result.copies:
            final = copy.status
            check = copy.check
            catalogue.record_fixity_check(session, result.aip.id, copy.replica.location, check.kind, when,
                                          check.files, check.bytes, len(check.bad), final)
            status = "damaged" if final == "damaged" else "ok"
            if check.kind == FULL or copy.after is not None:
                catalogue.set_replica_checked(session, result.aip.id, copy.replica.location, status, when)
            else:
                catalogue.set_replica_metadata_checked(session, result.aip.id, copy.replica.location, status, when)
        all_ok = all(r.status == "ok" for r in catalogue.aip_replicas(session, result.aip.id))
        catalogue.set_aip_status(session, result.aip.id, "stored" if all_ok else "damaged")


__all__ = ["FULL", "METADATA", "WHOLE_COPY", "AipAudit", "CopyResult", "PlannedCheck", "plan_all", "run_audit"]
