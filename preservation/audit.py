"""Fixity audits: re-read every stored copy of an AIP and compare it with the ingest digests.

Like ``replicate`` and ``rebuild``, it is a module of ``preservation`` that uses ``storage``: it
streams stored files and records the result as PREMIS fixity check events in the catalogue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from preservation import SOFTWARE_NAME, software_version
from preservation.catalogue import Database
from preservation.catalogue import queries as catalogue
from preservation.config import Settings
from preservation.errors import NotFound, PreservationError
from preservation.event_log import write_event_log
from preservation.identifiers import agent_uuid, event_uuid, new_uuid, timestamp
from preservation.model import FAILURE, FIXITY_CHECK, SOFTWARE, SUCCESS, Agent, Aip, Event
from preservation.parallel import ordered_map
from storage import Storage, open_location
from storage.digests import hash_stream
from storage.ocfl import read_inventory, version_state

MAX_DETAIL = 100  # failures listed in an event's outcome detail


@dataclass(frozen=True)
class Expected:
    """A stored file and what was recorded for it at ingest (size -1 or an empty digest: not recorded)."""

    path: str
    size: int
    sha256: str
    sha512: str


@dataclass(frozen=True)
class BadFile:
    """A stored file that failed its check."""

    location: str
    path: str
    problem: str


@dataclass
class CopyAudit:
    """The result of auditing one stored copy of an AIP."""

    location: str
    files: int = 0
    bytes: int = 0
    bad: list[BadFile] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file of the copy matched."""
        return not self.bad


@dataclass
class AipAudit:
    """The result of auditing every copy of one AIP."""

    aip: Aip
    copies: list[CopyAudit]

    @property
    def ok(self) -> bool:
        """True when every copy is intact."""
        return all(copy.ok for copy in self.copies)


def check_file(storage: Storage, root: str, location: str, expected: Expected,
               content: dict[str, str] | None = None) -> BadFile | None:
    """Stream one stored file and compare size and both digests with the recorded ones.

    ``content`` maps logical paths to content paths (from the OCFL inventory; default: v1's layout).
    """
    content_path = (content or {}).get(expected.path, f"v1/content/{expected.path}")
    key = f"{root}/{content_path}"
    try:
        with storage.open(key) as handle:
            digests, size = hash_stream(handle, ("sha256", "sha512"))
    except NotFound:
        return BadFile(location, expected.path, "missing")
    except PreservationError as exc:
        return BadFile(location, expected.path, f"unreadable: {exc.message}")
    if expected.size >= 0 and size != expected.size:
        return BadFile(location, expected.path, f"size {size}, expected {expected.size}")
    for algorithm in ("sha256", "sha512"):
        recorded = getattr(expected, algorithm)
        if recorded and digests[algorithm] != recorded:
            return BadFile(location, expected.path, f"checksum mismatch ({algorithm.upper()})")
    return None


def audit_copy(storage: Storage, root: str, location: str, files: Iterable[Expected], workers: int,
               recorded_versions: dict[str, str] | None = None) -> CopyAudit:
    """Check every expected file of one copy (found through its OCFL inventory), several at a time;
    on a versioned store, also that each key's current version is the one recorded when it was verified."""
    result = CopyAudit(location)
    try:
        content = {logical: path for logical, path, _digest in version_state(read_inventory(storage, root))}
    except PreservationError as exc:
        result.bad.append(BadFile(location, "inventory.json", f"unreadable: {exc.message}"))
        return result
    if recorded_versions:
        logical = {path: name for name, path in content.items()}
        result.bad.extend(_version_changes(storage, root, location, recorded_versions, logical))
    flagged = {bad.path for bad in result.bad}

    def check(expected: Expected) -> tuple[Expected, BadFile | None]:
        if expected.path in flagged:
            return expected, None  # already reported: its recorded version is gone
        if expected.path not in content:
            return expected, BadFile(location, expected.path, "missing from the OCFL inventory")
        return expected, check_file(storage, root, location, expected, content)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for expected, bad in ordered_map(pool, check, files, window=max(1, workers) * 4):
            result.files += 1
            result.bytes += max(expected.size, 0)
            if bad is not None:
                result.bad.append(bad)
    return result


def _version_changes(storage: Storage, root: str, location: str, recorded: dict[str, str],
                     logical: dict[str, str]) -> list[BadFile]:
    """Keys of a copy whose current object version is not the one verified and recorded (newer, or deleted)."""
    try:
        current = storage.current_versions(root + "/")
    except PreservationError as exc:
        return [BadFile(location, "(object versions)", f"unreadable: {exc.message}")]
    bad = []
    for key, version_id in sorted(recorded.items()):
        if not key.startswith(root + "/"):
            continue  # the event log grows after ingest; its documents are checked by their own digests
        path = logical.get(key[len(root) + 1:], key[len(root) + 1:])
        if key not in current:
            bad.append(BadFile(location, path, "deleted: a delete marker hides the version verified at ingest"))
        elif current[key] != version_id:
            bad.append(BadFile(location, path, f"replaced: a newer object version hides {version_id}"))
    return bad


def audit(settings: Settings, database: Database, aip_ref: str | None = None, progress=None) -> list[AipAudit]:
    """Audit one AIP (or all) in every location holding a copy, recording a fixity check event per copy."""
    run_id = new_uuid()
    agent = Agent(agent_uuid(SOFTWARE, SOFTWARE_NAME, software_version()), SOFTWARE, SOFTWARE_NAME, software_version())
    with database.session() as session:
        aips = [catalogue.get_aip(session, aip_ref)] if aip_ref else catalogue.list_aips(session)
    results = []
    for aip in aips:
        with database.session() as session:
            expected = [Expected(f.path, f.size, f.sha256, f.sha512) for f in catalogue.aip_files(session, aip.id)]
            expected.append(Expected(aip.mets_path, -1, "", aip.mets_sha512))
            replicas = catalogue.aip_replicas(session, aip.id)
            versions = {r.location: catalogue.stored_versions(session, aip.id, r.location) for r in replicas}
        copies = []
        for replica in replicas:
            storage = open_location(settings.location(replica.location))
            copy = audit_copy(storage, replica.object_root, replica.location, expected, settings.workers,
                              versions[replica.location])
            copies.append(copy)
            if progress is not None:
                progress(aip, copy)
        result = AipAudit(aip, copies)
        _record(settings, database, run_id, agent, result)
        results.append(result)
    return results


def _record(settings: Settings, database: Database, run_id: str, agent: Agent, result: AipAudit) -> None:
    when = timestamp()
    events = []
    for copy in result.copies:
        detail = "; ".join(f"{bad.path}: {bad.problem}" for bad in copy.bad[:MAX_DETAIL])
        if len(copy.bad) > MAX_DETAIL:
            detail += f"; and {len(copy.bad) - MAX_DETAIL} more"
        events.append(Event(
            event_uuid(run_id, f"{result.aip.id}/{copy.location}", FIXITY_CHECK), result.aip.id, FIXITY_CHECK, when,
            SUCCESS if copy.ok else FAILURE,
            f"program={SOFTWARE_NAME}; algorithms=SHA-256, SHA-512; location={copy.location}",
            detail or f"{copy.files} files, {copy.bytes} bytes match the digests recorded at ingest",
            "", (agent.id,),
        ))
    for copy in result.copies:  # each copy's history travels with it
        with contextlib.suppress(PreservationError):  # an unwritable location is reported by the check itself
            write_event_log(open_location(settings.location(copy.location)), result.aip.id, events, [agent])
    with database.session() as session:
        catalogue.upsert_agents(session, [agent])
        catalogue.record_events(session, events)
        for copy in result.copies:
            catalogue.set_replica_checked(session, result.aip.id, copy.location, "ok" if copy.ok else "damaged", when)
        catalogue.set_aip_status(session, result.aip.id, "stored" if result.ok else "damaged")
