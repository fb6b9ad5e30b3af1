"""One ingest, from a folder to a registered AIP.

scan → per file (digests, identification, store, read back) → METS → bag tag files → OCFL
inventory → read back → register in one catalogue transaction. Until that commit nothing is
visible; on any failure every stored key of the new object and the staging area are removed.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from formats.identify import identifier_description
from ingest.executors import LocalExecutor
from ingest.journal import Journal, JournalFile
from ingest.sources import DirectorySource, logical_name
from ingest.steps import WorkerSetup, verify_read_back
from preservation import SOFTWARE_NAME, software_version
from preservation.bag import BagEntry, write_tag_files
from preservation.catalogue import Database
from preservation.catalogue import queries as catalogue
from preservation.config import Settings
from preservation.identifiers import agent_uuid, event_uuid, file_uuid, new_uuid, timestamp, urn
from preservation.mets import MetsFile, MetsHeader, write_mets
from preservation.model import (
    FIXITY_CHECK,
    FORMAT_IDENTIFICATION,
    INGESTION_END,
    INGESTION_START,
    MESSAGE_DIGEST_CALCULATION,
    ORGANIZATION,
    PERSON,
    SOFTWARE,
    SUCCESS,
    WARNING,
    Agent,
    Aip,
    Event,
    FileRecord,
    Replica,
)
from storage import open_location
from storage.digests import hash_stream
from storage.ocfl import (
    InventoryEntry,
    NewObject,
    ensure_storage_root,
    object_root,
    read_inventory,
    write_inventory,
)

OBJECTS = "data/objects/"
SMALL_TRANSFER = 64  # files; fewer than this are processed in-process (no pool start-up)


@dataclass(frozen=True)
class IngestRequest:
    """What an archivist asked for."""

    source: Path
    title: str = ""
    archivist: str = ""


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did."""

    aip_id: str
    title: str
    bag_name: str
    files: int
    bytes: int
    formats: list[tuple[str, str, int]]
    locations: list[str]
    seconds: float
    warnings: list[str] = field(default_factory=list)


class Progress:
    """Receives progress; the CLI shows it as a bar, everything else ignores it."""

    def start(self, files: int, size: int) -> None:
        """The per-file work is about to start."""

    def advance(self, size: int) -> None:
        """One more file of ``size`` bytes is done."""

    def stage(self, text: str) -> None:
        """A new stage of the ingest has begun."""


@dataclass
class _Context:
    settings: Settings
    request: IngestRequest
    transfer_id: str
    aip_id: str
    title: str
    created: str
    staging: Path
    journal: Journal
    agents: dict[str, Agent]
    objects: list[NewObject]
    root: str


def ingest(
    settings: Settings, database: Database, request: IngestRequest, progress: Progress | None = None
) -> IngestReport:
    """Ingest a folder as a new AIP and return what was done; raises PreservationError on bad input."""
    progress = progress or Progress()
    started = timestamp()
    source = DirectorySource(Path(request.source))
    source.check_root()
    database.require_current()
    transfer_id, aip_id = new_uuid(), new_uuid()
    staging = settings.staging_dir / transfer_id
    staging.mkdir(parents=True)
    objects: list[NewObject] = []
    journal = Journal(staging / "journal.sqlite")
    ctx = _Context(
        settings, request, transfer_id, aip_id, request.title or Path(request.source).resolve().name, started,
        staging, journal, _agents(settings, request), objects, object_root(urn(aip_id)),
    )
    try:
        progress.stage("Checking the transfer")
        count, size = journal.add_sources(
            source.scan(), lambda rel: OBJECTS + logical_name(rel), lambda rel: file_uuid(aip_id, rel)
        )
        for name in settings.replication:
            storage = open_location(settings.location(name))
            ensure_storage_root(storage)
            objects.append(NewObject(storage, urn(aip_id)))
        progress.start(count, size)
        _process_files(ctx, count, progress)
        progress.stage("Writing METS and bag manifests")
        mets_entry = _store_mets(ctx)
        _store_tag_files(ctx, mets_entry)
        progress.stage("Writing the OCFL inventory")
        _commit_objects(ctx)
        progress.stage("Registering in the catalogue")
        _register(ctx, database, mets_entry)
    except BaseException:
        for obj in objects:
            obj.abort()
        journal.close()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    formats = journal.format_counts()
    journal.close()
    shutil.rmtree(staging, ignore_errors=True)
    return IngestReport(
        aip_id=aip_id, title=ctx.title, bag_name=_bag_name(ctx), files=count, bytes=size, formats=formats,
        locations=list(settings.replication), seconds=_seconds_since(started),
    )


def _agents(settings: Settings, request: IngestRequest) -> dict[str, Agent]:
    tool, tool_version, signatures = identifier_description()
    person = request.archivist or os.environ.get("PRESERVE_ARCHIVIST") or getpass.getuser()
    agents = {
        "software": Agent(agent_uuid(SOFTWARE, SOFTWARE_NAME, software_version()), SOFTWARE, SOFTWARE_NAME,
                          software_version()),
        "identifier": Agent(agent_uuid(SOFTWARE, tool, tool_version + signatures), SOFTWARE, tool, tool_version,
                            f"PRONOM signature file v{signatures}"),
        "organization": Agent(agent_uuid(ORGANIZATION, settings.archive_name), ORGANIZATION, settings.archive_name),
        "person": Agent(agent_uuid(PERSON, person), PERSON, person),
    }
    return agents


def _agent_ids(ctx: _Context, tool: str) -> tuple[str, ...]:
    """The program, the organisation and the archivist: the agents of the AIP-level ingest events."""
    return (ctx.agents[tool].id, ctx.agents["organization"].id, ctx.agents["person"].id)


def _program(ctx: _Context, tool: str) -> tuple[str, ...]:
    """Per-file events name only the program that did the work; who ingested on whose behalf is on the
    AIP's ingestion events (keeps the METS and the catalogue lean at 100,000 files)."""
    return (ctx.agents[tool].id,)


def _process_files(ctx: _Context, count: int, progress: Progress) -> None:
    workers = ctx.settings.workers if count >= SMALL_TRANSFER else 1
    setup = WorkerSetup(tuple(ctx.settings.location(n) for n in ctx.settings.replication), urn(ctx.aip_id))
    for done, result in enumerate(LocalExecutor(workers).run(setup, ctx.journal.pending()), start=1):
        ctx.journal.record(result)
        progress.advance(result.size)
        if done % 500 == 0:
            ctx.journal.commit()
    ctx.journal.commit()


def _file_record(ctx: _Context, item: JournalFile) -> FileRecord:
    return FileRecord(
        id=item.file_id, aip_id=ctx.aip_id, path=item.logical, original_name="objects/" + item.relative,
        size=item.size, sha256=item.sha256, sha512=item.sha512, format=item.format,
    )


def _file_events(ctx: _Context, item: JournalFile) -> tuple[Event, ...]:
    fmt = item.format
    identified = fmt.basis in ("signature", "container")
    outcome_detail = f"{fmt.puid or 'no PUID'} ({fmt.name or 'unknown format'}); basis: {fmt.basis}"
    if fmt.warning:
        outcome_detail += f"; {fmt.warning}"
    locations = ", ".join(ctx.settings.replication)
    return (
        Event(event_uuid(ctx.transfer_id, item.file_id, MESSAGE_DIGEST_CALCULATION), ctx.aip_id,
              MESSAGE_DIGEST_CALCULATION, item.hashed_at, SUCCESS, "program=preserve; algorithms=SHA-256, SHA-512",
              f"sha256:{item.sha256}", item.file_id, _program(ctx, "software")),
        Event(event_uuid(ctx.transfer_id, item.file_id, FORMAT_IDENTIFICATION), ctx.aip_id, FORMAT_IDENTIFICATION,
              item.identified_at, SUCCESS if identified else WARNING, f"program={fmt.tool}", outcome_detail,
              item.file_id, _program(ctx, "identifier")),
        Event(event_uuid(ctx.transfer_id, item.file_id, FIXITY_CHECK), ctx.aip_id, FIXITY_CHECK, item.stored_at,
              SUCCESS, "stored copy read back and its SHA-256 compared with the original's",
              f"verified in: {locations}", item.file_id, _program(ctx, "software")),
    )


def _aip_start_event(ctx: _Context) -> Event:
    return Event(event_uuid(ctx.transfer_id, ctx.aip_id, INGESTION_START), ctx.aip_id, INGESTION_START, ctx.created,
                 SUCCESS, f"transfer {ctx.transfer_id} of folder {Path(ctx.request.source).name!r}", "",
                 "", _agent_ids(ctx, "software"))


def _mets_files(ctx: _Context) -> Callable[[], Iterator[MetsFile]]:
    def files() -> Iterator[MetsFile]:
        for item in ctx.journal.files():
            yield MetsFile(_file_record(ctx, item), _file_events(ctx, item))
    return files


def _mets_path(ctx: _Context) -> str:
    return f"data/metadata/METS.{ctx.aip_id}.xml"


def _bag_name(ctx: _Context) -> str:
    return f"{slugify(ctx.title)}-{ctx.aip_id}"


def _store_mets(ctx: _Context) -> BagEntry:
    path = ctx.staging / "bag" / _mets_path(ctx)
    path.parent.mkdir(parents=True)
    header = MetsHeader(ctx.aip_id, ctx.title, timestamp(), ctx.settings.archive_name,
                        f"{SOFTWARE_NAME} {software_version()}", _bag_name(ctx))
    with path.open("wb") as out:
        write_mets(out, header, ctx.agents.values(), [_aip_start_event(ctx)], _mets_files(ctx))
    return _store_staged(ctx, path, _mets_path(ctx))


def _store_tag_files(ctx: _Context, mets: BagEntry) -> None:
    def payload() -> Iterator[BagEntry]:
        for item in ctx.journal.files():
            yield BagEntry(item.logical, item.size, item.sha256, item.sha512)
        yield mets

    info = [
        ("Source-Organization", ctx.settings.archive_name),
        ("Bagging-Date", ctx.created[:10]),
        ("Bag-Software-Agent", f"{SOFTWARE_NAME} {software_version()}"),
        ("External-Identifier", _bag_name(ctx)),
        ("External-Description", ctx.title),
        ("Internal-Sender-Identifier", ctx.aip_id),
        ("Internal-Sender-Description", f"transfer {ctx.transfer_id}"),
    ]
    bag_dir = ctx.staging / "bag"
    for tag in write_tag_files(bag_dir, payload, info):
        _store_staged(ctx, bag_dir / tag.path, tag.path)


def _store_staged(ctx: _Context, path: Path, logical: str) -> BagEntry:
    """Put a file written in staging into every location, read it back, and journal it."""
    with path.open("rb") as handle:
        digests, size = hash_stream(handle, ("sha256", "sha512"))
    for obj in ctx.objects:
        with path.open("rb") as handle:
            stored = obj.put_file(logical, handle, size=size)
        verify_read_back(obj.storage, stored.key, digests["sha256"], size)
    ctx.journal.add_content(logical, size, digests["sha256"], digests["sha512"])
    return BagEntry(logical, size, digests["sha256"], digests["sha512"])


def _commit_objects(ctx: _Context) -> None:
    inventory = ctx.staging / "inventory.json"
    person = ctx.agents["person"].name
    with inventory.open("wb") as out:
        write_inventory(
            out, urn(ctx.aip_id),
            (InventoryEntry(digest, tuple(f"v1/content/{p}" for p in paths), tuple(paths))
             for digest, paths in ctx.journal.by_sha512()),
            created=_ocfl_time(ctx.created), message=f"Ingest of {ctx.title}",
            user_name=person, user_address=f"urn:preserve:archivist:{_uri_safe(person)}",
            fixity_sha256=(
                (digest, tuple(f"v1/content/{p}" for p in paths)) for digest, paths in ctx.journal.by_sha256()
            ),
        )
    for obj in ctx.objects:
        obj.commit(inventory, ctx.journal.logical_paths())
        read_inventory(obj.storage, obj.root)


def _register(ctx: _Context, database: Database, mets: BagEntry) -> None:
    count, size = ctx.journal.totals()
    registered = timestamp()
    aip = Aip(
        id=ctx.aip_id, title=ctx.title, slug=slugify(ctx.title), transfer_id=ctx.transfer_id,
        ocfl_id=urn(ctx.aip_id), head_version="v1", file_count=count, total_bytes=size,
        mets_path=mets.path, mets_sha512=mets.sha512, created_at=ctx.created,
    )
    end = Event(event_uuid(ctx.transfer_id, ctx.aip_id, INGESTION_END), ctx.aip_id, INGESTION_END, registered,
                SUCCESS, f"AIP stored as OCFL object {aip.ocfl_id} v1 and verified",
                f"{count} files, {size} bytes; locations: {', '.join(ctx.settings.replication)}", "",
                _agent_ids(ctx, "software"))

    def events() -> Iterator[Event]:
        yield _aip_start_event(ctx)
        for item in ctx.journal.files():
            yield from _file_events(ctx, item)
        yield end

    files = (_file_record(ctx, item) for item in ctx.journal.files())
    replicas = [Replica(ctx.aip_id, name, "v1", ctx.root, "ok", registered, registered)
                for name in ctx.settings.replication]
    with database.session() as session:
        catalogue.sync_locations(
            session, ((loc.name, loc.backend, loc.purpose) for loc in ctx.settings.locations)
        )
        catalogue.register_aip(session, aip, files, events(), ctx.agents.values(), replicas)


def slugify(title: str) -> str:
    """A short ASCII name for folders and bag names, e.g. ``parish-council-minutes``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:40].rstrip("-") or "aip"


def _ocfl_time(iso: str) -> str:
    return iso.split(".")[0] + "Z" if iso.endswith("+00:00") else iso


def _uri_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]", "_", text) or "unknown"


def _seconds_since(iso: str) -> float:
    from datetime import datetime

    from preservation.identifiers import utc_now

    return round((utc_now() - datetime.fromisoformat(iso)).total_seconds(), 3)
