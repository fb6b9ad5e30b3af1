"""Applying today's format policy to AIPs already held: ``preserve migrate --puid PUID``, and making the
derivatives an ingest left for later (``preservation_copies = "after"``): ``preserve migrate --pending``.

For every AIP with original files of the format (or every original of an AIP whose derivatives are
pending), the derivatives the policy asks for (and the AIP lacks) are made from an intact stored
copy, checked like those made at ingest, and stored as a new AIP version holding only the new
files, a new METS and new tag files; they are read back from every location before the catalogue
points at the new version.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.access_status import refresh_access
from formats.active import active_signature_file
from formats.converters import Job, convert_checked, registry
from formats.identify import Identifier
from formats.validation import Validator
from ingest.crash_points import crash_point
from ingest.journal import JournalFile
from ingest.normalise import DERIVATIVES
from ingest.premis_records import TransferRecords, make_agents
from ingest.processes import is_running
from ingest.steps import verify_read_back
from ingest.update import load_aip_record, store_version, write_version_mets
from policies.closure import load_closure_policy
from policies.formats import KEEP, NONE, ORIGINAL, FormatPolicy, load_format_policy
from preservation.config import Settings
from preservation.errors import PackageError, PreservationError
from preservation.identifiers import file_uuid, new_uuid, timestamp
from preservation.model import COPIES_MAKING, COPIES_PENDING, Aip, Event, FileRecord, Replica, role_totals
from preservation.progress import NO_PROGRESS, Progress
from stewardship.replicate import seal_copy
from storage import open_location
from storage.digests import hash_stream
from storage.ocfl import read_inventory, version_state

Planned = tuple[FileRecord, str, str, str]  # source, role, target format, path of the new file


@dataclass
class Migration:
    """What migrating one AIP did."""

    aip_id: str
    outcome: str  # "migrated", "up to date" or "failed"
    version: str = ""
    made: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def targets_for(settings: Settings, puid: str, policy: FormatPolicy | None = None) -> list[tuple[str, str]]:
    """(role, target) of every derivative the format policy asks for files of ``puid``."""
    policy = policy or load_format_policy(settings.policies_path)
    rule = policy.rule_for(puid)
    wanted = [("preservation", rule.preservation)] if rule.preservation != KEEP else []
    if policy.access_copies == "ingest" and rule.access not in (ORIGINAL, NONE):
        wanted.append(("access", rule.access))
    return wanted


def migrate(
    settings: Settings,
    database: Database,
    puid: str,
    archivist: str = "",
    dry_run: bool = False,
    progress=None,
    watcher: Progress = NO_PROGRESS,
) -> list[Migration]:
    """Bring every AIP holding originals of ``puid`` up to today's format policy (``watcher``: AIPs done)."""
    wanted = targets_for(settings, puid)
    with database.session() as session:
        aip_ids = catalogue.aips_holding(session, puid)
    watcher.stage(f"Migrating {puid}", len(aip_ids))
    results = []
    for aip_id in aip_ids:
        watcher.describe(f"Migrating {puid} in {aip_id[:8]}")
        result = _migrate_aip(
            settings, database, aip_id, lambda files: _planned(files, puid, wanted), archivist, dry_run, puid
        )
        results.append(result)
        watcher.advance()
        if progress is not None:
            progress(result)
    return results


def make_pending_copies(
    settings: Settings,
    database: Database,
    aip_ids: list[str] | None = None,
    archivist: str = "",
    progress=None,
    watcher: Progress = NO_PROGRESS,
) -> list[Migration]:
    """Make the derivatives ingest left for later, for ``aip_ids`` (default: every AIP they are pending for).

    Each AIP is claimed first (pending → making:HOST:PID), so two runs never make the same AIP's copies, and a
    claim whose process has died on this host is taken over. Once a new version is stored (whether or not every
    conversion worked: failures are recorded as events, as at ingest) nothing is pending; if the run fails part
    way, or refuses before converting (a copy not intact), the AIP stays pending."""
    policy = load_format_policy(settings.policies_path)
    with database.session() as session:
        if aip_ids is not None:  # as the archivist gives them: full ids or unique prefixes (NotFound otherwise)
            aip_ids = [catalogue.get_aip(session, reference).id for reference in aip_ids]
        owed = catalogue.aips_with_pending_copies(session)
    claimer = f"{socket.gethostname()}:{os.getpid()}"
    owed = [(aip_id, state) for aip_id, state in owed if aip_ids is None or aip_id in aip_ids]
    watcher.stage("Making the pending copies", len(owed))
    results = []
    for aip_id, state in owed:
        watcher.describe(f"Making the pending copies of {aip_id[:8]}")
        crash_point("before copies")
        with database.session() as session:
            if not catalogue.claim_pending_copies(session, aip_id, claimer, _stale(state)):
                watcher.advance()
                continue  # another run is making them
        crash_point("copies claimed")
        try:
            result = _migrate_aip(
                settings, database, aip_id, lambda files: _planned_by_policy(files, settings, policy), archivist
            )
        except PreservationError as exc:  # this AIP's problem (a damaged copy, say): the others still get theirs
            result = Migration(aip_id, "failed", failed=[f"{exc.message}" + (f" — {exc.hint}" if exc.hint else "")])
        except BaseException:
            with database.session() as session:
                catalogue.set_copies_state(session, aip_id, COPIES_PENDING)
            raise
        with database.session() as session:
            catalogue.set_copies_state(session, aip_id, "" if result.version or not result.failed else COPIES_PENDING)
        results.append(result)
        watcher.advance()
        if progress is not None:
            progress(result)
    return results


def _stale(state: str) -> str:
    """``state`` if it is the claim of a process on this host that is no longer running ('' otherwise)."""
    _, _, held_by = state.partition(f"{COPIES_MAKING}:")
    host, _, pid = held_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit() or is_running(int(pid)):
        return ""
    return state


def _migrate_aip(
    settings: Settings,
    database: Database,
    aip_id: str,
    plan: Callable[[list[FileRecord]], list[Planned]],
    archivist: str,
    dry_run: bool = False,
    puid: str = "",
) -> Migration:
    aip, files, events, agents, descriptions, rights, replicas = load_aip_record(database, aip_id)
    planned = plan(files)
    if not planned:
        return Migration(aip.id, "up to date")
    if dry_run:
        return Migration(aip.id, "would migrate", made=[p[3] for p in planned])
    if len(replicas) != len(settings.replication) or not replicas:
        return Migration(aip.id, "failed", failed=["not every copy is intact: run preserve audit first"])
    run_id = new_uuid()
    signatures = active_signature_file(settings.home)
    new_agents = make_agents(settings.archive_name, archivist, signatures)
    records = TransferRecords(run_id, aip.id, aip.title, tuple(r.location for r in replicas), dict(new_agents))
    result = Migration(aip.id, "migrated")
    with tempfile.TemporaryDirectory(prefix="preserve-migrate-") as work:
        work_dir = Path(work)
        jobs = _fetch_sources(settings, aip, replicas[0], planned, work_dir)
        new_records, new_events, payload = _convert(jobs, planned, records, aip.id, signatures, result)
        if not new_records:
            result.outcome = "failed"
        bag = work_dir / "bag"
        mets_path = bag / aip.mets_path
        all_files = sorted([*files, *new_records], key=lambda f: f.path)
        all_agents = {**agents, **{a.id: a for a in records.agents.values()}}
        all_events = [*events, *new_events]
        write_version_mets(
            settings, aip, mets_path, all_files, all_events, all_agents, descriptions, rights, timestamp()
        )
        message = (
            f"Migration: format policy applied to {len(payload)} file(s) of {puid}"
            if puid
            else f"Preservation copies made after ingest: {len(payload)} file(s)"
        )
        stored = store_version(settings, aip, replicas, bag, mets_path, [], new_agents["person"].name, payload, message)
    _read_back(settings, replicas, new_records)
    with database.session() as session:
        catalogue.upsert_agents(session, all_agents.values())
        catalogue.add_files(session, new_records)
        catalogue.record_events(session, new_events)
        catalogue.set_aip_version(
            session, aip.id, stored.version, stored.mets_sha512, len(all_files), sum(f.size for f in all_files)
        )
        catalogue.set_counts(session, aip.id, aip.counts.added(role_totals(new_records), stored.stored))
    for replica in replicas:
        seal_copy(
            database, open_location(settings.location(replica.location)), replica.location, replica.object_root, aip.id
        )
    closure = load_closure_policy(settings.policies_path)  # the new copies take their sources' access
    refresh_access(database, closure.evaluate, closure.default(), [aip.id])
    result.version = stored.version
    return result


def _planned_by_policy(files: list[FileRecord], settings: Settings, policy: FormatPolicy) -> list[Planned]:
    """The derivatives the policy asks for, for every original of the AIP (as ingest would have made them)."""
    planned = []
    for puid in sorted({f.format.puid for f in files if f.role == ORIGINAL}):
        planned += _planned(files, puid, targets_for(settings, puid, policy))
    return planned


def _planned(files: list[FileRecord], puid: str, wanted: list[tuple[str, str]]) -> list[Planned]:
    """(source, role, target, new path) for each derivative of ``puid`` originals that the AIP lacks."""
    have = {f.path for f in files}
    converters = registry()
    planned = []
    for source in (f for f in files if f.role == ORIGINAL and f.format.puid == puid):
        relative = source.path.removeprefix("data/objects/")
        for role, target in wanted:
            logical = f"{DERIVATIVES}/{role}/{relative}.{converters[target].targets[target]}"
            if logical not in have:
                planned.append((source, role, target, logical))
    return planned


def _fetch_sources(settings: Settings, aip: Aip, replica: Replica, planned: list[Planned], work_dir: Path) -> list[Job]:
    """Each source file copied out of the first copy into ``work_dir`` (its SHA-512 checked), as a conversion job."""
    first = open_location(settings.location(replica.location))
    content = {logical: path for logical, path, _d in version_state(read_inventory(first, replica.object_root))}
    jobs = []
    for index, (source, _role, target, logical) in enumerate(planned):
        local = work_dir / "sources" / f"{index:05}{Path(source.path).suffix}"
        local.parent.mkdir(parents=True, exist_ok=True)
        with first.open(f"{replica.object_root}/{content[source.path]}") as stream, local.open("wb") as out:
            digests, _ = hash_stream(stream, ("sha512",), sink=out.write)
        if digests["sha512"] != source.sha512:
            raise PackageError(
                f"AIP {aip.id}: {source.path} in {replica.location} does not match its recorded digest",
                hint="Run preserve audit (it repairs from a good copy).",
            )
        jobs.append(Job(local, target, work_dir / "bag" / logical, source.format.mime_type))
    return jobs


def _read_back(settings: Settings, replicas: list[Replica], new_records: list[FileRecord]) -> None:
    """Every new file read back from every location before the catalogue points at it."""
    for replica in replicas:
        storage = open_location(settings.location(replica.location))
        inventory = read_inventory(storage, replica.object_root)
        where = {logical: path for logical, path, _d in version_state(inventory)}
        for record in new_records:
            verify_read_back(storage, f"{replica.object_root}/{where[record.path]}", record.sha256, record.size)


def _convert(
    jobs: list[Job], planned: list, records: TransferRecords, aip_id: str, signatures: Path | None, result: Migration
) -> tuple[list[FileRecord], list[Event], dict[str, Path]]:
    """Run the conversions; identify, validate and digest what they made; the records and events of each."""
    by_job = {id(job): plan for job, plan in zip(jobs, planned, strict=True)}
    validator = Validator()
    new_records, new_events, payload = [], [], {}
    try:
        for done in convert_checked(jobs, Identifier(signatures)):
            job, tool, when = done.job, done.tool, timestamp()
            source, role, target, logical = by_job[id(job)]
            if done.message:
                failed = JournalFile(
                    0,
                    "",
                    source.path,
                    source.path,
                    source.id,
                    source.size,
                    0,
                    conversion_problems=((role, target, tool, done.message, when),),
                )
                new_events += [e for e in records.file_events(failed) if e.outcome == "failure"]
                result.failed.append(f"{source.path}: {done.message}")
                continue
            found = done.format
            assert found is not None  # a conversion without a message was identified as its target format
            with job.output.open("rb") as handle:
                digests, size = hash_stream(handle, ("sha256", "sha512"))
            validation = validator.validate(job.output, found)
            item = JournalFile(
                0,
                str(job.output),
                logical.removeprefix("data/"),
                logical,
                file_uuid(aip_id, logical),
                size,
                0,
                digests["sha256"],
                digests["sha512"],
                found,
                when,
                when,
                timestamp(),
                validation,
                timestamp(),
                role=role,
                derived_from=source.id,
                derivation=f"{tool}|{target}",
                derived_at=when,
            )
            if validation.tool:
                records.tool_agent(validation.tool)
            new_records.append(records.file_record(item))
            new_events += records.file_events(item)
            payload[logical] = job.output
            result.made.append(logical)
    finally:
        validator.close()
    return new_records, new_events, payload
