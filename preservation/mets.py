"""The AIP's METS 1.12 document with embedded PREMIS 3, written with a streaming writer.

Memory does not grow with the number of files: the caller supplies a function that yields the
files (with their events) in path order, and it is called once per METS section that lists them.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import quote, unquote

from lxml import etree

from preservation.identifiers import name_uuid, xml_id
from preservation.model import ARCHIVAL, ROLE_BY_AGENT_TYPE, Agent, Event, FileRecord, RightsStatement
from preservation.premis import (
    PREMIS_NS,
    XSI_NS,
    XmlWriter,
    leaf,
    write_agent,
    write_event,
    write_object,
    write_rights,
)

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
EAD_NS = "urn:isbn:1-931666-22-9"  # EAD 2002, which METS names as an MDTYPE
SCHEMA_LOCATION = (
    "http://www.loc.gov/METS/ http://www.loc.gov/standards/mets/version1121/mets.xsd "
    "http://www.loc.gov/premis/v3 http://www.loc.gov/standards/premis/v3/premis.xsd"
)
OTHER_NS = "urn:preserve:other-metadata"  # metadata columns of no standard, kept as given
NSMAP = {
    "mets": METS_NS,
    "premis": PREMIS_NS,
    "xlink": XLINK_NS,
    "xsi": XSI_NS,
    "dc": DC_NS,
    "dcterms": DCTERMS_NS,
    "ead": EAD_NS,
    "other": OTHER_NS,
}
DCTERMS, OTHER = "dcterms.", "other."  # prefixes of described elements that are DCMI terms, or of no standard

_M = f"{{{METS_NS}}}"
_EAD = f"{{{EAD_NS}}}"


@dataclass(frozen=True)
class MetsHeader:
    """What the METS says about the AIP as a whole."""

    aip_id: str
    title: str
    created: str
    archive_name: str
    software: str
    bag_name: str
    # Dublin Core by target: '' the AIP, else a path under objects/ ('letters', 'letters/1.pdf')
    descriptions: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rights: tuple[RightsStatement, ...] = ()  # statements about the whole AIP
    empty_folders: tuple[str, ...] = ()  # bag paths of folders the transfer gave empty (kept by a placeholder)
    identifiers: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # objects path -> ids

    def dmd_id(self, target: str) -> str:
        """The METS ID of a target's Dublin Core dmdSec."""
        return xml_id("dmd", self.aip_id) if not target else xml_id("dmd", name_uuid(self.aip_id, target))

    def dmd_sections(self, target: str) -> dict[str, str]:
        """The METS IDs of a target's dmdSecs by kind: ``dc`` (Dublin Core and DCMI terms), ``ead`` (the
        archival description), ``other`` (columns of no standard, kept as given)."""
        values = self.descriptions.get(target, ())
        found = {}
        if not target or any(_kind(e) == "dc" for e, _ in values):
            found["dc"] = self.dmd_id(target)
        if any(_kind(e) == "ead" for e, _ in values):
            found["ead"] = xml_id("dmd-ead", name_uuid(self.aip_id, target or "."))
        if any(_kind(e) == "other" for e, _ in values):
            found["other"] = xml_id("dmd-other", name_uuid(self.aip_id, (target or ".") + ":other"))
        return found

    def dmd_ids(self, target: str) -> str:
        """The METS IDs (space-separated) of a target's dmdSecs."""
        return " ".join(self.dmd_sections(target).values())


@dataclass(frozen=True)
class MetsFile:
    """One file for the METS: its record and the events about it."""

    record: FileRecord
    events: tuple[Event, ...]
    rights: tuple[RightsStatement, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()  # the depositor's identifiers (type, value): objectIdentifiers


def write_mets(
    out: BinaryIO,
    header: MetsHeader,
    agents: Iterable[Agent],
    aip_events: Iterable[Event],
    files: Callable[[], Iterable[MetsFile]],
    records: Callable[[tuple[str, ...] | None], Iterable[FileRecord]] | None = None,
) -> None:
    """Write the whole METS document to ``out``. ``files()`` is called once, for the files' PREMIS;
    ``records(roles)`` (the same files without their events, cheaper to make, only those in ``roles``,
    or all for None; by default taken from ``files()``) once per file group and once for the structure
    map."""
    records = records or (lambda roles: (item.record for item in files() if roles is None or item.record.role in roles))
    agents = list(agents)
    roles = {agent.id: ROLE_BY_AGENT_TYPE.get(agent.type, "executing program") for agent in agents}
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        attrib = {
            "OBJID": f"urn:uuid:{header.aip_id}",
            "LABEL": header.title,
            "TYPE": "AIP",
            f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION,
        }
        with xf.element(_M + "mets", attrib, nsmap=NSMAP):
            _write_header(xf, header)
            _write_dublin_core(xf, header)
            with xf.element(_M + "amdSec", {"ID": xml_id("amd", header.aip_id)}):
                for statement in header.rights:
                    rights_id = name_uuid(header.aip_id, f"rights::{statement.source_row}")
                    _wrapped(
                        xf, "rightsMD", xml_id("rights", rights_id), "PREMIS:RIGHTS", write_rights, statement, rights_id
                    )
                for agent in agents:
                    _wrapped(xf, "digiprovMD", xml_id("agent", agent.id), "PREMIS:AGENT", write_agent, agent)
                for event in aip_events:
                    _wrapped(xf, "digiprovMD", xml_id("event", event.id), "PREMIS:EVENT", write_event, event, "", roles)
            for item in files():
                _write_file_amd(xf, item, header.software, roles)
            with xf.element(_M + "fileSec"):
                for use, roles_in_group in FILE_GROUPS:
                    group = iter(records(roles_in_group))
                    first = next(group, None)
                    if first is None:
                        continue
                    with xf.element(_M + "fileGrp", {"USE": use}):
                        for record in itertools.chain((first,), group):
                            _write_file_entry(xf, record)
            _write_struct_map(xf, header, records(None))


# METS fileGrp USE by the role of the files in it (Archivematica's names for the same groups)
FILE_GROUPS = (
    ("original", ("original",)),
    ("preservation", ("preservation",)),
    ("access", ("access",)),
    ("submissionDocumentation", ("metadata",)),
)


def _write_header(xf: XmlWriter, header: MetsHeader) -> None:
    with xf.element(_M + "metsHdr", {"CREATEDATE": header.created, "RECORDSTATUS": "complete"}):
        with xf.element(_M + "agent", {"ROLE": "CREATOR", "TYPE": "ORGANIZATION"}):
            leaf(xf, _M + "name", header.archive_name)
        with xf.element(_M + "agent", {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"}):
            leaf(xf, _M + "name", header.software)


def _write_dublin_core(xf: XmlWriter, header: MetsHeader) -> None:
    """The AIP's dmdSecs, then those of each file or folder the transfer's metadata describes: Dublin Core,
    and an EAD component for the archival description (reference code, level, parent, closure)."""
    for target in ["", *sorted(t for t in header.descriptions if t)]:
        given = header.descriptions.get(target, ())
        dublin_core = [(e, v) for e, v in given if _kind(e) == "dc"]
        if not target:  # the AIP's title first and its identifier last; between them what metadata.csv gave
            dublin_core = [("title", header.title), *dublin_core, ("identifier", f"urn:uuid:{header.aip_id}")]
        ids = header.dmd_sections(target)
        if dublin_core:
            _dmd_section(xf, ids["dc"], header.created, dublin_core)
        archival = {e.removeprefix(ARCHIVAL): v for e, v in given if is_archival(e)}
        if archival:
            _ead_section(xf, ids["ead"], header.created, archival)
        other = [(e.removeprefix(OTHER), v) for e, v in given if _kind(e) == "other"]
        if other:
            _other_section(xf, ids["other"], header.created, other)


def _dmd_section(xf: XmlWriter, section_id: str, created: str, values: Iterable[tuple[str, str]]) -> None:
    with (
        xf.element(_M + "dmdSec", {"ID": section_id, "CREATED": created}),
        xf.element(_M + "mdWrap", {"MDTYPE": "DC"}),
        xf.element(_M + "xmlData"),
        xf.element(f"{{{DCTERMS_NS}}}dublincore"),
    ):
        for element, value in values:
            name = element.removeprefix(DCTERMS)
            leaf(xf, f"{{{DCTERMS_NS}}}{name}" if name != element else f"{{{DC_NS}}}{element}", value)


def _other_section(xf: XmlWriter, section_id: str, created: str, values: list[tuple[str, str]]) -> None:
    """Columns of no standard (a CALM export's AltRefNo, say), kept as given: one field per value."""
    with (
        xf.element(_M + "dmdSec", {"ID": section_id, "CREATED": created}),
        xf.element(_M + "mdWrap", {"MDTYPE": "OTHER", "OTHERMDTYPE": "CUSTOM"}),
        xf.element(_M + "xmlData"),
        xf.element(f"{{{OTHER_NS}}}metadata"),
    ):
        for name, value in values:
            leaf(xf, f"{{{OTHER_NS}}}field", value, {"name": name})


def _kind(element: str) -> str:
    """Which dmdSec a described element goes in: dc, ead or other."""
    if is_archival(element):
        return "ead"
    return "other" if element.startswith(OTHER) else "dc"


def _ead_section(xf: XmlWriter, section_id: str, created: str, unit: dict[str, str]) -> None:
    """An EAD component: level, reference code (unitid), its parent's, and the kind of closure it falls under."""
    with (
        xf.element(_M + "dmdSec", {"ID": section_id, "CREATED": created}),
        xf.element(_M + "mdWrap", {"MDTYPE": "EAD"}),
        xf.element(_M + "xmlData"),
        xf.element(_EAD + "c", {"level": unit["level"]} if unit.get("level") else {}),
    ):
        with xf.element(_EAD + "did"):
            leaf(xf, _EAD + "unitid", unit.get("reference", ""))
            if unit.get("parent"):
                leaf(xf, _EAD + "unitid", unit["parent"], {"type": "parent"})
        if unit.get("closure"):
            with xf.element(_EAD + "accessrestrict", {"type": unit["closure"]}):
                leaf(xf, _EAD + "p", unit["closure"])


def is_archival(element: str) -> bool:
    """Whether a description element is the archival description's own (not Dublin Core)."""
    return element.startswith(ARCHIVAL)


def _wrapped(
    xf: XmlWriter, section: str, section_id: str, mdtype: str, write: Callable[..., None], *args: object
) -> None:
    with (
        xf.element(_M + section, {"ID": section_id}),
        xf.element(_M + "mdWrap", {"MDTYPE": mdtype}),
        xf.element(_M + "xmlData"),
    ):
        write(xf, *args)


def _write_file_amd(xf: XmlWriter, item: MetsFile, software: str, roles: dict[str, str]) -> None:
    record = item.record
    with xf.element(_M + "amdSec", {"ID": xml_id("amd", record.id)}):
        _wrapped(
            xf, "techMD", xml_id("techmd", record.id), "PREMIS:OBJECT", write_object, record, software, item.identifiers
        )
        for statement in item.rights:
            rights_id = name_uuid(record.id, f"rights:{statement.source_row}")
            _wrapped(
                xf,
                "rightsMD",
                xml_id("rights", rights_id),
                "PREMIS:RIGHTS",
                write_rights,
                statement,
                rights_id,
                record.id,
            )
        for event in item.events:
            _wrapped(xf, "digiprovMD", xml_id("event", event.id), "PREMIS:EVENT", write_event, event, record.id, roles)


def _write_file_entry(xf: XmlWriter, record: FileRecord) -> None:
    attrib = {
        "ID": xml_id("file", record.id),
        "ADMID": xml_id("amd", record.id),
        "SIZE": str(record.size),
        "CHECKSUM": record.sha256,
        "CHECKSUMTYPE": "SHA-256",
    }
    if record.format.mime_type:
        attrib["MIMETYPE"] = record.format.mime_type
    with xf.element(_M + "file", attrib):
        _empty(xf, "FLocat", {"LOCTYPE": "URL", f"{{{XLINK_NS}}}href": path_href(record.path)})


# A file's place in the bag as a relative URI reference (RFC 3986): a name holding '%' (the renaming
# rule writes a backslash as %5C) or a space reads back as itself in any URI-aware tool. METS written
# before this rule have LOCTYPE="OTHER" OTHERLOCTYPE="SYSTEM" and the path as it is.
HREF_SAFE = "/!$&'()*+,;=:@-._~"


def path_href(path: str) -> str:
    """A bag path as the percent-encoded relative URI written in a METS FLocat."""
    return quote(path, safe=HREF_SAFE)


def href_path(location: etree._Element) -> str:
    """The bag path a METS FLocat element names, whichever of the two forms it was written in."""
    href = location.get(f"{{{XLINK_NS}}}href", "")
    return unquote(href, errors="strict") if location.get("LOCTYPE") == "URL" else href


def _empty(xf: XmlWriter, name: str, attrib: dict[str, str]) -> None:
    with xf.element(_M + name, attrib):
        pass


def _write_struct_map(xf: XmlWriter, header: MetsHeader, records: Iterable[FileRecord]) -> None:
    """A physical structMap of the bag's folders; records arrive in path order, so folders nest with a stack."""
    with (
        xf.element(_M + "structMap", {"TYPE": "physical", "ID": xml_id("structmap", header.aip_id)}),
        xf.element(
            _M + "div",
            {
                "TYPE": "Directory",
                "LABEL": header.bag_name,
                "DMDID": header.dmd_ids(""),
                "ADMID": xml_id("amd", header.aip_id),
            },
        ),
    ):
        open_dirs: list[tuple[str, AbstractContextManager[object]]] = []  # (folder name, its element context)
        for record in _with_empty_folders(records, header.empty_folders):
            # an empty folder (a path) gets its div, with nothing in it
            folders = record.split("/") if isinstance(record, str) else record.path.split("/")[:-1]
            common = 0
            while common < min(len(open_dirs), len(folders)) and open_dirs[common][0] == folders[common]:
                common += 1
            while len(open_dirs) > common:
                open_dirs.pop()[1].__exit__(None, None, None)
            for depth, folder in enumerate(folders[common:], start=common):
                attributes = {"TYPE": "Directory", "LABEL": folder}
                target = "/".join(folders[2 : depth + 1])  # the folder's path under data/objects/
                if folders[:2] == ["data", "objects"] and depth >= 2 and target in header.descriptions:
                    attributes["DMDID"] = header.dmd_ids(target)
                context = xf.element(_M + "div", attributes)
                context.__enter__()
                open_dirs.append((folder, context))
            if isinstance(record, str):
                continue
            item = {"TYPE": "Item", "LABEL": record.path.rsplit("/", 1)[-1]}
            target = record.path.removeprefix("data/objects/")
            if target in header.descriptions:
                item["DMDID"] = header.dmd_ids(target)
            with xf.element(_M + "div", item):
                _empty(xf, "fptr", {"FILEID": xml_id("file", record.id)})
        while open_dirs:
            open_dirs.pop()[1].__exit__(None, None, None)


def _with_empty_folders(records: Iterable[FileRecord], empty: tuple[str, ...]) -> Iterable[FileRecord | str]:
    """The records and the empty folders (as their paths) in one path order, so the folder stack nests them."""
    return heapq.merge(records, sorted(empty), key=lambda entry: entry if isinstance(entry, str) else entry.path)
