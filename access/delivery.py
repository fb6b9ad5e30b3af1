"""Delivery of an approved request: a DIP of access copies behind a time-limited link.

For every record of the request, each original file that is not closed today goes into the DIP as
the format policy says researchers receive it: the original itself, an access copy made at ingest,
or an access copy converted now (PDF for documents, JPEG for images, MP3 and MP4 for media). Files
are read from an intact copy of their AIP and checked against the inventory's SHA-512 as they are
read. The DIP is a zip of ``objects/``, ``manifest.csv`` (every file with its SHA-256 and where it
came from) and ``README.txt`` (a short description of the request and the records). It is built in
staging and stored whole under ``dips/<request id>.zip`` in the access location; each AIP gets a
PREMIS dissemination event, and the researcher a message with the link.
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from access.secret import archive_secret
from catalogue import Database, Session
from catalogue import queries as catalogue
from catalogue.requests_outbox import (
    Request,
    files_of_record,
    get_request,
    list_requests,
    queue_message,
    record_access,
    record_reference,
    update_request,
    user_address,
)
from formats.active import active_signature_file
from formats.converters import Job, convert_checked, registry
from formats.identify import Identifier
from policies.formats import NONE, ORIGINAL, load_format_policy
from preservation.config import LocationSettings, Settings
from preservation.errors import CopyProblem, NotFound, PreservationError, RequestError, StorageError
from preservation.identifiers import event_uuid, timestamp
from preservation.model import CLOSED, DISSEMINATION, SUCCESS, Agent, Event, FileRecord
from stewardship.event_log import raise_failed, write_event_log_to
from storage import open_location
from storage.base import Storage
from storage.digests import hash_stream
from storage.links import signed_link
from storage.ocfl import read_inventory, version_state

DIP_PREFIX = "dips/"
LOCAL_DIPS = "access"  # the name of the default local DIP folder as a location
INGEST_COPY = "access copy (ingest)"  # how a file was made: the access copy made at ingest
STORED_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".mp3", ".mp4", ".zip", ".png"}  # compressed already


@dataclass(frozen=True)
class DipFile:
    """One file of a DIP and where it came from."""

    path: str  # inside the DIP
    source: FileRecord  # the original it stands for
    made: str  # "original", "access copy (ingest)" or "access copy: <target> by <tool>"
    content: Path  # where it is in staging


def dip_storage(settings: Settings, name: str = "") -> Storage:
    """Where DIPs are kept: the location ``name`` (default: the configured access location, else the local
    folder ``<home>/access``)."""
    name = name or settings.access_location
    if name and name != LOCAL_DIPS:
        return open_location(settings.location(name))
    return open_location(LocationSettings(LOCAL_DIPS, "local", settings.home / "access"))


def deliver_request(
    settings: Settings, database: Database, reference: str, agents: list[Agent], today: str | None = None
) -> Request:
    """Build, store and announce the DIP of an approved request; record a dissemination event per AIP."""
    today = today or date.today().isoformat()
    with database.session() as session:
        request = get_request(session, reference)
        if request.state not in ("approved", "delivered"):  # delivered: built again (say, its link expired)
            raise RequestError(
                f"request {request.id[:8]} is {request.state}: only approved requests are delivered",
                hint="Approve it first (`preserve request approve ID`).",
            )
        chosen, withheld = _choose(session, request, today)
        address = user_address(session, request.user_id)
        records = readme_records(session, request, today)
    staging = settings.staging_dir / f"dip-{request.id}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        files, notes = _gather(settings, database, staging, chosen)
        if not files:
            raise RequestError(
                f"request {request.id[:8]}: nothing in it can be delivered",
                hint="; ".join(notes[:5]) or "Every file in it is closed today.",
            )
        archive = _pack(staging, request, files, records, notes, withheld, settings.archive_name)
        store = dip_storage(settings)
        key = f"{DIP_PREFIX}{request.id}.zip"
        with archive.open("rb") as handle:
            store.put(key, handle, size=archive.stat().st_size)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    when = timestamp()
    expires = (datetime.now(UTC) + timedelta(hours=settings.access_link_hours)).isoformat(timespec="seconds")
    note = "; ".join(notes + ([f"{withheld} closed file(s) withheld"] if withheld else []))
    with database.session() as session:
        delivered = update_request(
            session,
            request.id,
            ("approved", "delivered"),
            state="delivered",
            dip_location=store.name,
            dip_key=key,
            dip_files=len(files),
            delivered_at=when,
            expires_at=expires,
            delivery_note=note,
        )
    if not delivered:  # revoked while the copies were being made: nothing is delivered, nobody is told it is
        store.delete(key)
        raise RequestError(
            f"request {request.id[:8]} was revoked while its copies were being made; nothing was delivered",
            hint="Nothing was sent; the request stays revoked.",
        )
    _record_dissemination(settings, database, request, files, agents, when)
    with database.session() as session:
        queue_message(
            session,
            address,
            f"Your records for request {request.id[:8]} are ready",
            f"{len(files)} file(s) are ready to download until {expires[:16].replace('T', ' ')} UTC:\n\n"
            f"{settings.portal_url}/requests/{request.id}\n\n" + (f"Please note: {note}.\n" if note else ""),
            when,
        )
        return get_request(session, request.id)


def readme_records(session: Session, request: Request, today: str) -> list[tuple[str, str, str, str]]:
    """(AIP id, target, reference, title) of each record of the request README.txt describes: those not closed
    today (a closed record's title is never written)."""
    records: list[tuple[str, str, str, str]] = []
    for aip_id, target in request.items:
        found = record_access(session, aip_id, target)
        if found is not None and found[1].in_force(today).status == CLOSED:
            continue
        records.append(
            (aip_id, target, record_reference(session, aip_id, target), found[0] if found else "(no longer held)")
        )
    return records


def delivery_link(settings: Settings, request: Request, now: datetime | None = None) -> str:
    """A signed portal link to the request's DIP working until the delivery expires, wherever the DIP is kept
    (the portal checks the person, the request and the files at every download: access.download); RequestError
    once it has expired or was revoked."""
    if request.revoked_at:
        raise RequestError(
            f"request {request.id[:8]} was revoked: {request.revoked_reason}",
            hint="Ask the archive about it; a revoked request is not delivered.",
        )
    if request.state != "delivered" or not request.dip_key:
        raise RequestError(
            f"request {request.id[:8]} has not been delivered",
            hint="It is delivered once an archivist approves it and its copies are made.",
        )
    left = (datetime.fromisoformat(request.expires_at) - (now or datetime.now(UTC))).total_seconds()
    if left < 1:
        raise RequestError(
            f"the download for request {request.id[:8]} has expired",
            hint="Ask an archivist to deliver it again: `preserve request deliver`.",
        )
    store = dip_storage(settings, request.dip_location)
    signed = signed_link(store.name, request.dip_key, int(left), archive_secret(settings))
    return f"{settings.portal_url}/download/{signed}"


def _choose(session, request: Request, today: str) -> tuple[dict[str, tuple[FileRecord, FileRecord | None]], int]:
    """file id -> (original, its access copy made at ingest or None), and how many closed originals were left out."""
    chosen: dict[str, tuple[FileRecord, FileRecord | None]] = {}
    withheld: set[str] = set()
    for aip_id, target in request.items:
        files = files_of_record(session, aip_id, target)
        copies = {record.derived_from: record for record, _ in files if record.role == "access"}
        for record, access in files:
            if record.role != ORIGINAL:
                continue
            if access.in_force(today).status == CLOSED:
                withheld.add(record.id)
            else:
                chosen[record.id] = (record, copies.get(record.id))
    return chosen, len(withheld - set(chosen))


def _gather(
    settings: Settings, database: Database, staging: Path, chosen: dict[str, tuple[FileRecord, FileRecord | None]]
) -> tuple[list[DipFile], list[str]]:
    """Fetch (checked) and convert what goes into the DIP; notes on what could not be delivered."""
    policy = load_format_policy(settings.policies_path)
    converters = registry()
    wanted: list[tuple[FileRecord, FileRecord, str]] = []  # (original, file to fetch, how it is made)
    notes: list[str] = []
    for original, copy in chosen.values():
        rule = policy.rule_for(original.format.puid)
        if copy is not None:
            wanted.append((original, copy, INGEST_COPY))
        elif rule.access == NONE:
            notes.append(f"{_inside(original)}: the format policy gives no access copy of {rule.name}")
        else:
            wanted.append((original, original, ORIGINAL if rule.access == ORIGINAL else rule.access))
    fetched = fetch_files(settings, database, staging / "sources", [source for _, source, _ in wanted])
    files, jobs = [], {}
    for original, source, made in wanted:
        relative = f"objects/{original.aip_id[:8]}/{_inside(original)}"
        if made in (ORIGINAL, INGEST_COPY):  # as it is; otherwise ``made`` is the target to convert to
            suffix = Path(source.path).suffix if source is not original else ""
            files.append(DipFile(relative + suffix, original, made, fetched[source.id]))
        else:
            output = staging / "converted" / f"{original.id}.{converters[made].targets[made]}"
            jobs[original.id] = (Job(fetched[source.id], made, output, original.format.mime_type), relative)
    for done in convert_checked([job for job, _ in jobs.values()], Identifier(active_signature_file(settings.home))):
        original = chosen[Path(done.job.output).stem][0]
        if done.message:
            notes.append(f"{_inside(original)}: no access copy as {done.job.target} ({done.message})")
            continue
        relative = jobs[original.id][1]
        files.append(
            DipFile(
                f"{relative}{done.job.output.suffix}",
                original,
                f"access copy: {done.job.target} by {done.tool}",
                done.job.output,
            )
        )
    return sorted(files, key=lambda f: f.path), notes


def _inside(record: FileRecord) -> str:
    return record.path.removeprefix("data/objects/")


def fetch_files(settings: Settings, database: Database, folder: Path, records: list[FileRecord]) -> dict[str, Path]:
    """Copy each file from an intact copy of its AIP into ``folder``, checked against the inventory's SHA-512."""
    folder.mkdir(parents=True, exist_ok=True)
    by_aip: dict[str, list[FileRecord]] = {}
    for record in records:
        by_aip.setdefault(record.aip_id, []).append(record)
    fetched: dict[str, Path] = {}
    for aip_id, wanted in by_aip.items():
        with database.session() as session:
            replicas = [r for r in catalogue.aip_replicas(session, aip_id) if r.status == "ok"]
        problems: list[CopyProblem] = []  # why each copy could not be read
        for replica in replicas:
            try:
                fetched |= _fetch_from(
                    open_location(settings.location(replica.location)), replica.object_root, folder, wanted
                )
                break
            except PreservationError as exc:
                problems.append(CopyProblem("", exc.message, location=replica.location))
        else:
            raise StorageError(
                f"AIP {aip_id}: no intact copy to deliver from",
                hint="; ".join(str(problem) for problem in problems) or "Run `preserve audit` for details.",
            )
    return fetched


def _fetch_from(storage: Storage, root: str, folder: Path, wanted: list[FileRecord]) -> dict[str, Path]:
    content = {logical: (path, sha512) for logical, path, sha512 in version_state(read_inventory(storage, root))}
    fetched = {}
    for record in wanted:
        if record.path not in content:
            raise NotFound(
                f"{record.path}: not in the stored object's head version",
                hint="`preserve audit --aip ID` checks the stored copies.",
            )
        path, sha512 = content[record.path]
        target = folder / record.id
        with storage.open(f"{root}/{path}") as source, target.open("wb") as out:
            digests, _ = hash_stream(source, ("sha512",), sink=out.write)
        if digests["sha512"] != sha512:
            raise StorageError(f"{root}/{path}: does not match the inventory's SHA-512")
        fetched[record.id] = target
    return fetched


def _pack(
    staging: Path, request: Request, files: list[DipFile], records, notes: list[str], withheld: int, archive_name: str
) -> Path:
    """Write the zip: objects/, manifest.csv and README.txt; digests taken as the files are added."""
    archive = staging / "dip.zip"
    manifest_file = staging / "manifest.csv"  # written as the files go in: memory does not grow with their number
    with zipfile.ZipFile(archive, "w", allowZip64=True) as out, manifest_file.open("w", newline="") as manifest:
        writer = csv.writer(manifest)
        writer.writerow(["file", "sha256", "size", "made", "aip", "original path", "original name", "original format"])
        for item in files:
            compression = (
                zipfile.ZIP_STORED if Path(item.path).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
            )
            info = zipfile.ZipInfo(item.path, date_time=datetime.now(UTC).timetuple()[:6])
            info.compress_type = compression
            with item.content.open("rb") as source, out.open(info, "w", force_zip64=True) as sink:
                digests, size = hash_stream(source, ("sha256",), sink=sink.write)
            source_format = item.source.format
            writer.writerow(
                [
                    item.path,
                    digests["sha256"],
                    size,
                    item.made,
                    item.source.aip_id,
                    _inside(item.source),
                    item.source.original_name,
                    f"{source_format.puid} {source_format.name}".strip(),
                ]
            )
        manifest.close()
        out.write(manifest_file, "manifest.csv", compress_type=zipfile.ZIP_DEFLATED)
        out.writestr("README.txt", readme(request, records, len(files), notes, withheld, archive_name))
    return archive


def readme(
    request: Request,
    records: list[tuple[str, str, str, str]],
    count: int,
    notes: list[str],
    withheld: int,
    archive_name: str,
) -> str:
    """README.txt of a DIP: the request, its records, and what was not delivered."""
    lines = [
        f"{archive_name}: records delivered for request {request.id}",
        "",
        f"Purpose given: {request.purpose}",
        f"Approved by {request.decided_by} on {request.decided_at[:10]}: {request.decision_reason}",
        "",
        "Records:",
    ]
    for aip_id, target, reference, title in records:
        lines.append(f"  {reference or aip_id[:8]}  {title}" + (f"  (objects/{target})" if target else ""))
    lines += [
        "",
        f"{count} file(s) under objects/, listed with their SHA-256 digests and sources in manifest.csv.",
        "Access copies are made for reading; the originals are kept unchanged in the archive.",
    ]
    if withheld:
        lines.append(f"{withheld} file(s) closed today were withheld.")
    lines += [f"Not delivered: {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _record_dissemination(
    settings: Settings, database: Database, request: Request, files: list[DipFile], agents: list[Agent], when: str
) -> None:
    """One PREMIS dissemination event per AIP, in the catalogue and beside every copy."""
    counts: dict[str, int] = {}
    for item in files:
        counts[item.source.aip_id] = counts.get(item.source.aip_id, 0) + 1
    for aip_id, count in sorted(counts.items()):
        event = Event(
            event_uuid(f"{request.id}@{when}", aip_id, DISSEMINATION),
            aip_id,
            DISSEMINATION,
            when,
            SUCCESS,
            f"DIP for request {request.id}: {count} file(s)",
            f"account {request.user_id}",
            "",
            tuple(a.id for a in agents),
        )
        with database.session() as session:
            catalogue.upsert_agents(session, agents)
            catalogue.record_events(session, [event])
            replicas = catalogue.aip_replicas(session, aip_id)
        raise_failed(write_event_log_to(settings, [r.location for r in replicas], aip_id, [event], agents))


def expired_deliveries(database: Database, older_than: float, now: datetime | None = None) -> list[Request]:
    """Delivered requests whose download ended more than ``older_than`` seconds ago and whose DIP is still kept."""
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=older_than)
    with database.session() as session:
        delivered = list_requests(session, "delivered")
    return [r for r in delivered if r.dip_key and datetime.fromisoformat(r.expires_at) < cutoff]


def remove_delivery(settings: Settings, database: Database, request: Request) -> None:
    """Delete an expired request's DIP (the request, its events and its manifest in the message stay)."""
    dip_storage(settings, request.dip_location).delete(request.dip_key)
    with database.session() as session:
        note = "; ".join(n for n in (request.delivery_note, "the download was removed after it expired") if n)
        update_request(session, request.id, dip_key="", delivery_note=note)


def record_delivery_failure(database: Database, request_id: str, message: str) -> None:
    """Note on an approved request why its delivery failed (shown to archivists; tried again by `deliver`)."""
    with database.session() as session:
        update_request(session, request_id, delivery_note=f"delivery failed: {message}")
