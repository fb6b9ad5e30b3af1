"""Reading and writing the catalogue in terms of the plain domain model."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from catalogue.database import rows_changed
from catalogue.models import (
    AgentRow,
    AipRow,
    DescriptionRow,
    EventAgentRow,
    EventRow,
    FileRow,
    FixityCheckRow,
    ReplicaRow,
    RightsRow,
    StorageLocationRow,
    StoredVersionRow,
)
from catalogue.units import replace_units, units_from_descriptions
from preservation.errors import NotFound
from preservation.identifiers import timestamp
from preservation.model import (
    COPIES_MAKING,
    COPIES_PENDING,
    ROLE_BY_AGENT_TYPE,
    Agent,
    Aip,
    Event,
    FileCounts,
    FileRecord,
    FormatInfo,
    Replica,
    RightsStatement,
    Validation,
    format_label,
)
from preservation.parallel import batched

BATCH = 1000  # rows per executemany; Core inserts (not ORM bulk inserts): several times faster


def sync_locations(session: Session, locations: Iterable[tuple[str, str, str]]) -> None:
    """Make sure every configured location (name, backend, purpose) has a catalogue row."""
    known = set(session.scalars(select(StorageLocationRow.name)))
    for name, backend, purpose in locations:
        if name in known:
            session.execute(
                update(StorageLocationRow)
                .where(StorageLocationRow.name == name)
                .values(backend=backend, purpose=purpose)
            )
        else:
            session.add(StorageLocationRow(name=name, backend=backend, purpose=purpose, created_at=timestamp()))


def upsert_agents(session: Session, agents: Iterable[Agent]) -> None:
    """Record agents not seen before (agent ids are derived from what they are)."""
    by_id = {agent.id: agent for agent in agents}
    if not by_id:
        return
    known = set(session.scalars(select(AgentRow.id).where(AgentRow.id.in_(list(by_id)))))
    for agent in by_id.values():
        if agent.id not in known:
            session.add(AgentRow(id=agent.id, type=agent.type, name=agent.name, version=agent.version, note=agent.note))
    session.flush()


def add_files(session: Session, files: Iterable[FileRecord]) -> None:
    """Insert files of an AIP (the records index is written when its access is worked out)."""
    for batch in batched(files, BATCH):
        session.execute(insert(FileRow.__table__), [_file_row(record) for record in batch])


def set_aip_version(
    session: Session, aip_id: str, version: str, mets_sha512: str, file_count: int, total_bytes: int
) -> None:
    """Point an AIP (and its copies) at a new version that added files."""
    session.execute(
        update(AipRow)
        .where(AipRow.id == aip_id)
        .values(head_version=version, mets_sha512=mets_sha512, file_count=file_count, total_bytes=total_bytes)
    )
    session.execute(update(ReplicaRow).where(ReplicaRow.aip_id == aip_id).values(version=version))


def set_counts(session: Session, aip_id: str, counts: FileCounts) -> None:
    """Record what an AIP holds by role and stores (after a new version, or once an audit has measured it)."""
    session.execute(update(AipRow).where(AipRow.id == aip_id).values(**_counts_columns(counts)))


def _counts_columns(counts: FileCounts) -> dict[str, Any]:
    """FileCounts as the aips table keeps them: roles as JSON, what is stored in two columns."""
    roles = {role: {"files": files, "bytes": size} for role, files, size in counts.by_role}
    stored_files, stored_bytes = counts.stored if counts.stored is not None else (None, None)
    return {"counts": json.dumps(roles), "stored_files": stored_files, "stored_bytes": stored_bytes}


def _counts(roles: str, stored_files: int | None, stored_bytes: int | None) -> FileCounts:
    by_role = {role: (c["files"], c["bytes"]) for role, c in json.loads(roles).items()} if roles else {}
    stored = (stored_files, stored_bytes) if stored_files is not None and stored_bytes is not None else None
    return FileCounts.of_roles(by_role, stored)


def find_aip(session: Session, aip_id: str) -> Aip | None:
    """The AIP with exactly this id, or None."""
    row = session.get(AipRow, aip_id)
    return _aip(row) if row is not None else None


def aips_holding(session: Session, puid: str) -> list[str]:
    """Ids of AIPs with original files of format ``puid``."""
    return list(
        session.scalars(
            select(FileRow.aip_id)
            .where(FileRow.puid == puid, FileRow.role == "original")
            .distinct()
            .order_by(FileRow.aip_id)
        )
    )


def register_aip(
    session: Session,
    aip: Aip,
    files: Iterable[FileRecord],
    events: Iterable[Event],
    agents: Iterable[Agent],
    replicas: Iterable[Replica],
    descriptions: dict[str, tuple[tuple[str, str], ...]] | None = None,
    rights: dict[str, list[RightsStatement]] | None = None,
) -> None:
    """Insert a new AIP with everything about it; the caller's transaction makes it visible at once."""
    agents = list(agents)
    upsert_agents(session, agents)
    session.execute(insert(AipRow.__table__), [_aip_row(aip)])
    add_files(session, files)
    record_events(
        session, events, {agent.id: ROLE_BY_AGENT_TYPE.get(agent.type, "executing program") for agent in agents}
    )
    _record_descriptions(session, aip.id, descriptions or {})
    _record_rights(session, aip.id, rights or {})
    session.execute(insert(ReplicaRow.__table__), [_replica_row(replica) for replica in replicas])


def _record_rights(session: Session, aip_id: str, rights: dict[str, list[RightsStatement]]) -> None:
    rows = [
        {"aip_id": aip_id, "target": target, "basis": statement.basis, "statement": json.dumps(statement.to_dict())}
        for target, statements in rights.items()
        for statement in statements
    ]
    if rows:
        session.execute(insert(RightsRow.__table__), rows)


def _record_descriptions(session: Session, aip_id: str, descriptions: dict[str, tuple[tuple[str, str], ...]]) -> None:
    rows = [
        {"aip_id": aip_id, "target": target, "element": element, "value": value, "position": position}
        for target, values in descriptions.items()
        for position, (element, value) in enumerate(values)
    ]
    if rows:
        session.execute(insert(DescriptionRow.__table__), rows)
    replace_units(session, aip_id, units_from_descriptions(aip_id, descriptions))


def replace_metadata(
    session: Session,
    aip_id: str,
    title: str,
    descriptions: dict[str, tuple[tuple[str, str], ...]],
    rights: dict[str, list[RightsStatement]],
    version: str,
    mets_sha512: str,
) -> None:
    """Point an AIP at a new version with new descriptions and rights (its files are unchanged)."""
    session.execute(
        update(AipRow).where(AipRow.id == aip_id).values(title=title, head_version=version, mets_sha512=mets_sha512)
    )
    session.execute(update(ReplicaRow).where(ReplicaRow.aip_id == aip_id).values(version=version))
    session.execute(DescriptionRow.__table__.delete().where(DescriptionRow.aip_id == aip_id))
    session.execute(RightsRow.__table__.delete().where(RightsRow.aip_id == aip_id))
    _record_descriptions(session, aip_id, descriptions)
    _record_rights(session, aip_id, rights)


def aip_descriptions(session: Session, aip_id: str) -> list[tuple[str, str, str]]:
    """(target, element, value) describing an AIP and its files and folders, in the order given."""
    rows = session.execute(
        select(DescriptionRow.target, DescriptionRow.element, DescriptionRow.value)
        .where(DescriptionRow.aip_id == aip_id)
        .order_by(DescriptionRow.target, DescriptionRow.position)
    )
    return [(target, element, value) for target, element, value in rows]


def aip_rights(session: Session, aip_id: str) -> list[tuple[str, RightsStatement]]:
    """(target, statement) for every rights statement about an AIP and its files."""
    rows = session.execute(
        select(RightsRow.target, RightsRow.statement)
        .where(RightsRow.aip_id == aip_id)
        .order_by(RightsRow.target, RightsRow.id)
    )
    return [(target, RightsStatement(**json.loads(text))) for target, text in rows]


def record_events(session: Session, events: Iterable[Event], roles: dict[str, str] | None = None) -> int:
    """Insert events (and their agent links, in the agents' roles) in batches; return how many. An agent
    ``roles`` does not name takes the role its type gives it (a person implements, software executes)."""
    roles = dict(roles or {})
    count = 0
    for batch in batched(events, BATCH):
        session.execute(insert(EventRow.__table__), [_event_row(event) for event in batch])
        _add_roles_by_type(session, roles, {agent_id for event in batch for agent_id in event.agent_ids})
        links = [
            {"event_id": event.id, "agent_id": agent_id, "role": roles.get(agent_id, "executing program")}
            for event in batch
            for agent_id in event.agent_ids
        ]
        if links:
            session.execute(insert(EventAgentRow.__table__), links)
        count += len(batch)
    return count


def _add_roles_by_type(session: Session, roles: dict[str, str], agent_ids: set[str]) -> None:
    unknown = agent_ids - roles.keys()
    if unknown:
        for agent_id, kind in session.execute(select(AgentRow.id, AgentRow.type).where(AgentRow.id.in_(unknown))):
            roles[agent_id] = ROLE_BY_AGENT_TYPE.get(kind, "executing program")


def set_replica_checked(session: Session, aip_id: str, location: str, status: str, when: str) -> None:
    """Record the result of checking one replica."""
    session.execute(
        update(ReplicaRow)
        .where(ReplicaRow.aip_id == aip_id, ReplicaRow.location == location)
        .values(status=status, verified_at=when)
    )


def set_replica_metadata_checked(session: Session, aip_id: str, location: str, status: str, when: str) -> None:
    """Record the result of a metadata-only check of one replica."""
    session.execute(
        update(ReplicaRow)
        .where(ReplicaRow.aip_id == aip_id, ReplicaRow.location == location)
        .values(status=status, metadata_checked_at=when)
    )


def record_fixity_check(
    session: Session,
    aip_id: str,
    location: str,
    kind: str,
    when: str,
    files: int,
    size: int,
    problems: int,
    outcome: str,
) -> None:
    """Add one check of one copy to the history that schedules and reports read."""
    session.execute(
        insert(FixityCheckRow.__table__),
        [
            {
                "aip_id": aip_id,
                "location": location,
                "kind": kind,
                "checked_at": when,
                "files": files,
                "bytes": size,
                "problems": problems,
                "outcome": outcome,
            }
        ],
    )


def fixity_history(session: Session, since: str = "") -> list[tuple[str, str, str, int, int, str]]:
    """(location, kind, checked_at, bytes, problems, outcome) of every check since ``since``, oldest first."""
    rows = session.execute(
        select(
            FixityCheckRow.location,
            FixityCheckRow.kind,
            FixityCheckRow.checked_at,
            FixityCheckRow.bytes,
            FixityCheckRow.problems,
            FixityCheckRow.outcome,
        )
        .where(FixityCheckRow.checked_at >= since)
        .order_by(FixityCheckRow.checked_at)
    )
    return [
        (location, kind, checked_at, size, problems, outcome)
        for location, kind, checked_at, size, problems, outcome in rows
    ]


def add_replica(session: Session, replica: Replica) -> None:
    """Record a further copy of an AIP (made after ingest)."""
    session.execute(insert(ReplicaRow.__table__), [_replica_row(replica)])


def record_versions(session: Session, aip_id: str, location: str, versions: dict[str, str]) -> None:
    """Record the object-store VersionIds of one copy's keys (replacing what was recorded before)."""
    session.execute(
        delete(StoredVersionRow).where(StoredVersionRow.aip_id == aip_id, StoredVersionRow.location == location)
    )
    rows = [
        {"aip_id": aip_id, "location": location, "key": key, "version_id": version}
        for key, version in sorted(versions.items())
    ]
    for batch in batched(rows, 500):
        session.execute(insert(StoredVersionRow.__table__), batch)


def set_inventory_digest(session: Session, aip_id: str, location: str, sha512: str) -> None:
    """Record the SHA-512 of a copy's root inventory, as verified."""
    session.execute(
        update(ReplicaRow)
        .where(ReplicaRow.aip_id == aip_id, ReplicaRow.location == location)
        .values(inventory_sha512=sha512)
    )


def stored_versions(session: Session, aip_id: str, location: str) -> dict[str, str]:
    """The VersionIds recorded for one copy, by key (empty for stores without versions)."""
    rows = session.execute(
        select(StoredVersionRow.key, StoredVersionRow.version_id).where(
            StoredVersionRow.aip_id == aip_id, StoredVersionRow.location == location
        )
    )
    return dict(rows.all())


def set_aip_status(session: Session, aip_id: str, status: str) -> None:
    """Mark an AIP as stored, damaged, …"""
    session.execute(update(AipRow).where(AipRow.id == aip_id).values(status=status))


def held_digests(session: Session, digests: Iterable[str]) -> dict[str, tuple[str, str]]:
    """For SHA-256 digests the archive already holds: digest -> (AIP id, original name of a file holding it)."""
    found: dict[str, tuple[str, str]] = {}
    for batch in batched(digests, 500):
        rows = session.execute(
            select(FileRow.sha256, FileRow.aip_id, FileRow.original_name).where(FileRow.sha256.in_(batch))
        )
        for sha256, aip_id, path in rows:
            found.setdefault(sha256, (aip_id, path))
    return found


def location_totals(session: Session) -> dict[str, tuple[int, int, int, str]]:
    """Per location: (AIPs held, the bytes they store — their catalogued files' until measured —, damaged copies,
    last time a copy there was verified)."""
    rows = session.execute(
        select(
            ReplicaRow.location,
            func.count(),
            func.coalesce(func.sum(func.coalesce(AipRow.stored_bytes, AipRow.total_bytes)), 0),
            func.sum(case((ReplicaRow.status != "ok", 1), else_=0)),
            func.max(ReplicaRow.verified_at),
        )
        .join(AipRow, AipRow.id == ReplicaRow.aip_id)
        .group_by(ReplicaRow.location)
    )
    return {name: (count, int(size), int(damaged or 0), last or "") for name, count, size, damaged, last in rows}


def aips_without_copy(session: Session, location: str) -> list[str]:
    """The AIPs with no copy in ``location``, oldest first (for a location in [replication]: copies owed)."""
    held = select(ReplicaRow.aip_id).where(ReplicaRow.location == location)
    return list(session.scalars(select(AipRow.id).where(AipRow.id.not_in(held)).order_by(AipRow.created_at)))


def list_aips(session: Session) -> list[Aip]:
    """Every registered AIP, newest first."""
    rows = session.scalars(select(AipRow).order_by(AipRow.created_at.desc()))
    return [_aip(row) for row in rows]


SHORT_PREFIX_HINT = "Give at least 4 characters of the id (`preserve aip list` shows every AIP)."


def get_aip(session: Session, reference: str) -> Aip:
    """The AIP with this UUID (or ``urn:uuid:`` form, or a unique prefix of at least 4 characters)."""
    ref = reference.strip().lower().removeprefix("urn:uuid:")
    row = session.get(AipRow, ref)
    if row is None and len(ref) >= 4:
        matches = list(session.scalars(select(AipRow).where(AipRow.id.startswith(ref, autoescape=True)).limit(2)))
        if len(matches) > 1:
            raise NotFound(f"AIP reference {reference!r} is ambiguous", hint="Give more characters of the id.")
        row = matches[0] if matches else None
    if row is None:
        if len(ref) < 4:  # a shorter start is never looked up: too many AIPs would share it
            raise NotFound(
                f"{reference!r} is too short to name an AIP: an id's first 4 characters at least are needed",
                hint=SHORT_PREFIX_HINT,
            )
        raise NotFound(f"no AIP {reference!r} in the catalogue", hint="`preserve aip list` shows every AIP.")
    return _aip(row)


def aip_files(session: Session, aip_id: str, under: str = "") -> Iterator[FileRecord]:
    """The files of an AIP in path order (streamed), or those at or under the bag path ``under``."""
    query = select(FileRow).where(FileRow.aip_id == aip_id)
    if under:
        query = query.where((FileRow.path == under) | FileRow.path.startswith(under + "/", autoescape=True))
    rows = session.execute(query.order_by(FileRow.path)).scalars()
    for row in rows:
        yield file_from_row(row)


def aip_events(session: Session, aip_id: str, file_id: str | None = None, event_type: str = "") -> list[Event]:
    """Events of an AIP (or of one of its files; or of one type) in time order, with their agents."""
    conditions = [EventRow.aip_id == aip_id]
    if file_id is not None:
        conditions.append(EventRow.file_id == file_id)
    if event_type:
        conditions.append(EventRow.type == event_type)
    rows = list(session.scalars(select(EventRow).where(*conditions).order_by(EventRow.datetime, EventRow.id)))
    agents: dict[str, list[str]] = {}
    if rows:
        links = session.execute(
            select(EventAgentRow.event_id, EventAgentRow.agent_id).join(EventRow).where(*conditions)
        )
        for event_id, agent_id in links:
            agents.setdefault(event_id, []).append(agent_id)
    return [_event(row, tuple(agents.get(row.id, ()))) for row in rows]


def agents_by_id(session: Session, ids: Iterable[str]) -> dict[str, Agent]:
    """The agents with these ids."""
    ids = list(set(ids))
    rows: Iterable[AgentRow] = session.scalars(select(AgentRow).where(AgentRow.id.in_(ids))) if ids else []
    return {row.id: Agent(row.id, row.type, row.name, row.version, row.note) for row in rows}


def copies_in_location(session: Session, location: str) -> list[tuple[Aip, Replica]]:
    """Every AIP with a copy in ``location``, with that copy."""
    rows = session.execute(
        select(AipRow, ReplicaRow)
        .join(ReplicaRow, ReplicaRow.aip_id == AipRow.id)
        .where(ReplicaRow.location == location)
    )
    return [(_aip(a), _replica(r)) for a, r in rows]


def aip_replicas(session: Session, aip_id: str) -> list[Replica]:
    """Every stored copy of an AIP."""
    rows = session.scalars(select(ReplicaRow).where(ReplicaRow.aip_id == aip_id).order_by(ReplicaRow.location))
    return [_replica(r) for r in rows]


def format_counts(session: Session, aip_id: str) -> list[tuple[str, str, int, int]]:
    """(format, PUID, files, bytes) of an AIP's catalogued files, most common first (as ingest sums them)."""
    rows = session.execute(
        select(FileRow.puid, FileRow.format_name, FileRow.format_version, func.count(), func.sum(FileRow.size))
        .where(FileRow.aip_id == aip_id)
        .group_by(FileRow.puid, FileRow.format_name, FileRow.format_version)
    )
    found = [(format_label(n or "", v or ""), p or "", count, int(size or 0)) for p, n, v, count, size in rows]
    return sorted(found, key=lambda row: (-row[2], row[0], row[1]))


def format_profile(session: Session) -> list[tuple[str, str, str, int, int, int, int]]:
    """Across the archive, per PUID of original files: (PUID, name, version, files, bytes, AIPs, files with a
    preservation copy), largest first."""
    derived = select(FileRow.derived_from).where(FileRow.role == "preservation").scalar_subquery()
    rows = session.execute(
        select(
            FileRow.puid,
            FileRow.format_name,
            FileRow.format_version,
            func.count(),
            func.coalesce(func.sum(FileRow.size), 0),
            func.count(func.distinct(FileRow.aip_id)),
            func.sum(case((FileRow.id.in_(derived), 1), else_=0)),
        )
        .where(FileRow.role == "original")
        .group_by(FileRow.puid, FileRow.format_name, FileRow.format_version)
        .order_by(func.coalesce(func.sum(FileRow.size), 0).desc(), FileRow.puid)
    )
    return [(p, n, v, c, int(b), a, int(d or 0)) for p, n, v, c, b, a, d in rows]


def _aip_row(aip: Aip) -> dict:
    return {
        "id": aip.id,
        "title": aip.title,
        "slug": aip.slug,
        "transfer_id": aip.transfer_id,
        "ocfl_id": aip.ocfl_id,
        "head_version": aip.head_version,
        "file_count": aip.file_count,
        "total_bytes": aip.total_bytes,
        "mets_path": aip.mets_path,
        "mets_sha512": aip.mets_sha512,
        "status": aip.status,
        "created_at": aip.created_at,
        # only when owed: the column's default says none, and code written before it still registers AIPs
        **({"copies": aip.copies} if aip.copies else {}),
        **(_counts_columns(aip.counts) if aip.counts.by_role else {}),  # likewise
    }


def claim_pending_copies(session: Session, aip_id: str, claimer: str, stale: str = "") -> bool:
    """Take the making of an AIP's pending derivatives (pending, or the ``stale`` claim of a process that died,
    → ``making:claimer``); False if someone else holds them or none are owed."""
    taken = [COPIES_PENDING, stale] if stale else [COPIES_PENDING]
    making = f"{COPIES_MAKING}:{claimer}"
    claim = update(AipRow).where(AipRow.id == aip_id, AipRow.copies.in_(taken)).values(copies=making)
    return bool(rows_changed(session, claim))


def set_copies_state(session: Session, aip_id: str, state: str) -> None:
    """Say whether an AIP's derivatives are pending (COPIES_PENDING) or not owed ('')."""
    session.execute(update(AipRow).where(AipRow.id == aip_id).values(copies=state))


def aips_with_pending_copies(session: Session) -> list[tuple[str, str]]:
    """(AIP id, state) of the AIPs whose derivatives an ingest left for later: pending, or being made
    ('making:HOST:PID'), oldest first."""
    query = select(AipRow.id, AipRow.copies).where(AipRow.copies != "").order_by(AipRow.created_at)
    return [(aip_id, state) for aip_id, state in session.execute(query)]


def _replica(r: ReplicaRow) -> Replica:
    return Replica(
        r.aip_id,
        r.location,
        r.version,
        r.object_root,
        r.status,
        r.stored_at,
        r.verified_at,
        r.inventory_sha512,
        r.metadata_checked_at,
    )


def _aip(row: AipRow) -> Aip:
    return Aip(
        id=row.id,
        title=row.title,
        slug=row.slug,
        transfer_id=row.transfer_id,
        ocfl_id=row.ocfl_id,
        head_version=row.head_version,
        file_count=row.file_count,
        total_bytes=row.total_bytes,
        mets_path=row.mets_path,
        mets_sha512=row.mets_sha512,
        created_at=row.created_at,
        status=row.status,
        copies=row.copies or "",
        counts=_counts(row.counts, row.stored_files, row.stored_bytes),
    )


def _file_row(record: FileRecord) -> dict:
    fmt = record.format
    return {
        "id": record.id,
        "aip_id": record.aip_id,
        "path": record.path,
        "original_name": record.original_name,
        "role": record.role,
        "size": record.size,
        "sha256": record.sha256,
        "sha512": record.sha512,
        "puid": fmt.puid,
        "format_name": fmt.name,
        "format_version": fmt.version,
        "mime_type": fmt.mime_type,
        "id_basis": fmt.basis,
        "id_warning": fmt.warning,
        "validation": record.validation.to_json(),
        "personal_data": record.personal_data,
        "review": record.review,
        "derived_from": record.derived_from,
    }


def file_from_row(row: FileRow) -> FileRecord:
    """A file row as the domain model's FileRecord."""
    fmt = FormatInfo(row.puid, row.format_name, row.format_version, row.mime_type, row.id_basis, row.id_warning)
    return FileRecord(
        row.id,
        row.aip_id,
        row.path,
        row.original_name,
        row.size,
        row.sha256,
        row.sha512,
        fmt,
        row.role,
        Validation.from_json(row.validation),
        row.personal_data,
        row.review,
        row.derived_from,
    )


def _event_row(event: Event) -> dict:
    return {
        "id": event.id,
        "aip_id": event.aip_id,
        "file_id": event.file_id,
        "type": event.type,
        "datetime": event.datetime,
        "outcome": event.outcome,
        "detail": event.detail,
        "outcome_detail": event.outcome_detail,
    }


def _event(row: EventRow, agent_ids: tuple[str, ...]) -> Event:
    return Event(
        row.id, row.aip_id, row.type, row.datetime, row.outcome, row.detail, row.outcome_detail, row.file_id, agent_ids
    )


def _replica_row(replica: Replica) -> dict:
    return {
        "aip_id": replica.aip_id,
        "location": replica.location,
        "version": replica.version,
        "object_root": replica.object_root,
        "status": replica.status,
        "stored_at": replica.stored_at,
        "verified_at": replica.verified_at,
        "inventory_sha512": replica.inventory_sha512,
        "metadata_checked_at": replica.metadata_checked_at,
    }
