"""PREMIS 3 objects, events and agents, written straight into a streaming lxml ``xmlfile``.

Everything is written through ``xf.element`` contexts rather than pre-built trees, so the
``premis`` and ``xsi`` prefixes declared once on the METS root are reused, not redeclared.
"""

from __future__ import annotations

from preservation.model import Agent, Event, FileRecord, RightsStatement

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
PREMIS_VERSION = "3.0"
EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"
AGENT_ROLE = "executing program"
UUID_TYPE = "UUID"
SIGNATURE_BASES = ("signature", "container", "text")
CREATING_APPLICATION = "creating application"  # written as premis:creatingApplication

_P = f"{{{PREMIS_NS}}}"


def leaf(xf, tag: str, value: str, attrib: dict | None = None) -> None:
    """Write ``<tag>value</tag>`` (``tag`` in Clark notation) at the current position."""
    with xf.element(tag, attrib or {}):
        xf.write(value)


def _p(xf, name: str, value: str, attrib: dict | None = None) -> None:
    leaf(xf, _P + name, value, attrib)


def _identifier(xf, kind: str, value: str) -> None:
    with xf.element(_P + f"{kind}Identifier"):
        _p(xf, f"{kind}IdentifierType", UUID_TYPE)
        _p(xf, f"{kind}IdentifierValue", value)


def write_object(xf, record: FileRecord, digest_originator: str) -> None:
    """A PREMIS ``object`` (xsi:type file): identifier, fixity, size, format, original name."""
    with xf.element(_P + "object", {f"{{{XSI_NS}}}type": "premis:file", "version": PREMIS_VERSION}):
        _identifier(xf, "object", record.id)
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


def _write_format(xf, record: FileRecord) -> None:
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


def write_entity(xf, aip_id: str) -> None:
    """The AIP as a PREMIS intellectual entity (identifier only): what an event log is about."""
    with xf.element(_P + "object", {f"{{{XSI_NS}}}type": "premis:intellectualEntity", "version": PREMIS_VERSION}):
        _identifier(xf, "object", aip_id)


def write_event(xf, event: Event, object_id: str = "", roles: dict[str, str] | None = None) -> None:
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


def write_agent(xf, agent: Agent) -> None:
    """A PREMIS ``agent``: identifier, name, type, version and note."""
    with xf.element(_P + "agent", {"version": PREMIS_VERSION}):
        _identifier(xf, "agent", agent.id)
        _p(xf, "agentName", agent.name)
        _p(xf, "agentType", agent.type)
        if agent.version:
            _p(xf, "agentVersion", agent.version)
        if agent.note:
            _p(xf, "agentNote", agent.note)


COPYRIGHT_STATUS = {"copyrighted": "copyrighted", "public domain": "publicdomain", "unknown": "unknown"}


def _dates(xf, element: str, start: str, end: str) -> None:
    if not start:
        return
    with xf.element(_P + element):
        _p(xf, "startDate", start)
        if end:
            _p(xf, "endDate", end)  # "open" for no end, as rights.csv has it


def write_rights(xf, statement: RightsStatement, statement_id: str, object_id: str = "") -> None:
    """A PREMIS ``rightsStatement``: its basis (copyright, licence, statute or other) and what it grants."""
    with xf.element(_P + "rightsStatement"):
        _identifier(xf, "rightsStatement", statement_id)
        _p(xf, "rightsBasis", statement.basis)
        if statement.basis == "Copyright":
            with xf.element(_P + "copyrightInformation"):
                _p(xf, "copyrightStatus", COPYRIGHT_STATUS.get(statement.status, "unknown"))
                _p(xf, "copyrightJurisdiction", statement.jurisdiction)
                if statement.determination_date:
                    _p(xf, "copyrightStatusDeterminationDate", statement.determination_date)
                if statement.note:
                    _p(xf, "copyrightNote", statement.note)
                _dates(xf, "copyrightApplicableDates", statement.start_date, statement.end_date)
        elif statement.basis == "License":
            with xf.element(_P + "licenseInformation"):
                if statement.note:
                    _p(xf, "licenseTerms", statement.note)
                _dates(xf, "licenseApplicableDates", statement.start_date, statement.end_date)
        elif statement.basis == "Statute":
            with xf.element(_P + "statuteInformation"):
                _p(xf, "statuteJurisdiction", statement.jurisdiction)
                _p(xf, "statuteCitation", statement.note)
                if statement.determination_date:
                    _p(xf, "statuteInformationDeterminationDate", statement.determination_date)
                _dates(xf, "statuteApplicableDates", statement.start_date, statement.end_date)
        else:
            with xf.element(_P + "otherRightsInformation"):
                _p(xf, "otherRightsBasis", statement.basis)
                _dates(xf, "otherRightsApplicableDates", statement.start_date, statement.end_date)
                if statement.note:
                    _p(xf, "otherRightsNote", statement.note)
        if statement.act:
            with xf.element(_P + "rightsGranted"):
                _p(xf, "act", statement.act)
                _p(xf, "restriction", statement.restriction)
                _dates(xf, "termOfGrant", statement.grant_start_date, statement.grant_end_date)
                if statement.grant_note:
                    _p(xf, "rightsGrantedNote", statement.grant_note)
        if object_id:
            with xf.element(_P + "linkingObjectIdentifier"):
                _p(xf, "linkingObjectIdentifierType", UUID_TYPE)
                _p(xf, "linkingObjectIdentifierValue", object_id)
