"""Events after ingest, kept in storage beside the AIP as small immutable PREMIS documents.

The AIP is the truth and the catalogue an index of it: events that happen after its METS was
written (the end of ingest, fixity checks, later repairs and access decisions) are written to
each location holding the AIP as a new document per batch — never appended to, since object
stores cannot append and locked objects cannot change — under the OCFL storage root's extension
folder: ``extensions/preserve-event-log/<aip uuid>/<UTC time>-<batch uuid>.xml``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from lxml import etree

from preservation.identifiers import new_uuid, utc_now
from preservation.model import ROLE_BY_AGENT_TYPE, Agent, Event
from preservation.premis import PREMIS_NS, PREMIS_VERSION, XSI_NS, write_agent, write_entity, write_event
from storage.base import Storage, StoredObject

FOLDER = "extensions/preserve-event-log"


def event_log_prefix(aip_id: str) -> str:
    """The key prefix of an AIP's event log documents."""
    return f"{FOLDER}/{aip_id}/"


def render_event_log(aip_id: str, events: Iterable[Event], agents: Iterable[Agent]) -> bytes:
    """A PREMIS document: the AIP (as an intellectual entity), the events and the agents they name."""
    agents = list(agents)
    roles = {agent.id: ROLE_BY_AGENT_TYPE.get(agent.type, "executing program") for agent in agents}
    out = io.BytesIO()
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{PREMIS_NS}}}premis", {"version": PREMIS_VERSION},
                        nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}):
            write_entity(xf, aip_id)
            for event in events:
                write_event(xf, event, event.file_id or aip_id, roles)
            for agent in agents:
                write_agent(xf, agent)
    return out.getvalue()


def write_event_log(storage: Storage, aip_id: str, events: list[Event], agents: Iterable[Agent]) -> StoredObject:
    """Store one batch of an AIP's events as a new document in a location."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%fZ")
    data = render_event_log(aip_id, events, agents)
    return storage.put(f"{event_log_prefix(aip_id)}{stamp}-{new_uuid()}.xml", io.BytesIO(data), size=len(data))


def aip_versions(storage: Storage, root: str, aip_id: str) -> dict[str, str]:
    """The current VersionId of each key of an AIP's OCFL object and event log (empty without versions)."""
    return storage.current_versions(root + "/") | storage.current_versions(event_log_prefix(aip_id))


def retain_aip(storage: Storage, root: str, aip_id: str) -> dict[str, str]:
    """Apply the location's retention to an AIP's OCFL object and event log (only once it is registered);
    return the VersionId of each of its keys (empty where the store keeps no versions)."""
    return storage.retain(root + "/") | storage.retain(event_log_prefix(aip_id))
