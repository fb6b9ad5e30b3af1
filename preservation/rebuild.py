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

from lxml import etree

from preservation.access_status import decision_from
from preservation.catalogue import Database
from preservation.catalogue import queries as catalogue
from preservation.catalogue.units import set_decision
from preservation.config import Settings
from preservation.errors import CatalogueError, PreservationError
from preservation.event_log import aip_versions, event_log_prefix
from preservation.model import (
    ARCHIVAL,
    FORENSIC_FEATURE_ANALYSIS,
    ORIGINAL,
    PENDING_REVIEW,
    Agent,
    Aip,
    Event,
    FileRecord,
    FormatInfo,
    Replica,
    RightsStatement,
    Validation,
)
from storage import Storage, open_location
from storage.ocfl import inventory_digest, read_inventory

M = "{http://www.loc.gov/METS/}"
P = "{http://www.loc.gov/premis/v3}"
DC = "{http://purl.org/dc/elements/1.1/}"
EAD = "{urn:isbn:1-931666-22-9}"
XLINK = "{http://www.w3.org/1999/xlink}"
STATUS_BACK = {"publicdomain": "public domain"}


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
    rights: dict[str, list[RightsStatement]] = field(default_factory=dict)


def _text(element, path: str) -> str:
    return element.findtext(path, default="") or ""


def _event(element, aip_id: str, file_id: str) -> Event:
    return Event(
        id=_text(element, f"{P}eventIdentifier/{P}eventIdentifierValue"), aip_id=aip_id,
        type=_text(element, f"{P}eventType"), datetime=_text(element, f"{P}eventDateTime"),
        outcome=_text(element, f"{P}eventOutcomeInformation/{P}eventOutcome"),
        detail=_text(element, f"{P}eventDetailInformation/{P}eventDetail"),
        outcome_detail=_text(element, f"{P}eventOutcomeInformation/{P}eventOutcomeDetail/{P}eventOutcomeDetailNote"),
        file_id=file_id,
        agent_ids=tuple(a.text or "" for a in
                        element.iterfind(f"{P}linkingAgentIdentifier/{P}linkingAgentIdentifierValue")),
    )


def _agent(element) -> Agent:
    return Agent(_text(element, f"{P}agentIdentifier/{P}agentIdentifierValue"), _text(element, f"{P}agentType"),
                 _text(element, f"{P}agentName"), _text(element, f"{P}agentVersion"), _text(element, f"{P}agentNote"))


def _rights(element) -> RightsStatement:
    basis = _text(element, f"{P}rightsBasis")
    info = {"Copyright": "copyright", "License": "license", "Statute": "statute"}.get(basis, "otherRights")
    block = element.find(f"{P}{info}Information")
    dates = block.find(f"{P}{info}ApplicableDates") if block is not None else None
    grant = element.find(f"{P}rightsGranted")
    note = {"copyright": "copyrightNote", "license": "licenseTerms", "statute": "statuteCitation",
            "otherRights": "otherRightsNote"}[info]
    determination = {"copyright": "copyrightStatusDeterminationDate",
                     "statute": "statuteInformationDeterminationDate"}.get(info, "")
    jurisdiction = {"copyright": "copyrightJurisdiction", "statute": "statuteJurisdiction"}.get(info, "")
    status = _text(block, f"{P}copyrightStatus") if info == "copyright" and block is not None else ""
    return RightsStatement(
        basis=basis, status=STATUS_BACK.get(status, status),
        jurisdiction=_text(block, f"{P}{jurisdiction}") if jurisdiction and block is not None else "",
        determination_date=_text(block, f"{P}{determination}") if determination and block is not None else "",
        start_date=_text(dates, f"{P}startDate") if dates is not None else "",
        end_date=_text(dates, f"{P}endDate") if dates is not None else "",
        note=_text(block, f"{P}{note}") if block is not None else "",
        act=_text(grant, f"{P}act") if grant is not None else "",
        restriction=_text(grant, f"{P}restriction") if grant is not None else "",
        grant_start_date=_text(grant, f"{P}termOfGrant/{P}startDate") if grant is not None else "",
        grant_end_date=_text(grant, f"{P}termOfGrant/{P}endDate") if grant is not None else "",
        grant_note=_text(grant, f"{P}rightsGrantedNote") if grant is not None else "",
    )


def parse_mets(stream) -> ParsedAip:
    """Read a METS written by preserve (streamed: sections are cleared once read)."""
    parsed = ParsedAip()
    dmd: dict[str, list[tuple[str, str]]] = {}
    objects: dict[str, dict] = {}
    file_entries: dict[str, tuple[str, str]] = {}  # file id -> (path, MIME type)
    validation_events: dict[str, Event] = {}
    identification_tools: dict[str, str] = {}
    scans: dict[str, Event] = {}  # the personal-data scan of each file
    for _, element in etree.iterparse(stream, events=("end",), tag=(f"{M}mets", f"{M}dmdSec", f"{M}amdSec",
                                                                     f"{M}file", f"{M}structMap")):
        tag = element.tag
        if tag == f"{M}dmdSec":
            dublin = element.find(".//{http://purl.org/dc/terms/}dublincore")
            component = element.find(f".//{EAD}c")
            if component is not None:
                dmd[element.get("ID", "")] = _archival(component)
            else:
                dmd[element.get("ID", "")] = [(child.tag.removeprefix(DC), child.text or "") for child in dublin] \
                    if dublin is not None else []
        elif tag == f"{M}amdSec":
            section = element.get("ID", "").removeprefix("amd-")
            obj = element.find(f"{M}techMD//{P}object")
            file_id = _text(obj, f"{P}objectIdentifier/{P}objectIdentifierValue") if obj is not None else ""
            for agent in element.iterfind(f".//{P}agent"):
                parsed.agents[_text(agent, f"{P}agentIdentifier/{P}agentIdentifierValue")] = _agent(agent)
            for event_element in element.iterfind(f".//{P}event"):
                event = _event(event_element, "", file_id)
                parsed.events[event.id] = event
                if event.type == "validation":
                    validation_events[file_id] = event
                elif event.type == "format identification":
                    identification_tools[file_id] = event.detail.removeprefix("program=")
                elif event.type == FORENSIC_FEATURE_ANALYSIS:
                    scans[file_id] = event
            statements = [_rights(r) for r in element.iterfind(f".//{P}rightsStatement")]
            if obj is None:
                parsed.aip_id = parsed.aip_id or section
                if statements:
                    parsed.rights[""] = statements
            else:
                objects[file_id] = {"element": etree.tostring(obj), "rights": statements}
            element.clear()
        elif tag == f"{M}file":
            location = element.find(f"{M}FLocat")
            file_entries[element.get("ID", "").removeprefix("file-")] = (
                location.get(f"{XLINK}href", "") if location is not None else "", element.get("MIMETYPE", ""))
        elif tag == f"{M}structMap":
            root_div = element.find(f"{M}div")
            parsed.bag_name = root_div.get("LABEL", "") if root_div is not None else ""
            _walk_struct_map(root_div, [], dmd, parsed)
            root_ids = (root_div.get("DMDID", "") if root_div is not None else "").split()
            parsed.descriptions[""] = tuple(
                pair for dmd_id in root_ids
                for pair in (dmd.get(dmd_id, [])[1:-1] if dmd_id == f"dmd-{parsed.aip_id}" else dmd.get(dmd_id, [])))
        elif tag == f"{M}mets":
            parsed.aip_id = element.get("OBJID", "").removeprefix("urn:uuid:")
            parsed.title = element.get("LABEL", "")
    for file_id, data in objects.items():
        obj = etree.fromstring(data["element"])
        path, mime = file_entries.get(file_id, ("", ""))
        record = _file_record(obj, parsed.aip_id, path, mime, identification_tools.get(file_id, ""),
                              validation_events.get(file_id))
        if file_id in scans:
            found, marker, _ = scans[file_id].outcome_detail.partition(f"; {PENDING_REVIEW}")
            record = replace(record, personal_data=found, review=PENDING_REVIEW if marker else "")
        parsed.files.append(record)
        if data["rights"]:
            parsed.rights[path.removeprefix("data/objects/")] = data["rights"]
    parsed.events = {i: Event(i, parsed.aip_id, *_event_fields(e)) for i, e in parsed.events.items()}
    if not parsed.descriptions[""]:
        del parsed.descriptions[""]
    return parsed


def _archival(component) -> list[tuple[str, str]]:
    """The archival description an EAD component holds, as description values (in METS order)."""
    values = [(ARCHIVAL + "reference", unitid.text or "") for unitid in component.iterfind(f"{EAD}did/{EAD}unitid")
              if unitid.get("type") is None]
    values += [(ARCHIVAL + "level", component.get("level"))] if component.get("level") else []
    values += [(ARCHIVAL + "parent", unitid.text or "") for unitid in component.iterfind(f"{EAD}did/{EAD}unitid")
               if unitid.get("type") == "parent"]
    values += [(ARCHIVAL + "closure", restrict.get("type", ""))
               for restrict in component.iterfind(f"{EAD}accessrestrict")]
    return values


def _event_fields(event: Event) -> tuple:
    return (event.type, event.datetime, event.outcome, event.detail, event.outcome_detail, event.file_id,
            event.agent_ids)


def _walk_struct_map(div, path: list[str], dmd: dict, parsed: ParsedAip) -> None:
    if div is None:
        return
    for child in div.iterfind(f"{M}div"):
        here = [*path, child.get("LABEL", "")]
        target = "/".join(here[2:]) if here[:2] == ["data", "objects"] else None
        if target and child.get("DMDID"):
            parsed.descriptions[target] = tuple(pair for dmd_id in child.get("DMDID").split()
                                                for pair in dmd.get(dmd_id, []))
        _walk_struct_map(child, here, dmd, parsed)


def _file_record(obj, aip_id: str, path: str, mime: str, tool: str, validation_event: Event | None) -> FileRecord:
    fixity = {_text(f, f"{P}messageDigestAlgorithm"): _text(f, f"{P}messageDigest")
              for f in obj.iterfind(f".//{P}fixity")}
    note = _text(obj, f".//{P}formatNote")
    basis_match = re.match(r"identification basis: ([^;]*)(?:; (.*))?$", note)
    name = _text(obj, f".//{P}formatName")
    fmt = FormatInfo(
        puid=_text(obj, f".//{P}formatRegistryKey"), name="" if name == "Unknown" else name,
        version=_text(obj, f".//{P}formatVersion"), mime_type=mime,
        basis=basis_match.group(1) if basis_match else "", warning=(basis_match.group(2) or "") if basis_match else "",
        tool=tool,
    )
    traits = tuple((_text(p, f"{P}significantPropertiesType"), _text(p, f"{P}significantPropertiesValue"))
                   for p in obj.iterfind(f"{P}significantProperties"))
    traits += tuple(("creating application", a.text or "")
                    for a in obj.iterfind(f".//{P}creatingApplication/{P}creatingApplicationName"))
    validation = Validation("")
    if validation_event is not None:
        status = validation_event.outcome_detail.split(";", 1)[0]
        tool_text = validation_event.detail.removeprefix("program=").split("; checks for ", 1)
        family = tool_text[1].removesuffix("this format") if len(tool_text) > 1 else ""
        validation = Validation(status, family, tool_text[0] if tool_text[0] != "preserve" else "", (), traits)
    derived = path.startswith("data/derivatives/")
    return FileRecord(
        id=_text(obj, f"{P}objectIdentifier/{P}objectIdentifierValue"), aip_id=aip_id, path=path,
        original_name=_text(obj, f"{P}originalName"), size=int(_text(obj, f".//{P}size") or 0),
        sha256=fixity.get("SHA-256", ""), sha512=fixity.get("SHA-512", ""), format=fmt, validation=validation,
        role=path.split("/")[2] if derived else ORIGINAL,
        derived_from=_text(obj, f"{P}relationship/{P}relatedObjectIdentifier/{P}relatedObjectIdentifierValue"),
    )


def _object_roots(storage: Storage) -> list[str]:
    return sorted(o.key.rsplit("/", 1)[0] for o in storage.list("") if o.key.endswith("/0=ocfl_object_1.1"))


def _event_log(storage: Storage, aip_id: str) -> tuple[list[Event], list[Agent]]:
    events, agents = [], []
    for stored in storage.list(event_log_prefix(aip_id)):
        with storage.open(stored.key) as handle:
            tree = etree.parse(handle, etree.XMLParser(resolve_entities=False, no_network=True))
        for element in tree.iterfind(f"{P}event"):
            file_id = _text(element, f"{P}linkingObjectIdentifier/{P}linkingObjectIdentifierValue")
            events.append(_event(element, aip_id, "" if file_id == aip_id else file_id))
        agents.extend(_agent(a) for a in tree.iterfind(f"{P}agent"))
    return events, agents


@dataclass
class RebuildReport:
    """What a rebuild found and registered."""

    aips: int = 0
    files: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


def rebuild(settings: Settings, database: Database) -> RebuildReport:
    """Register every AIP found in storage into an empty catalogue."""
    database.upgrade()
    with database.session() as session:
        if catalogue.list_aips(session):
            raise CatalogueError("the catalogue already lists AIPs; a rebuild starts from an empty one",
                                 hint="Move the catalogue database aside (keep it!), run `preserve init`, "
                                      "then `preserve catalogue rebuild`.")
    found: dict[str, tuple[ParsedAip, dict, list[Replica], dict[str, Event], dict[str, Agent]]] = {}
    report = RebuildReport()
    for location in settings.locations:
        storage = open_location(location)
        for root in _object_roots(storage):
            try:
                inventory = read_inventory(storage, root)
                head = inventory["head"]
                state = inventory["versions"][head]["state"]
                manifest = inventory["manifest"]
                mets = next(((d, p) for d, paths in state.items() for p in paths
                             if re.fullmatch(r"data/metadata/METS\.[0-9a-f-]+\.xml", p)), None)
                if mets is None:
                    report.problems.append(f"{location.name}: {root}: no METS in the head version")
                    continue
                aip_id = mets[1].removeprefix("data/metadata/METS.").removesuffix(".xml")
                if aip_id not in found:
                    with storage.open(f"{root}/{manifest[mets[0]][0]}") as handle:
                        parsed = parse_mets(handle)
                    found[aip_id] = (parsed, {"inventory": inventory, "mets": mets}, [], dict(parsed.events),
                                     dict(parsed.agents))
                entry = found[aip_id]
                entry[2].append(Replica(aip_id, location.name, head, root, "ok", "", "",
                                         inventory_digest(storage, root)))
                entry[1].setdefault("versions", {})[location.name] = aip_versions(storage, root, aip_id)
                log_events, log_agents = _event_log(storage, aip_id)
                entry[3].update({e.id: e for e in log_events})
                entry[4].update({a.id: a for a in log_agents})
            except (PreservationError, etree.XMLSyntaxError, KeyError, StopIteration) as exc:
                report.problems.append(f"{location.name}: {root}: {exc}")
    with database.session() as session:
        catalogue.sync_locations(session, ((loc.name, loc.backend, loc.purpose) for loc in settings.locations))
    for aip_id, (parsed, meta, replicas, events, agents) in sorted(found.items()):
        start = next((e for e in events.values() if e.type == "ingestion start"), None)
        transfer = re.match(r"transfer ([0-9a-f-]+)", start.detail).group(1) if start else aip_id
        inventory = meta["inventory"]
        aip = Aip(
            id=aip_id, title=parsed.title, slug=parsed.bag_name.removesuffix(f"-{aip_id}") or "aip",
            transfer_id=transfer, ocfl_id=inventory["id"], head_version=inventory["head"],
            file_count=len(parsed.files), total_bytes=sum(f.size for f in parsed.files),
            mets_path=meta["mets"][1], mets_sha512=meta["mets"][0], created_at=start.datetime if start else "",
        )
        with database.session() as session:
            catalogue.register_aip(session, aip, sorted(parsed.files, key=lambda f: f.path),
                                   sorted(events.values(), key=lambda e: (e.datetime, e.id)), agents.values(),
                                   replicas, parsed.descriptions, parsed.rights)
            for location_name, versions in meta.get("versions", {}).items():
                if versions:
                    catalogue.record_versions(session, aip_id, location_name, versions)
            for event in sorted(events.values(), key=lambda e: (e.datetime, e.id)):  # archivists' access decisions
                decided = decision_from(event)
                if decided is not None:
                    person = next((agents[a].name for a in event.agent_ids if a in agents
                                   and agents[a].type == "person"), "")
                    set_decision(session, aip_id, decided[0], decided[1], person, event.datetime)
        report.aips += 1
        report.files += len(parsed.files)
        report.events += len(events)
    return report
