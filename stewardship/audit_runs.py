"""Fixity audit runs: check the planned copies, repair damaged files from any copy that verifies, record it all.

A run takes a plan (which copies of which AIPs, a full re-read or a metadata-only pass) and checks
each copy. When repair is on and a copy is bad, each of its damaged or missing files is re-written
from another location whose copy of that same file verifies as it is read (never trusting an
earlier result), and the repaired copy is checked again; a file with no intact copy anywhere is
lost — named, with what each location holds — and everything else is still repaired. Every check,
repair, loss and quarantine is a PREMIS event in the catalogue and in the event log of each location
holding the AIP, and a row in the check history that schedules and reports read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.lost import lost_files, replace_lost_files
from catalogue.versions import update_versions
from preservation import SOFTWARE_NAME
from preservation.agents import software_agent
from preservation.config import Settings
from preservation.errors import CopyProblem, PreservationError
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
    LostFile,
    Replica,
)
from stewardship.audit import (
    FULL,
    METADATA,
    WHOLE_COPY,
    CopyAudit,
    Expected,
    audit_copy,
    parse_inventory,
    read_checked,
)
from stewardship.event_log import retain_aip, write_event_log_to
from stewardship.event_log_audit import EventLogAudit, audit_event_log, repair_event_log
from stewardship.legal_hold import hold_new_versions
from stewardship.repair import EVENT_LOG, FileRepair, Side, repair_files, wanted_files
from stewardship.replicate import seal_copy
from storage import Storage, open_location

MAX_DETAIL = 100  # failures listed in an event's outcome detail
VERSION_INVENTORY = re.compile(r"v[0-9]+/inventory\.json")


@dataclass(frozen=True)
class PlannedCheck:
    """One AIP and which of its copies (locations) to check, and how."""

    aip: Aip
    locations: tuple[str, ...]
    kind: str = FULL


@dataclass
class RepairWork:
    """What a repair re-wrote in one copy and moved aside from it."""

    rewritten: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)


@dataclass
class CopyResult:
    """What happened to one copy: its check, and its repair if it needed one."""

    replica: Replica
    check: CopyAudit
    repair: RepairWork | None = None
    repaired_from: str = ""  # the locations files were re-written from, comma-separated
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
    """Every copy of one AIP checked in a run, what was repaired file by file, and what is lost."""

    aip: Aip
    copies: list[CopyResult] = field(default_factory=list)
    repairs: list[FileRepair] = field(default_factory=list)
    lost: list[LostFile] = field(default_factory=list)
    repair_attempted: bool = False
    file_ids: dict[str, str] = field(default_factory=dict)  # a payload file's path -> its id, for events
    event_log: EventLogAudit | None = None  # the event logs beside every copy (full checks only)
    log_repairs: list[FileRepair] = field(default_factory=list)  # event log documents re-written

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
        """True when some file has no intact copy in any location (it is lost)."""
        return bool(self.lost)


def plan_all(
    database: Database, aip_ref: str | None = None, location: str | None = None, kind: str = FULL
) -> list[PlannedCheck]:
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


def run_audit(
    settings: Settings,
    database: Database,
    plan: list[PlannedCheck],
    *,
    repair: bool = True,
    on_bytes: Callable[[int], None] | None = None,
    on_copy: Callable[[Aip, CopyResult], None] | None = None,
    run_id: str = "",
) -> list[AipAudit]:
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


def _audit_aip(
    settings: Settings, database: Database, planned: PlannedCheck, repair: bool, on_bytes, on_copy
) -> AipAudit:
    aip = planned.aip
    with database.session() as session:
        files = list(catalogue.aip_files(session, aip.id))
        expected = [Expected(f.path, f.size, f.sha256, f.sha512) for f in files]
        expected.append(Expected(aip.mets_path, -1, "", aip.mets_sha512))
        replicas = {r.location: r for r in catalogue.aip_replicas(session, aip.id)}
        versions = {name: catalogue.stored_versions(session, aip.id, name) for name in replicas}

    def check(replica: Replica, kind: str, rewritten: tuple[str, ...] = ()) -> CopyAudit:
        storage = open_location(settings.location(replica.location))
        rewritten_keys = {f"{replica.object_root}/{key}" for key in rewritten}  # new versions: checked by content
        recorded = {k: v for k, v in versions[replica.location].items() if k not in rewritten_keys}
        return audit_copy(
            storage,
            replica.object_root,
            replica.location,
            expected,
            settings.workers,
            recorded,
            inventory_sha512=replica.inventory_sha512,
            kind=kind,
            on_file=on_bytes,
        )

    result = AipAudit(aip, file_ids={f.path: f.id for f in files})
    for name in planned.locations:
        copy = CopyResult(replicas[name], check(replicas[name], planned.kind))
        result.copies.append(copy)
        if on_copy is not None:
            on_copy(aip, copy)
    if planned.kind == FULL:
        _check_event_logs(settings, aip, replicas, result)
    damaged = [copy for copy in result.copies if not copy.check.ok]
    if not damaged or not repair:
        return result
    for copy in damaged:  # a metadata-only pass sees only some damage: read the copy in full before repairing it
        if copy.check.kind != FULL:
            copy.check = check(copy.replica, FULL)
    _repair(settings, database, aip, replicas, expected, result, check, versions)
    return result


def _check_event_logs(settings: Settings, aip: Aip, replicas: dict[str, Replica], result: AipAudit) -> None:
    """Audit the event log documents beside every copy; a damaged or missing one is a problem of its copy."""
    stores = {name: open_location(settings.location(name)) for name in replicas}
    result.event_log = audit_event_log(stores, aip.id)
    for copy in result.copies:
        copy.check.bad.extend(_log_problems(result.event_log, copy.replica.location))


def _log_problems(audit: EventLogAudit, location: str) -> list[CopyProblem]:
    """What an event log audit found wrong in one location, as an audit names bad files (with no key under the
    object root: repairing them is the event log's own repair)."""
    found = [
        CopyProblem(f"{EVENT_LOG}{p.key.rsplit('/', 1)[-1]}", p.problem, location=location)
        for p in audit.problems.get(location, [])
    ]
    if location in audit.unreadable:
        found.append(
            CopyProblem(f"{EVENT_LOG}(the whole log)", f"unreadable: {audit.unreadable[location]}", location=location)
        )
    return found


def _repair(
    settings: Settings,
    database: Database,
    aip: Aip,
    replicas: dict[str, Replica],
    expected: list[Expected],
    result: AipAudit,
    check: Callable,
    versions: dict[str, dict[str, str]],
) -> None:
    """Repair the damaged copies file by file from every location holding the AIP, then check them again."""
    sides = [
        Side(name, open_location(settings.location(name)), replica.object_root, versions.get(name, {}))
        for name, replica in replicas.items()
    ]
    trusted = trusted_inventory(sides, replicas)
    result.repair_attempted = True
    damaged = [copy for copy in result.copies if not copy.check.ok]
    if trusted is None:  # nothing to repair from: every file the catalogue knows of, and the inventory, is lost
        why = "no location holds the OCFL inventory recorded for this AIP"
        for copy in damaged:
            copy.repair_problem = why
        states = tuple((copy.replica.location, _copy_problem(copy.check) or why) for copy in result.copies)
        result.lost = [
            LostFile(aip.id, e.path, e.path, states) for e in [Expected("inventory.json", -1, "", ""), *expected]
        ]
        return
    inventory, digest = trusted
    outcome = repair_files(
        aip.id,
        sides,
        wanted_files(inventory, expected, digest),
        {copy.replica.location: copy.check for copy in result.copies},
    )
    result.repairs, result.lost = outcome.repaired, outcome.lost
    stores = {side.name: side.storage for side in sides}
    logs_repaired, logs_moved = _repair_event_logs(aip, stores, result)
    for copy in damaged:
        name = copy.replica.location
        copy.repair = RepairWork(
            outcome.rewritten(name) + logs_repaired.get(name, []),
            outcome.quarantined.get(name, []) + logs_moved.get(name, []),
        )
        copy.repaired_from = ", ".join(sorted({r.source for r in outcome.repaired if r.target == name}))
        copy.repair_problem = outcome.problems.get(name, "")
        if not (copy.repair.rewritten or copy.repair.quarantined):
            continue
        copy.after = check(copy.replica, FULL, tuple(copy.repair.rewritten))
        if result.event_log is not None:
            copy.after.bad.extend(_log_problems(result.event_log, name))
        if copy.after.ok:
            seal_copy(database, stores[name], name, copy.replica.object_root, aip.id)
        else:
            seal_rewritten(database, stores[name], copy.replica, copy.repair.rewritten)


def _repair_event_logs(aip: Aip, stores: dict, result: AipAudit) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Re-write damaged or missing event log documents from an intact copy elsewhere, move out what is not a
    document; audit the logs again. Returns the documents re-written and the files moved aside, by location."""
    if result.event_log is None or result.event_log.ok:
        return {}, {}
    done = repair_event_log(stores, aip.id, result.event_log)
    for lost in done.lost:
        result.lost.append(LostFile(aip.id, f"{EVENT_LOG}{lost.key.rsplit('/', 1)[-1]}", lost.key, lost.states))
    result.log_repairs = [
        FileRepair(r.key, f"{EVENT_LOG}{r.key.rsplit('/', 1)[-1]}", r.source, r.target, f"sha256:{r.sha256}")
        for r in done.repaired
    ]
    for problem in done.failed:
        copy = next((c for c in result.copies if c.replica.location == problem.location), None)
        if copy is not None:
            copy.repair_problem = copy.repair_problem or f"{problem.key}: {problem.problem}"
    result.event_log = audit_event_log(stores, aip.id)
    written: dict[str, list[str]] = {}
    for repair in done.repaired:
        written.setdefault(repair.target, []).append(repair.key)
    moved: dict[str, list[str]] = {}
    for location, key in done.quarantined:
        moved.setdefault(location, []).append(key)
    return written, moved


def _digest_label(digest: str) -> str:
    """A digest as events give it: ``sha512:…`` unless it already names its algorithm."""
    return digest if ":" in digest else f"sha512:{digest}"


def _copy_problem(check: CopyAudit) -> str:
    """What a check found wrong with a copy as a whole ('' if nothing)."""
    return next((bad.problem for bad in check.bad if bad.path == WHOLE_COPY), "")


def trusted_inventory(sides: list[Side], replicas: dict[str, Replica]) -> tuple[dict, str] | None:
    """The AIP's OCFL inventory from any location whose root inventory — or, that failing, whose head version's
    copy of it — is the one recorded, with its digest."""
    recorded = {replica.inventory_sha512 for replica in replicas.values() if replica.inventory_sha512}
    for side in sides:
        found = _inventory_in(side, "inventory.json", recorded)
        if found is not None:
            return found
    for side in sides:
        try:
            keys = [o.key[len(side.root) + 1 :] for o in side.storage.list(side.root + "/")]
        except PreservationError:
            continue
        for key in sorted((k for k in keys if VERSION_INVENTORY.fullmatch(k)), reverse=True):
            found = _inventory_in(side, key, recorded)
            if found is not None and recorded:
                return found
    return None


def _inventory_in(side: Side, key: str, recorded: set[str]) -> tuple[dict, str] | None:
    try:
        data, digest = read_checked(side.storage, f"{side.root}/{key}", f"{side.root}/{key}.sha512")
        return (parse_inventory(data), digest) if not recorded or digest in recorded else None
    except PreservationError:
        return None


def seal_rewritten(database: Database, storage: Storage, replica: Replica, keys: list[str]) -> None:
    """Files re-written in a copy not sealed as a whole (still damaged, or restored one by one): lock and record
    their new versions, so the next audit checks them as they now are."""
    versions = retain_aip(storage, replica.object_root, replica.aip_id)
    rewritten = {f"{replica.object_root}/{key}" for key in keys}
    chosen = {key: version for key, version in versions.items() if key in rewritten}
    with database.session() as session:
        update_versions(session, replica.aip_id, replica.location, chosen)
    hold_new_versions(database, storage, replica.aip_id, chosen)


def _check_event(
    run_id: str, agent: Agent, aip_id: str, copy: CopyResult, check: CopyAudit, when: str, stage: str
) -> Event:
    detail = "; ".join(f"{bad.path}: {bad.problem}" for bad in check.bad[:MAX_DETAIL])
    if len(check.bad) > MAX_DETAIL:
        detail += f"; and {len(check.bad) - MAX_DETAIL} more"
    if detail:  # what the check covered comes first, so a rebuilt catalogue restores it
        detail = f"{check.files} files, {check.bytes} bytes read; {detail}"
    how = (
        "full re-read; algorithms=SHA-256, SHA-512"
        if check.kind == FULL
        else "metadata only; sizes, presence and store checksums"
    )
    return Event(
        event_uuid(run_id, f"{aip_id}/{copy.replica.location}/{stage}/{check.kind}", FIXITY_CHECK),
        aip_id,
        FIXITY_CHECK,
        when,
        SUCCESS if check.ok else FAILURE,
        f"program={SOFTWARE_NAME}; {how}; location={copy.replica.location}",
        detail or f"{check.files} files, {check.bytes} bytes match what was recorded",
        "",
        (agent.id,),
    )


def _events(run_id: str, agent: Agent, result: AipAudit, when: str) -> list[Event]:
    events = []
    aip_id = result.aip.id
    for copy in result.copies:
        events.append(_check_event(run_id, agent, aip_id, copy, copy.check, when, "check"))
        if copy.repair is not None and copy.repair.quarantined:
            events.append(
                Event(
                    event_uuid(run_id, f"{aip_id}/{copy.replica.location}", QUARANTINE),
                    aip_id,
                    QUARANTINE,
                    when,
                    SUCCESS,
                    f"program={SOFTWARE_NAME}; location={copy.replica.location}; files that are not part of "
                    "the AIP's OCFL object moved aside into extensions/preserve-quarantine/",
                    "; ".join(copy.repair.quarantined[:MAX_DETAIL]),
                    "",
                    (agent.id,),
                )
            )
        if copy.repair_problem:
            events.append(
                Event(
                    event_uuid(run_id, f"{aip_id}/{copy.replica.location}", RECOVERY),
                    aip_id,
                    RECOVERY,
                    when,
                    FAILURE,
                    f"program={SOFTWARE_NAME}; repair of the copy in location {copy.replica.location!r}",
                    copy.repair_problem,
                    "",
                    (agent.id,),
                )
            )
    for repair in [*result.repairs, *result.log_repairs]:
        events.append(
            Event(
                event_uuid(run_id, f"{aip_id}/{repair.target}/{repair.key}", RECOVERY),
                aip_id,
                RECOVERY,
                when,
                SUCCESS,
                f"program={SOFTWARE_NAME}; {repair.path} in location {repair.target!r} re-written from the copy in "
                f"{repair.source!r}, verified as it was read and again once written",
                f"{_digest_label(repair.sha512)}; source={repair.source}; target={repair.target}",
                result.file_ids.get(repair.path, ""),
                (agent.id,),
            )
        )
    for lost in result.lost:
        states = "; ".join(f"{location}: {state}" for location, state in lost.states)
        events.append(
            Event(
                event_uuid(run_id, f"{aip_id}/lost/{lost.key}", RECOVERY),
                aip_id,
                RECOVERY,
                when,
                FAILURE,
                f"program={SOFTWARE_NAME}; {lost.path} has no intact copy in any location: lost",
                states,
                result.file_ids.get(lost.path, ""),
                (agent.id,),
            )
        )
    for copy in result.copies:
        if copy.after is not None:
            events.append(_check_event(run_id, agent, aip_id, copy, copy.after, when, "after-repair"))
    return events


def _record(settings: Settings, database: Database, run_id: str, agent: Agent, result: AipAudit) -> None:
    when = timestamp()
    events = _events(run_id, agent, result, when)
    with database.session() as session:
        held = [r.location for r in catalogue.aip_replicas(session, result.aip.id)]
    # each copy's history travels with it: one document, the same key in every location; a location that
    # cannot be opened or written is returned as its error, not raised (its check reports it)
    write_event_log_to(settings, held, result.aip.id, events, [agent])
    with database.session() as session:
        catalogue.upsert_agents(session, [agent])
        catalogue.record_events(session, events)
        for copy in result.copies:
            final = copy.status
            check = copy.check
            catalogue.record_fixity_check(
                session,
                result.aip.id,
                copy.replica.location,
                check.kind,
                when,
                check.files,
                check.bytes,
                len(check.bad),
                final,
            )
            status = "damaged" if final == "damaged" else "ok"
            if check.kind == FULL or copy.after is not None:
                catalogue.set_replica_checked(session, result.aip.id, copy.replica.location, status, when)
            else:  # what a metadata-only pass cannot see, a full check found before: it stands until re-read
                kept = "damaged" if copy.replica.status == "damaged" else status
                catalogue.set_replica_metadata_checked(session, result.aip.id, copy.replica.location, kept, when)
        aip = result.aip
        intact = next(
            (
                (c.check.files, c.check.bytes)
                for c in result.copies
                if c.check.ok and c.replica.version == aip.head_version
            ),
            None,
        )
        if intact is not None and intact != result.aip.counts.stored:  # measured (AIPs from before it was counted)
            catalogue.set_counts(session, result.aip.id, result.aip.counts.added({}, intact))
        replicas = catalogue.aip_replicas(session, result.aip.id)
        full = all(copy.check.kind == FULL for copy in result.copies)
        if result.repair_attempted or (result.ok and full and len(result.copies) == len(replicas)):
            first = {known.key: known.found_at for known in lost_files(session, result.aip.id)}  # when first found
            replace_lost_files(
                session, result.aip.id, [replace(lost, found_at=first.get(lost.key) or when) for lost in result.lost]
            )
        all_ok = all(r.status == "ok" for r in replicas)
        catalogue.set_aip_status(session, result.aip.id, "stored" if all_ok and not result.lost else "damaged")


__all__ = ["FULL", "METADATA", "WHOLE_COPY", "AipAudit", "CopyResult", "PlannedCheck", "plan_all", "run_audit"]
