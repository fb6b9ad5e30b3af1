"""Copy AIPs the catalogue knows to a further storage location, verifying every copy before it counts.

The copy is made from a location whose last check found it intact; the object's inventory — its
OCFL commit point — is written last, after everything else is durable, and the new copy is then
audited against the digests recorded at ingest. A copy that fails is removed again.

``seal_copy`` is the last step for every registered copy, however it was made (ingest, update,
replication): the location's retention is applied and the keys' VersionIds recorded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from catalogue import Database
from catalogue import queries as catalogue
from preservation import SOFTWARE_NAME
from preservation.agents import software_agent
from preservation.config import Settings
from preservation.errors import PreservationError
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.model import REPLICATION, SUCCESS, Agent, Aip, Event, Replica
from preservation.progress import NO_PROGRESS, Progress
from stewardship.audit import Expected, audit_copy
from stewardship.event_log import event_log_prefix, retain_aip, write_event_log_to
from stewardship.legal_hold import hold_new_versions
from storage import Storage, open_location
from storage.ocfl import copy_keys, delete_object, ensure_storage_root, inventory_digest


@dataclass
class ReplicaCopy:
    """What happened to one AIP: copied, already there, or failed (with why)."""

    aip: Aip
    outcome: str  # "copied", "present" or "failed"
    source: str = ""
    files: int = 0
    bytes: int = 0
    problem: str = ""


def replicate(
    settings: Settings,
    database: Database,
    target: str,
    aip_ref: str | None = None,
    progress: Callable[[ReplicaCopy], None] | None = None,
    watcher: Progress = NO_PROGRESS,
) -> list[ReplicaCopy]:
    """Copy every AIP (or one) that has no copy in ``target`` there, from an intact copy elsewhere; ``progress``
    is given each AIP's result, ``watcher`` the bytes copied and verified (each AIP's stored bytes, twice)."""
    destination = open_location(settings.location(target))
    ensure_storage_root(destination)
    agent = software_agent()
    run_id = new_uuid()
    with database.session() as session:
        aips = [catalogue.get_aip(session, aip_ref)] if aip_ref else catalogue.list_aips(session)
        held = {aip.id for aip, _ in catalogue.copies_in_location(session, target)}
    watcher.stage(f"Copying to {target}", 2 * sum(a.bytes_stored for a in aips if a.id not in held) or None)
    results = []
    for aip in aips:
        watcher.describe(f"Copying {aip.id[:8]} to {target}")
        result = _replicate_one(settings, database, destination, target, aip, agent, run_id, watcher)
        results.append(result)
        if progress is not None:
            progress(result)
    return results


def _replicate_one(
    settings: Settings,
    database: Database,
    destination: Storage,
    target: str,
    aip: Aip,
    agent: Agent,
    run_id: str,
    watcher: Progress,
) -> ReplicaCopy:
    with database.session() as session:
        replicas = catalogue.aip_replicas(session, aip.id)
        expected = [Expected(f.path, f.size, f.sha256, f.sha512) for f in catalogue.aip_files(session, aip.id)]
    expected.append(Expected(aip.mets_path, -1, "", aip.mets_sha512))
    if any(r.location == target for r in replicas):
        return ReplicaCopy(aip, "present")
    sources = [r for r in replicas if r.status == "ok"]
    if not sources:
        return ReplicaCopy(aip, "failed", problem="no intact copy to copy from (run preserve audit, then repair)")
    source = sources[0]
    root = source.object_root
    try:
        _remove_partial_copy(destination, root, aip.id)  # left by an interrupted run: never registered, never relied on
        files, size = _copy_object(
            open_location(settings.location(source.location)), destination, root, event_log_prefix(aip.id), watcher
        )
        check = audit_copy(destination, root, target, expected, settings.workers, on_file=watcher.advance)
        if not check.ok:
            raise PreservationError(
                "the new copy does not match the ingest digests: "
                + "; ".join(f"{b.path}: {b.problem}" for b in check.bad[:5]),
                hint="Nothing was registered for the new location: run `preserve storage replicate` again."
                " If it fails again, `preserve audit` checks the copy it was made from.",
            )
    except PreservationError as exc:
        with contextlib.suppress(PreservationError):  # the failure below is what the operator needs to see
            _remove_partial_copy(destination, root, aip.id)
        return ReplicaCopy(aip, "failed", source.location, problem=exc.message)
    when = timestamp()
    event = Event(
        event_uuid(run_id, aip.id, f"{REPLICATION}:{target}"),
        aip.id,
        REPLICATION,
        when,
        SUCCESS,
        f"program={SOFTWARE_NAME}; copy of every version from location {source.location!r} to location {target!r}",
        f"stored in {destination.describe()}; {files} objects, {size} bytes; every file's SHA-256 and "
        "SHA-512 verified against the ingest digests",
        "",
        (agent.id,),
    )
    holders = [target, *(r.location for r in replicas)]  # one document, under the same key in each of them
    written = write_event_log_to(settings, holders, aip.id, [event], [agent], first=target)[target]
    if isinstance(written, PreservationError):  # the new copy must carry its history; elsewhere a
        with contextlib.suppress(PreservationError):  # failed write is found missing and repaired later
            _remove_partial_copy(destination, root, aip.id)
        return ReplicaCopy(aip, "failed", source.location, problem=written.message)
    with database.session() as session:
        catalogue.sync_locations(session, ((loc.name, loc.backend, loc.purpose) for loc in settings.locations))
        catalogue.add_replica(session, Replica(aip.id, target, source.version, root, "ok", when, when))
        catalogue.upsert_agents(session, [agent])
        catalogue.record_events(session, [event])
    seal_copy(database, destination, target, root, aip.id)
    return ReplicaCopy(aip, "copied", source.location, files, size)


def seal_copy(database: Database, storage: Storage, location: str, root: str, aip_id: str) -> int:
    """Once a copy is registered (or repaired): apply its location's retention, record its keys' VersionIds
    and the digest of its inventory, so later audits can tell if either changes."""
    versions = retain_aip(storage, root, aip_id)
    digest = inventory_digest(storage, root)
    with database.session() as session:
        catalogue.record_versions(session, aip_id, location, versions)
        catalogue.set_inventory_digest(session, aip_id, location, digest)
    if versions:
        hold_new_versions(database, storage, aip_id, versions)
    return len(versions)


def _remove_partial_copy(destination: Storage, root: str, aip_id: str) -> None:
    """Remove an unregistered copy of an AIP's object and event log from ``destination``."""
    delete_object(destination, root)
    for stored in list(destination.list(event_log_prefix(aip_id))):
        destination.delete(stored.key)


def _copy_object(
    source: Storage, destination: Storage, root: str, event_log: str, watcher: Progress
) -> tuple[int, int]:
    """Stream an OCFL object and its event log across; the root inventory goes last, once the rest is durable."""
    objects = [*source.list(root + "/"), *source.list(event_log)]
    copy_keys(source, destination, root, objects, overwrite=False, on_copied=watcher.advance)
    return len(objects), sum(o.size for o in objects)
