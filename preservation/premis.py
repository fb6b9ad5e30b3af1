"""PREMIS 3 objects, events and agents, written straight into a streaming lxml ``xmlfile``.

Everything is written through ``xf.element`` contexts rather than pre-built trees, so the
``premis`` and ``xsi`` prefixes declared once on the METS root are reused, not redeclared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Protocol

from preservation.model import Agent, Event, FileRecord, RightsStatement

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_VERSION = "3.0"
EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"
AGENT_ROLE = "executing program"
UUID_TYPE = "UUID"
SIGNATURE_BASES = ("signature", "container", "text")
CREATING_APPLICATION = "creating application"  # written as premis:creatingApplication


class XmlWriter(Protocol):
    """What PREMIS and METS are written with: lxml's incremental writer (``etree.xmlfile``; lxml has no type hints)."""

    def element(
        self, tag: str, attrib: Mapping[str, str] | None = None, nsmap: Mapping[str | None, str] | None = None
    ) -> AbstractContextManager[object]:
        """Open an element (``tag`` in Clark notation) at the current position; it closes with the context."""
        ...

    def write(self, *content: str) -> None:
        """Write text (escaped) at the current position."""
        ...


_P = f"{{{PREMIS_NS}}}"


def leaf(xf: XmlWriter, tag: str, value: str, attrib: Mapping[str, str] | None = None) -> None:
    """Write ``<tag>value</tag>`` (``tag`` in Clark notation) at the current position."""
    with xf.element(tag, attrib or {}):
        xf.write(value)


def _p(xf: XmlWriter, name: str, value: str, attrib: Mapping[str, str] | None = None) -> None:
    leaf(xf, _P + name, value, attrib)


def _identifier(xf: XmlWriter, kind: str, value: str) -> None:
    with xf.element(_P + f"{kind}Identifier"):
        _p(xf, f"{kind}IdentifierType", UUID_TYPE)
        _p(xf, f"{kind}IdentifierValue", value)


def write_object(
    xf: XmlWriter, record: FileRecord, digest_originator: str, identifiers: Iterable[tuple[str, str]] = ()
) -> None:
    """A PREMIS ``object`` (xsi:type file): identifiers (the UUID, then any the depositor gave as
    (type, value)), fixity, size, format, original name."""
    with xf.element(_P + "object", {f"{{{XSI_NS}}}type": "premis:file", "version": PREMIS_VERSION}):
        _identifier(xf, "object", record.id)
        _other_identifiers(xf, identifiers)
        for name, value in record.validation.characteristics:
            if name == CREATING_APPLICATION:
                continue
            with xf.element(_P + "significantProperties"):
                _p(xf, "significantPropertiesType", name)
                _p(xf, "significantPropertiesValue", value)
        with xf.element(_P + "objectCharacteristics"):
            _p(xf, "compositionLevel", "0")
            for algorithm, digest in (("SHA-256", record.sha256), ("SHA-512", record.sha512)):
                with xf.element(_P + "fixity"):
                    _p(xf, "messageDigestAlgorithm", algorithm)
                    _p(xf, "messageDigest", digest)
                    _p(xf, "messageDigestOriginator", digest_originator)
            _p(xf, "size", str(record.size))
            _write_format(xf, record)
            for name, value in record.validation.characteristics:
                if name == CREATING_APPLICATION:
                    with xf.element(_P + "creatingApplication"):
                        _p(xf, "creatingApplicationName", value)
        _p(xf, "originalName", record.original_name)
        if record.derived_from:
            with xf.element(_P + "relationship"):
                _p(xf, "relationshipType", "derivation")
                _p(xf, "relationshipSubType", "has source")
                with xf.element(_P + "relatedObjectIdentifier"):
                    _p(xf, "relatedObjectIdentifierType", UUID_TYPE)
                    _p(xf, "relatedObjectIdentifierValue", record.derived_from)


def _write_format(xf: XmlWriter, record: FileRecord) -> None:
    fmt = record.format
    with xf.element(_P + "format"):
        with xf.element(_P + "formatDesignation"):
            _p(xf, "formatName", fmt.name or "Unknown")
            if fmt.version:
                _p(xf, "formatVersion", fmt.version)
        if fmt.puid:
            with xf.element(_P + "formatRegistry"):
                _p(xf, "formatRegistryName", "PRONOM")
                _p(xf, "formatRegistryKey", fmt.puid)
                _p(xf, "formatRegistryRole", "identification" if fmt.basis in SIGNATURE_BASES else "tentative")
        if fmt.basis or fmt.warning:
            _p(xf, "formatNote", f"identification basis: {fmt.basis}" + (f"; {fmt.warning}" if fmt.warning else ""))


def _other_identifiers(xf: XmlWriter, identifiers: Iterable[tuple[str, str]]) -> None:
    for kind, value in identifiers:
        with xf.element(_P + "objectIdentifier"):
            _p(xf, "objectIdentifierType", kind)
            _p(xf, "objectIdentifierValue", value)


def write_entity(xf: XmlWriter, aip_id: str, identifiers: Iterable[tuple[str, str]] = ()) -> None:
    """The AIP (or a folder) as a PREMIS intellectual entity: its UUID, then any identifiers the depositor
    gave as (type, value)."""
    with xf.element(_P + "object", {f"{{{XSI_NS}}}type": "premis:intellectualEntity", "version": PREMIS_VERSION}):
        _identifier(xf, "object", aip_id)
        _other_identifiers(xf, identifiers)


def write_event(xf: XmlWriter, event: Event, object_id: str = "", roles: dict[str, str] | None = None) -> None:
    """A PREMIS ``event`` with its outcome, agents (in their roles) and, for file events, the object."""
    with xf.element(_P + "event", {"version": PREMIS_VERSION}):
        _identifier(xf, "event", event.id)
        _p(xf, "eventType", event.type, {"authority": "eventType", "authorityURI": EVENT_TYPE_AUTHORITY})
        _p(xf, "eventDateTime", event.datetime)
        if event.detail:
            with xf.element(_P + "eventDetailInformation"):
                _p(xf, "eventDetail", event.detail)
        with xf.element(_P + "eventOutcomeInformation"):
            _p(xf, "eventOutcome", event.outcome)
            if event.outcome_detail:
                with xf.element(_P + "eventOutcomeDetail"):
                    _p(xf, "eventOutcomeDetailNote", event.outcome_detail)
        for agent_id in event.agent_ids:
            with xf.element(_P + "linkingAgentIdentifier"):
                _p(xf, "linkingAgentIdentifierType", UUID_TYPE)
                _p(xf, "linkingAgentIdentifierValue", agent_id)
                _p(xf, "linkingAgentRole", (roles or {}).get(agent_id, AGENT_ROLE))
        if object_id:
            with xf.element(_P + "linkingObjectIdentifier"):
                _p(xf, "linkingObjectIdentifierType", UUID_TYPE)
                _p(xf, "linkingObjectIdentifierValue", object_id)


def write_agent(xf: XmlWriter, agent: Agent) -> None:
    """A PREMIS ``agent``: identifier, name, type, version and note."""
    with xf.element(_P + "agent", {"version": PREMIS_VERSION}):
        _identifier(xf, "agent", agent.id)
        _p(xf, "agentName", agent.name)
        _p(xf, "agentType", agent.type)
        if agent.version:
            _p(xf, "agentVersion", agent.version)
        if agent.note:
            _p(xf, "agentNote", agent.note)


COPYRIGHT_STATUS = {
    "copyrighted": "copyrighted",
    "public domain": "publicdomain",
    "publicdomain": "publicdomain",
    "unknown": "unknown",
}
OPEN_START = ".."  # EDTF's open (unknown) start, for applicable dates given with an end only


def _dates(xf: XmlWriter, element: str, start: str, end: str) -> None:
    if not start and not end:
        return
    with xf.element(_P + element):
        _p(xf, "startDate", start or OPEN_START)
        if end:
            _p(xf, "endDate", end)  # "open" for no end, as rights.csv has it


def _documentation(xf: XmlWriter, kind: str, statement: RightsStatement) -> None:
    if not (statement.doc_id_type or statement.doc_id_value or statement.doc_id_role):
        return
    with xf.element(_P + f"{kind}DocumentationIdentifier"):
        _p(xf, f"{kind}DocumentationIdentifierType", statement.doc_id_type)
        _p(xf, f"{kind}DocumentationIdentifierValue", statement.doc_id_value)
        if statement.doc_id_role:
            _p(xf, f"{kind}DocumentationRole", statement.doc_id_role)


def rights_notes(statement: RightsStatement, note_taken: bool = False) -> list[str]:
    """The notes a statement's basis block carries: its note (unless used as terms or citation), then every
    column the reader did not know, as ``column: value``."""
    notes = [statement.note] if statement.note and not note_taken else []
    return notes + [f"{column}: {value}" for column, value in statement.extra]


def _notes(xf: XmlWriter, kind: str, notes: list[str]) -> None:
    for note in notes:
        _p(xf, f"{kind}Note", note)


def _copyright(xf: XmlWriter, statement: RightsStatement) -> None:
    with xf.element(_P + "copyrightInformation"):
        status = statement.status.strip()
        _p(xf, "copyrightStatus", COPYRIGHT_STATUS.get(status.lower(), status) if status else "unknown")
        _p(xf, "copyrightJurisdiction", statement.jurisdiction)
        if statement.determination_date:
            _p(xf, "copyrightStatusDeterminationDate", statement.determination_date)
        _notes(xf, "copyright", rights_notes(statement))
        _documentation(xf, "copyright", statement)
        _dates(xf, "copyrightApplicableDates", statement.start_date, statement.end_date)


def _license(xf: XmlWriter, statement: RightsStatement) -> None:
    terms = statement.terms or statement.note  # older sheets gave a licence's terms in the note column
    notes = rights_notes(statement, note_taken=not statement.terms)
    has_ids = bool(statement.doc_id_type or statement.doc_id_value or statement.doc_id_role)
    if not (terms or notes or has_ids or statement.start_date or statement.end_date):
        return  # licenseInformation may not be empty
    with xf.element(_P + "licenseInformation"):
        _documentation(xf, "license", statement)
        if terms:
            _p(xf, "licenseTerms", terms)
        _notes(xf, "license", notes)
        _dates(xf, "licenseApplicableDates", statement.start_date, statement.end_date)


def _statute(xf: XmlWriter, statement: RightsStatement) -> None:
    with xf.element(_P + "statuteInformation"):
        _p(xf, "statuteJurisdiction", statement.jurisdiction)
        _p(xf, "statuteCitation", statement.citation or statement.note)  # older sheets: the note is the citation
        if statement.determination_date:
            _p(xf, "statuteInformationDeterminationDate", statement.determination_date)
        _notes(xf, "statute", rights_notes(statement, note_taken=not statement.citation))
        _documentation(xf, "statute", statement)
        _dates(xf, "statuteApplicableDates", statement.start_date, statement.end_date)


def _other(xf: XmlWriter, statement: RightsStatement) -> None:
    with xf.element(_P + "otherRightsInformation"):
        _documentation(xf, "otherRights", statement)
        _p(xf, "otherRightsBasis", statement.basis)
        _dates(xf, "otherRightsApplicableDates", statement.start_date, statement.end_date)
        _notes(xf, "otherRights", rights_notes(statement))


BASIS_WRITERS = {"Copyright": _copyright, "License": _license, "Statute": _statute}


def write_rights(xf: XmlWriter, statement: RightsStatement, statement_id: str, object_id: str = "") -> None:
    """A PREMIS ``rightsStatement``: its basis (copyright, licence, statute or other, with documentation
    identifier and notes; unknown columns as notes) and what it grants."""
    with xf.element(_P + "rightsStatement"):
        _identifier(xf, "rightsStatement", statement_id)
        _p(xf, "rightsBasis", statement.basis)
        BASIS_WRITERS.get(statement.basis, _other)(xf, statement)
        if statement.act:
            with xf.element(_P + "rightsGranted"):
                _p(xf, "act", statement.act)
                if statement.restriction:
                    _p(xf, "restriction", statement.restriction)
                _dates(xf, "termOfGrant", statement.grant_start_date, statement.grant_end_date)
                if statement.grant_note:
                    _p(xf, "rightsGrantedNote", statement.grant_note)
        if object_id:
            with xf.element(_P + "linkingObjectIdentifier"):
                _p(xf, "linkingObjectIdentifierType", UUID_TYPE)
                _p(xf, "linkingObjectIdentifierValue", object_id)
