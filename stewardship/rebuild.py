"""Rebuild the catalogue from storage alone: each AIP's METS, OCFL inventory and event log.

Every storage location is walked for OCFL objects; each object's head version gives its METS,
which holds the AIP's files (digests, formats, validation characteristics, original names),
their events and agents, descriptive metadata and rights; the event log beside the object adds
what happened after ingest. An AIP found in several locations is registered once, with a replica
for each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from lxml import etree

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.access_status import decision_from
from catalogue.units import set_decision
from preservation.config import Settings
from preservation.errors import CatalogueError, CopyProblem, PreservationError
from preservation.mets import DCTERMS, OTHER, href_path
from preservation.mets import OTHER_NS as OTHER_NAMESPACE
from preservation.model import (
    ARCHIVAL,
    FORENSIC_FEATURE_ANALYSIS,
    ORIGINAL,
    PENDING_REVIEW,
    Agent,
    Aip,
    Event,
    FileCounts,
    FileRecord,
    FormatInfo,
    Replica,
    RightsStatement,
    Validation,
    role_totals,
)
from preservation.progress import NO_PROGRESS, Progress
from stewardship.event_log import aip_versions, event_log_prefix
from stewardship.rebuild_history import CheckRecord, aip_status, copy_state, fixity_checks, stored_dates
from stewardship.rebuild_rights import ReadRights, RowFinder, read_rights, resolve_rights
from storage import Storage, open_location
from storage.ocfl import inventory_digest, object_root, read_inventory, stored_totals

M = "{http://www.loc.gov/METS/}"
P = "{http://www.loc.gov/premis/v3}"
DC = "{http://purl.org/dc/elements/1.1/}"
DCT = "{http://purl.org/dc/terms/}"
OTHER_NS = f"{{{OTHER_NAMESPACE}}}"
EAD = "{urn:isbn:1-931666-22-9}"
SUBMITTED = "metadata"  # the role of the files that came with a transfer as its documentation


Roles = tuple[tuple[str, str], ...]  # (agent id, role) of one event, as PREMIS linkingAgentRole gives them


@dataclass
class ParsedAip:
    """Everything one METS says about its AIP."""

    aip_id: str = ""
    title: str = ""
    bag_name: str = ""
    agents: dict[str, Agent] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    files: list[FileRecord] = field(default_factory=list)
    descriptions: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rights: dict[str, list[RightsStatement]] = field(default_factory=dict)  # by target ('' the AIP)
    roles: dict[str, Roles] = field(default_factory=dict)  # event id -> its agents' roles


def _text(element, path: str) -> str:
    return element.findtext(path, default="") or ""


def _event(element, aip_id: str, file_id: str) -> Event:
    return Event(
        id=_text(element, f"{P}eventIdentifier/{P}eventIdentifierValue"),
        aip_id=aip_id,
        type=_text(element, f"{P}eventType"),
        datetime=_text(element, f"{P}eventDateTime"),
        outcome=_text(element, f"{P}eventOutcomeInformation/{P}eventOutcome"),
        detail=_text(element, f"{P}eventDetailInformation/{P}eventDetail"),
        outcome_detail=_text(element, f"{P}eventOutcomeInformation/{P}eventOutcomeDetail/{P}eventOutcomeDetailNote"),
        file_id=file_id,
        agent_ids=tuple(
            a.text or "" for a in element.iterfind(f"{P}linkingAgentIdentifier/{P}linkingAgentIdentifierValue")
        ),
    )


def _roles(element) -> Roles:
    """The agents of an event element in the roles it names (the default role where it names none)."""
    return tuple(
        (_text(link, f"{P}linkingAgentIdentifierValue"), _text(link, f"{P}linkingAgentRole") or "executing program")
        for link in element.iterfind(f"{P}linkingAgentIdentifier")
    )


def _agent(element) -> Agent:
    return Agent(
        _text(element, f"{P}agentIdentifier/{P}agentIdentifierValue"),
        _text(element, f"{P}agentType"),
        _text(element, f"{P}agentName"),
        _text(element, f"{P}agentVersion"),
        _text(element, f"{P}agentNote"),
    )


def parse_mets(stream: BinaryIO) -> ParsedAip:
    """Read a METS written by preserve (streamed: sections are cleared once read)."""
    parsed = ParsedAip()
    dmd: dict[str, list[tuple[str, str]]] = {}
    objects: dict[str, dict] = {}
    file_entries: dict[str, tuple[str, str]] = {}  # file id -> (path, MIME type)
    validation_events: dict[str, Event] = {}
    identification_tools: dict[str, str] = {}
    scans: dict[str, Event] = {}  # the personal-data scan of each file
    rights: dict[str, list[ReadRights]] = {}  # by target, their notes still to be told apart
    rows = RowFinder()
    for _, element in etree.iterparse(
        stream, events=("end",), tag=(f"{M}mets", f"{M}dmdSec", f"{M}amdSec", f"{M}file", f"{M}structMap")
    ):
        tag = element.tag
        if tag == f"{M}dmdSec":
            dmd[element.get("ID", "")] = _dmd_values(element)
        elif tag == f"{M}amdSec":
            section = element.get("ID", "").removeprefix("amd-")
            obj = element.find(f"{M}techMD//{P}object")
            file_id = _text(obj, f"{P}objectIdentifier/{P}objectIdentifierValue") if obj is not None else ""
            for agent in element.iterfind(f".//{P}agent"):
                parsed.agents[_text(agent, f"{P}agentIdentifier/{P}agentIdentifierValue")] = _agent(agent)
            for event_element in element.iterfind(f".//{P}event"):
                event = _event(event_element, "", file_id)
                parsed.events[event.id] = event
                parsed.roles[event.id] = _roles(event_element)
                if event.type == "validation":
                    validation_events[file_id] = event
                elif event.type == "format identification":
                    identification_tools[file_id] = event.detail.removeprefix("program=")
                elif event.type == FORENSIC_FEATURE_ANALYSIS:
                    scans[file_id] = event
            owner, scope = (file_id, "rights:") if obj is not None else (section, "rights::")
            statements = [read_rights(r, owner, scope, rows) for r in element.iterfind(f".//{P}rightsStatement")]
            if obj is None:
                parsed.aip_id = parsed.aip_id or section
                if statements:
                    rights[""] = statements
            else:
                objects[file_id] = {"element": etree.tostring(obj), "rights": statements}
            element.clear()
        elif tag == f"{M}file":
            location = element.find(f"{M}FLocat")
            file_entries[element.get("ID", "").removeprefix("file-")] = (
                href_path(location) if location is not None else "",
                element.get("MIMETYPE", ""),
            )
        elif tag == f"{M}structMap":
            root_div = element.find(f"{M}div")
            parsed.bag_name = root_div.get("LABEL", "") if root_div is not None else ""
            _walk_struct_map(root_div, [], dmd, parsed)
            root_ids = (root_div.get("DMDID", "") if root_div is not None else "").split()
            parsed.descriptions[""] = _described(root_ids, dmd, f"dmd-{parsed.aip_id}")
        elif tag == f"{M}mets":
            parsed.aip_id = element.get("OBJID", "").removeprefix("urn:uuid:")
            parsed.title = element.get("LABEL", "")
    for file_id, data in objects.items():
        obj = etree.fromstring(data["element"])
        path, mime = file_entries.get(file_id, ("", ""))
        record = _file_record(
            obj, parsed.aip_id, path, mime, identification_tools.get(file_id, ""), validation_events.get(file_id)
        )
        if file_id in scans:
            found, marker, _ = scans[file_id].outcome_detail.partition(f"; {PENDING_REVIEW}")
            record = replace(record, personal_data=found, review=PENDING_REVIEW if marker else "")
        parsed.files.append(record)
        if data["rights"]:
            rights[path.removeprefix("data/objects/")] = data["rights"]
    parsed.rights = resolve_rights(rights)
    parsed.events = {i: Event(i, parsed.aip_id, *_event_fields(e)) for i, e in parsed.events.items()}
    if not parsed.descriptions[""]:
        del parsed.descriptions[""]
    return parsed


def _dmd_values(section) -> list[tuple[str, str]]:
    """The description values one dmdSec holds, named as the catalogue names them: an EAD component's
    archival description, the fields of no standard (``other.<name>``), or Dublin Core (``<element>``) and
    DCMI terms (``dcterms.<term>``)."""
    component = section.find(f".//{EAD}c")
    if component is not None:
        return _archival(component)
    other = section.find(f".//{OTHER_NS}metadata")
    if other is not None:
        return [(OTHER + item.get("name", ""), item.text or "") for item in other.iterfind(f"{OTHER_NS}field")]
    dublin = section.find(f".//{DCT}dublincore")
    if dublin is None:
        return []
    return [(_dc_element(child.tag), child.text or "") for child in dublin.iterchildren(tag=etree.Element)]


def _dc_element(tag: str) -> str:
    """A Dublin Core tag as a description element: ``dc:title`` is ``title``, ``dcterms:extent`` ``dcterms.extent``."""
    return DCTERMS + tag.removeprefix(DCT) if tag.startswith(DCT) else tag.removeprefix(DC)


def _described(
    dmd_ids: list[str], dmd: dict[str, list[tuple[str, str]]], header_dc: str = ""
) -> tuple[tuple[str, str], ...]:
    """A target's description from its dmdSecs, in the order ingest records it: Dublin Core and DCMI terms,
    the fields of no standard, then the archival description. ``header_dc`` is the AIP's Dublin Core dmdSec,
    whose first value (the AIP's title) and last (its identifier) the METS adds around what metadata gave."""
    values = [
        pair
        for dmd_id in dmd_ids
        for pair in (dmd.get(dmd_id, [])[1:-1] if dmd_id == header_dc else dmd.get(dmd_id, []))
    ]
    return tuple(sorted(values, key=lambda pair: pair[0].startswith(ARCHIVAL)))  # stable: each kind in order


def _archival(component) -> list[tuple[str, str]]:
    """The archival description an EAD component holds, as description values (in METS order)."""
    values = [
        (ARCHIVAL + "reference", unitid.text or "")
        for unitid in component.iterfind(f"{EAD}did/{EAD}unitid")
        if unitid.get("type") is None
    ]
    values += [(ARCHIVAL + "level", component.get("level"))] if component.get("level") else []
    values += [
        (ARCHIVAL + "parent", unitid.text or "")
        for unitid in component.iterfind(f"{EAD}did/{EAD}unitid")
        if unitid.get("type") == "parent"
    ]
    values += [
        (ARCHIVAL + "closure", restrict.get("type", "")) for restrict in component.iterfind(f"{EAD}accessrestrict")
    ]
    return values


def _event_fields(event: Event) -> tuple:
    return (
        event.type,
        event.datetime,
        event.outcome,
        event.detail,
        event.outcome_detail,
        event.file_id,
        event.agent_ids,
    )


def _walk_struct_map(div, path: list[str], dmd: dict, parsed: ParsedAip) -> None:
    if div is None:
        return
    for child in div.iterfind(f"{M}div"):
        here = [*path, child.get("LABEL", "")]
        target = "/".join(here[2:]) if here[:2] == ["data", "objects"] else None
        if target and child.get("DMDID"):
            parsed.descriptions[target] = _described(child.get("DMDID").split(), dmd)
        _walk_struct_map(child, here, dmd, parsed)


def _file_record(obj, aip_id: str, path: str, mime: str, tool: str, validation_event: Event | None) -> FileRecord:
    fixity = {
        _text(f, f"{P}messageDigestAlgorithm"): _text(f, f"{P}messageDigest") for f in obj.iterfind(f".//{P}fixity")
    }
    note = _text(obj, f".//{P}formatNote")
    basis_match = re.match(r"identification basis: ([^;]*)(?:; (.*))?$", note)
    name = _text(obj, f".//{P}formatName")
    fmt = FormatInfo(
        puid=_text(obj, f".//{P}formatRegistryKey"),
        name="" if name == "Unknown" else name,
        version=_text(obj, f".//{P}formatVersion"),
        mime_type=mime,
        basis=basis_match.group(1) if basis_match else "",
        warning=(basis_match.group(2) or "") if basis_match else "",
        tool=tool,
    )
    traits = tuple(
        (_text(p, f"{P}significantPropertiesType"), _text(p, f"{P}significantPropertiesValue"))
        for p in obj.iterfind(f"{P}significantProperties")
    )
    traits += tuple(
        ("creating application", a.text or "")
        for a in obj.iterfind(f".//{P}creatingApplication/{P}creatingApplicationName")
    )
    validation = Validation("")
    if validation_event is not None:
        validation = _validation(validation_event, traits)
    return FileRecord(
        id=_text(obj, f"{P}objectIdentifier/{P}objectIdentifierValue"),
        aip_id=aip_id,
        path=path,
        original_name=_text(obj, f"{P}originalName"),
        size=int(_text(obj, f".//{P}size") or 0),
        sha256=fixity.get("SHA-256", ""),
        sha512=fixity.get("SHA-512", ""),
        format=fmt,
        validation=validation,
        role=_role(path),
        derived_from=_text(obj, f"{P}relationship/{P}relatedObjectIdentifier/{P}relatedObjectIdentifierValue"),
    )


def _role(path: str) -> str:
    """A file's role, from where the bag keeps it: a derivative's folder names its role; what came with the
    transfer (data/metadata/, outside the METS itself) is submission documentation."""
    if path.startswith("data/derivatives/"):
        return path.split("/")[2]
    return SUBMITTED if path.startswith(("data/metadata/", "data/logs/")) else ORIGINAL


def _validation(event: Event, traits: tuple[tuple[str, str], ...]) -> Validation:
    """A file's validation from its event: the detail names the tool and the checks; the outcome detail is
    ``status[; messages joined by '; '][; characteristics as 'name: value, …']`` (ingest.premis_records)."""
    status, _, rest = event.outcome_detail.partition(";")
    rest = ";" + rest if rest else ""
    tool_text = event.detail.removeprefix("program=").split("; checks for ", 1)
    family = tool_text[1].removesuffix("this format") if len(tool_text) > 1 else ""
    pairs = [f"{name}: {value}" for name, value in traits]
    size = len(", ".join(pairs))  # the characteristics' length, in whatever order they were listed
    tail = rest[-size:] if traits else ""
    if traits and rest[:-size].endswith("; ") and all(pair in tail for pair in pairs):
        traits = tuple(sorted(traits, key=lambda pair: tail.find(f"{pair[0]}: {pair[1]}")))  # as validated
        rest = rest[: -size - 2]
    notes = rest.removeprefix("; ")
    return Validation(
        status,
        family,
        tool_text[0] if tool_text[0] != "preserve" else "",
        tuple(notes.split("; ")) if notes else (),
        traits,
    )


def _object_roots(storage: Storage) -> list[str]:
    return sorted(o.key.rsplit("/", 1)[0] for o in storage.list("") if o.key.endswith("/0=ocfl_object_1.1"))


def _event_log(storage: Storage, aip_id: str, found: _Found) -> None:
    """Add what an AIP's event log in one location holds: its events (in each document's order), their
    agents' roles and the agents."""
    for stored in storage.list(event_log_prefix(aip_id)):
        with storage.open(stored.key) as handle:
            tree = etree.parse(handle, etree.XMLParser(resolve_entities=False, no_network=True))
        document = []
        for element in tree.iterfind(f"{P}event"):
            file_id = _text(element, f"{P}linkingObjectIdentifier/{P}linkingObjectIdentifierValue")
            event = _event(element, aip_id, "" if file_id == aip_id else file_id)
            document.append(event)
            found.events[event.id] = event
            found.roles[event.id] = _roles(element)
        found.documents.append(document)
        found.agents.update((agent.id, agent) for agent in map(_agent, tree.iterfind(f"{P}agent")))


@dataclass
class _Copy:
    """One location's copy of an AIP, as storage shows it."""

    location: str
    root: str
    version: str
    inventory_sha512: str
    created: str  # the OCFL inventory's first version: when the object was made
    damaged: bool = False  # its inventory could not be read: registered from another copy, to be repaired


@dataclass
class _Found:
    """Everything storage holds about one AIP, gathered from each location holding it."""

    parsed: ParsedAip
    inventory: dict
    mets: tuple[str, str]  # (SHA-512, logical path) of the head version's METS
    stored: tuple[int, int]  # (files, bytes) the first copy read stores, every version
    copies: list[_Copy] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    roles: dict[str, Roles] = field(default_factory=dict)
    documents: list[list[Event]] = field(default_factory=list)  # the event log, document by document
    versions: dict[str, dict[str, str]] = field(default_factory=dict)  # location -> key -> VersionId


@dataclass
class RebuildReport:
    """What a rebuild found and registered."""

    aips: int = 0
    files: int = 0
    events: int = 0
    checks: int = 0  # fixity checks of copies, from the event logs
    copy_problems: list[CopyProblem] = field(default_factory=list)  # copies not read, or registered as damaged

    @property
    def problems(self) -> list[str]:
        """Each problem as the one line `preserve catalogue rebuild` prints and lists ("<location>: <root>: …")."""
        return [str(problem) for problem in self.copy_problems]


def rebuild(settings: Settings, database: Database, watcher: Progress = NO_PROGRESS) -> RebuildReport:
    """Register every AIP found in storage into an empty catalogue (``watcher``: the copies read, then the AIPs
    registered)."""
    database.upgrade()
    with database.session() as session:
        if catalogue.list_aips(session):
            raise CatalogueError(
                "the catalogue already lists AIPs; a rebuild starts from an empty one",
                hint="Move the catalogue database aside (keep it!), run `preserve init`, "
                "then `preserve catalogue rebuild`.",
            )
    found: dict[str, _Found] = {}
    report = RebuildReport()
    unread: list[tuple[Storage, str, str, str]] = []  # (storage, location, root, why) of copies not read
    for configured in settings.locations:
        storage = open_location(configured)
        watcher.stage(f"Listing the copies in {configured.name}")
        roots = _object_roots(storage)
        watcher.stage(f"Reading the copies in {configured.name}", len(roots))
        for root in roots:
            watcher.advance()
            try:
                _read_copy(storage, configured.name, root, found, report)
            except (PreservationError, etree.XMLSyntaxError, KeyError, StopIteration) as exc:
                unread.append((storage, configured.name, root, str(exc)))
    for storage, location, root, why in unread:
        _damaged_copy(storage, location, root, why, found, report)
    with database.session() as session:
        catalogue.sync_locations(session, ((loc.name, loc.backend, loc.purpose) for loc in settings.locations))
    watcher.stage("Registering the AIPs", len(found))
    for aip_id, entry in sorted(found.items()):
        watcher.advance()
        report.checks += _register(database, aip_id, entry)
        report.aips += 1
        report.files += len(entry.parsed.files)
        report.events += len(entry.events)
    return report


def _read_copy(storage: Storage, location: str, root: str, found: dict[str, _Found], report: RebuildReport) -> None:
    """Read one OCFL object: its METS (once per AIP), its inventory and the AIP's event log in this location."""
    inventory = read_inventory(storage, root)
    head = inventory["head"]
    state = inventory["versions"][head]["state"]
    mets = next(
        (
            (d, p)
            for d, paths in state.items()
            for p in paths
            if re.fullmatch(r"data/metadata/METS\.[0-9a-f-]+\.xml", p)
        ),
        None,
    )
    if mets is None:
        report.copy_problems.append(CopyProblem(root, "no METS in the head version", location=location))
        return
    aip_id = mets[1].removeprefix("data/metadata/METS.").removesuffix(".xml")
    if aip_id not in found:
        with storage.open(f"{root}/{inventory['manifest'][mets[0]][0]}") as handle:
            parsed = parse_mets(handle)
        found[aip_id] = _Found(
            parsed,
            inventory,
            mets,
            stored_totals(storage, root, inventory),
            events=dict(parsed.events),
            agents=dict(parsed.agents),
            roles=dict(parsed.roles),
        )
    entry = found[aip_id]
    first = min(inventory["versions"], key=lambda v: int(v.removeprefix("v")))
    entry.copies.append(
        _Copy(location, root, head, inventory_digest(storage, root), inventory["versions"][first].get("created", ""))
    )
    entry.versions[location] = aip_versions(storage, root, aip_id)
    _event_log(storage, aip_id, entry)


def _damaged_copy(
    storage: Storage, location: str, root: str, why: str, found: dict[str, _Found], report: RebuildReport
) -> None:
    """A copy whose inventory cannot be read is still a copy: where another location's copy of the same AIP was
    read, register it as damaged, with the inventory digest that copy has, so the next audit repairs it."""
    owner = next((aip_id for aip_id in found if object_root(f"urn:uuid:{aip_id}") == root), None)
    if owner is None:
        report.copy_problems.append(CopyProblem(root, why, location=location))
        return
    entry = found[owner]
    good = entry.copies[0]
    entry.copies.append(_Copy(location, root, good.version, good.inventory_sha512, good.created, damaged=True))
    entry.versions[location] = aip_versions(storage, root, owner)
    _event_log(storage, owner, entry)
    report.copy_problems.append(
        CopyProblem(
            root,
            f"{why}; registered as a damaged copy of AIP {owner} — `preserve audit` repairs it from the other copies",
            location=location,
        )
    )


def _replicas(aip_id: str, entry: _Found, checks: list[CheckRecord]) -> list[Replica]:
    """Each copy with its stored date (its replication event, else its OCFL object's creation) and the state
    its checks since have left it in."""
    stored = stored_dates(entry.events.values())
    replicas = [
        copy_state(
            Replica(aip_id, copy.location, copy.version, copy.root, "ok", "", "", copy.inventory_sha512),
            stored.get(copy.location, copy.created),
            checks,
        )
        for copy in entry.copies
    ]
    return [replace(r, status="damaged") if copy.damaged else r for r, copy in zip(replicas, entry.copies, strict=True)]


def _register(database: Database, aip_id: str, entry: _Found) -> int:
    """Register one AIP, its copies, events (with their agents' roles), check history and access decisions;
    return how many checks of its copies were recorded."""
    parsed, inventory, events = entry.parsed, entry.inventory, entry.events
    start = next((e for e in events.values() if e.type == "ingestion start"), None)
    transfer = aip_id
    if start is not None:
        named = re.match(r"transfer ([0-9a-f-]+)", start.detail)
        assert named is not None, f"AIP {aip_id}: its ingestion start event names no transfer"  # ingest always does
        transfer = named.group(1)
    checks = fixity_checks(entry.documents)
    replicas = _replicas(aip_id, entry, checks)
    aip = Aip(
        id=aip_id,
        title=parsed.title,
        slug=parsed.bag_name.removesuffix(f"-{aip_id}") or "aip",
        transfer_id=transfer,
        ocfl_id=inventory["id"],
        head_version=inventory["head"],
        file_count=len(parsed.files),
        total_bytes=sum(f.size for f in parsed.files),
        mets_path=entry.mets[1],
        mets_sha512=entry.mets[0],
        created_at=start.datetime if start else "",
        status=aip_status(replicas),
        counts=FileCounts.of_roles(role_totals(parsed.files), entry.stored),
    )
    in_order = sorted(events.values(), key=lambda e: (e.datetime, e.id))
    with database.session() as session:
        catalogue.register_aip(
            session,
            aip,
            sorted(parsed.files, key=lambda f: f.path),
            [],
            entry.agents.values(),
            replicas,
            parsed.descriptions,
            parsed.rights,
        )
        _record_events(session, in_order, entry.roles)
        for check in checks:
            catalogue.record_fixity_check(
                session,
                aip_id,
                check.location,
                check.kind,
                check.checked_at,
                check.files,
                check.bytes,
                check.problems,
                check.outcome,
            )
        for location_name, versions in entry.versions.items():
            if versions:
                catalogue.record_versions(session, aip_id, location_name, versions)
        _restore_decisions(session, aip_id, in_order, entry.agents)
    return len(checks)


def _record_events(session, events: list[Event], roles: dict[str, Roles]) -> None:
    """Record events with their agents in the roles the AIP gives them (grouped: the catalogue takes one role
    per agent in each call)."""
    groups: dict[Roles, list[Event]] = {}
    for event in events:
        groups.setdefault(tuple(sorted(roles.get(event.id, ()))), []).append(event)
    for pairs, group in groups.items():
        catalogue.record_events(session, group, dict(pairs))


def _restore_decisions(session, aip_id: str, events: list[Event], agents: dict[str, Agent]) -> None:
    """Archivists' access decisions, from their policy assignment events (the latest one counts)."""
    for event in events:
        decided = decision_from(event)
        if decided is not None:
            person = next((agents[a].name for a in event.agent_ids if a in agents and agents[a].type == "person"), "")
            set_decision(session, aip_id, decided[0], decided[1], person, event.datetime)
