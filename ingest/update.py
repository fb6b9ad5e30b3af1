"""A new version of an AIP with corrected or added metadata, without touching its files.

The new version holds only what changed — a new METS (with a PREMIS metadata modification event),
the new spreadsheets under ``metadata/submission/``, new tag files — and references everything
else by digest. Every earlier version stays exportable as a complete bag.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.access_status import refresh_access
from catalogue.units import aips_below, units_of
from ingest.metadata import descriptions_from_csv
from ingest.premis_records import make_agents
from ingest.rights import read_rights_csv
from policies.closure import load_closure_policy
from preservation import SOFTWARE_NAME, software_version
from preservation.bag import BagEntry, decode_path, write_tag_files
from preservation.config import Settings
from preservation.errors import PackageError
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.mets import MetsFile, MetsHeader, write_mets
from preservation.model import METADATA_MODIFICATION, SUCCESS, Agent, Aip, Event, FileRecord, RightsStatement
from stewardship.replicate import seal_copy
from storage import open_location
from storage.digests import hash_stream
from storage.ocfl import NextVersion, read_inventory, stored_totals, version_state


@dataclass(frozen=True)
class UpdateReport:
    """What an update did."""

    aip_id: str
    version: str
    changed: list[str]
    locations: list[str]
    warnings: list[str]  # what was kept from the spreadsheets but is unusual (unknown columns, values …)


def update_aip(
    settings: Settings,
    database: Database,
    reference: str,
    metadata: Path | None,
    rights: Path | None,
    archivist: str = "",
) -> UpdateReport:
    """Store a new version of an AIP with new descriptive metadata and/or rights."""
    if metadata is None and rights is None:
        raise PackageError("nothing to update", hint="Give --metadata metadata.csv and/or --rights rights.csv.")
    aip, files, events, agents, descriptions, rights_now, replicas = load_aip_record(database, reference)
    if len(replicas) != len(settings.replication) or not replicas:
        raise PackageError(
            f"AIP {aip.id}: every copy must be intact to add a version",
            hint="Run `preserve audit` and repair damaged copies first.",
        )
    stored = {f.path.removeprefix("data/objects/") for f in files}
    folders = {"/".join(p.split("/")[:i]) for p in stored for i in range(1, len(p.split("/")))}
    changed_docs = []
    warnings: list[str] = []
    if metadata is not None:
        descriptions = descriptions_from_csv(metadata, stored, folders, database, aip.id, warnings)
        changed_docs.append(metadata)
    if rights is not None:
        rights_now = read_rights_csv(rights, stored, folders, warnings)
        changed_docs.append(rights)

    new_agents = make_agents(settings.archive_name, archivist)
    when = timestamp()
    change = Event(
        event_uuid(new_uuid(), aip.id, METADATA_MODIFICATION),
        aip.id,
        METADATA_MODIFICATION,
        when,
        SUCCESS,
        "program=preserve; " + "; ".join(f"new {d.name}" for d in changed_docs),
        f"AIP version after {aip.head_version}",
        "",
        (new_agents["software"].id, new_agents["organization"].id, new_agents["person"].id),
    )
    all_agents = {**agents, **{a.id: a for a in new_agents.values() if a.type != "software" or a.name == "preserve"}}
    with tempfile.TemporaryDirectory(prefix="preserve-update-") as work:
        bag = Path(work) / "bag"
        mets_path = bag / aip.mets_path
        title = write_version_mets(
            settings, aip, mets_path, files, [*events, change], all_agents, descriptions, rights_now, when
        )
        report = store_version(settings, aip, replicas, bag, mets_path, changed_docs, new_agents["person"].name)
    if title != aip.title:  # said, not silent: the title an archivist gave at ingest may be replaced
        warnings.append(f"the AIP's title is now {title!r}, from the spreadsheet's dc.title (it was {aip.title!r})")
    with database.session() as session:
        catalogue.replace_metadata(session, aip.id, title, descriptions, rights_now, report.version, report.mets_sha512)
        catalogue.set_counts(session, aip.id, aip.counts.added({}, report.stored))
        catalogue.upsert_agents(session, all_agents.values())
        catalogue.record_events(session, [change])
    for replica in replicas:  # the new version's objects and the replaced root inventory
        seal_copy(
            database, open_location(settings.location(replica.location)), replica.location, replica.object_root, aip.id
        )
    closure = load_closure_policy(settings.policies_path)  # the new description may change who may see what
    with database.session() as session:
        below = aips_below(session, [unit.reference for unit in units_of(session, aip.id)])
    refresh_access(database, closure.evaluate, closure.default(), [aip.id, *sorted(below - {aip.id})])
    return UpdateReport(aip.id, report.version, report.changed, [r.location for r in replicas], warnings)


def write_version_mets(
    settings: Settings,
    aip: Aip,
    mets_path: Path,
    files: list[FileRecord],
    events: list[Event],
    agents: dict[str, Agent],
    descriptions: dict[str, tuple[tuple[str, str], ...]],
    rights: dict[str, list[RightsStatement]],
    when: str,
) -> str:
    """The METS of a new version of an AIP: every file with its events and rights, the AIP's own events (those
    of no file, in order) and descriptions; returns the title it gives the AIP."""
    mets_path.parent.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[Event]] = {}
    for event in events:
        by_file.setdefault(event.file_id, []).append(event)
    title = next((v for k, v in descriptions.get("", ()) if k == "title"), "") or aip.title
    header = MetsHeader(
        aip.id,
        title,
        when,
        settings.archive_name,
        f"{SOFTWARE_NAME} {software_version()}",
        aip.bag_name,
        descriptions,
        tuple(rights.get("", ())),
    )

    def mets_files() -> Iterator[MetsFile]:
        for record in files:
            yield MetsFile(
                record,
                tuple(by_file.get(record.id, ())),
                tuple(rights.get(record.path.removeprefix("data/objects/"), ())),
            )

    with mets_path.open("wb") as out:
        write_mets(out, header, agents.values(), by_file.get("", []), mets_files)
    return header.title


def load_aip_record(database: Database, reference: str) -> tuple:
    """Everything a new version of an AIP starts from: the AIP, its files, events and their agents, its
    descriptions and rights (by target), and its intact copies."""
    with database.session() as session:
        aip = catalogue.get_aip(session, reference)
        files = list(catalogue.aip_files(session, aip.id))
        events = catalogue.aip_events(session, aip.id)
        agents = catalogue.agents_by_id(session, (a for e in events for a in e.agent_ids))
        descriptions: dict[str, tuple[tuple[str, str], ...]] = {}
        for target, element, value in catalogue.aip_descriptions(session, aip.id):
            descriptions[target] = (*descriptions.get(target, ()), (element, value))
        rights: dict = {}
        for target, statement in catalogue.aip_rights(session, aip.id):
            rights.setdefault(target.removeprefix("objects/") if target != "objects" else "", []).append(statement)
        replicas = [r for r in catalogue.aip_replicas(session, aip.id) if r.status == "ok"]
    return aip, files, events, agents, descriptions, rights, replicas


@dataclass
class StoredVersion:
    version: str
    changed: list[str]
    mets_sha512: str
    stored: tuple[int, int]  # (files, bytes) the object now stores, every version (preservation.model.FileCounts)


def store_version(
    settings: Settings,
    aip,
    replicas,
    bag: Path,
    mets_path: Path,
    docs: list[Path],
    user: str,
    payload_files: dict[str, Path] | None = None,
    message: str = "Metadata update",
) -> StoredVersion:
    """Store the next OCFL version of an AIP in every location: a new METS, new tag files, the given submission
    documents and new payload files (by logical path); everything else is referenced by digest."""
    first = open_location(settings.location(replicas[0].location))
    inventory = read_inventory(first, replicas[0].object_root)
    state = {logical: digest for logical, _content, digest in version_state(inventory)}
    new_files: dict[str, Path] = {aip.mets_path: mets_path, **(payload_files or {})}
    for doc in docs:
        target = bag / "data" / "metadata" / "submission" / doc.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(doc.read_bytes())
        new_files[f"data/metadata/submission/{doc.name}"] = target
    digests = {}
    for logical, path in new_files.items():
        with path.open("rb") as handle:
            found, size = hash_stream(handle, ("sha256", "sha512"))
        digests[logical] = BagEntry(logical, size, found["sha256"], found["sha512"])
    payload_paths = sorted(p for p in state if p.startswith("data/") and p not in new_files)
    old_sums = _manifest_sums(first, replicas[0].object_root, inventory)

    def payload() -> Iterator[BagEntry]:
        for logical in payload_paths:
            sha256, size = old_sums[logical]
            yield BagEntry(logical, size, sha256, state[logical])
        yield from (digests[p] for p in sorted(new_files) if p.startswith("data/"))

    info = [
        (label, value)
        for label, value in _bag_info(first, replicas[0].object_root, inventory)
        if label not in ("Payload-Oxum", "Bagging-Date")
    ]
    info.insert(0, ("Bagging-Date", timestamp()[:10]))
    tags = write_tag_files(bag, payload, info)
    for tag in tags:
        new_files[tag.path] = bag / tag.path
        digests[tag.path] = tag
    versions = []
    totals = (0, 0)
    try:
        for replica in replicas:
            storage = open_location(settings.location(replica.location))
            current = read_inventory(storage, replica.object_root)
            version = NextVersion(storage, replica.object_root, current)
            versions.append(version)
            for logical, path in new_files.items():
                with path.open("rb") as handle:
                    version.put_file(logical, handle, digests[logical].size)
            new_state = {logical: digest for logical, _c, digest in version_state(current)}
            new_state.update({logical: digests[logical].sha512 for logical in new_files})
            written = version.inventory(
                new_state, timestamp().split(".")[0] + "Z", message, user, f"urn:preserve:archivist:{user or 'unknown'}"
            )
            version.commit(written)
            read_inventory(storage, replica.object_root)
            if len(versions) == 1:  # every location stores the same object: the first one's files are counted
                totals = stored_totals(storage, replica.object_root, written)
    except BaseException:
        for version in versions:
            version.abort()
        raise
    return StoredVersion(versions[0].version, sorted(new_files), digests[aip.mets_path].sha512, totals)


def _manifest_sums(storage, root: str, inventory: dict) -> dict[str, tuple[str, int]]:
    """SHA-256 and size of every payload file, read from the stored manifest-sha256.txt (no re-hashing)."""
    contents = {logical: content for logical, content, _d in version_state(inventory)}
    with storage.open(f"{root}/{contents['manifest-sha256.txt']}") as handle:
        lines = handle.read().decode("utf-8").splitlines()
    sums = {}
    for line in lines:
        digest, _, path = line.partition("  ")
        logical = decode_path(path)
        sums[logical] = (digest, storage.stat(f"{root}/{contents[logical]}").size)
    return sums


def _bag_info(storage, root: str, inventory: dict) -> list[tuple[str, str]]:
    contents = {logical: content for logical, content, _d in version_state(inventory)}
    with storage.open(f"{root}/{contents['bag-info.txt']}") as handle:
        text = handle.read().decode("utf-8")
    return [tuple(part.strip() for part in line.split(":", 1)) for line in text.splitlines() if ":" in line]
