"""Events after ingest, kept in storage beside the AIP as small immutable PREMIS documents.

The AIP is the truth and the catalogue an index of it: events that happen after its METS was
written (the end of ingest, fixity checks, later repairs and access decisions) are written to
each location holding the AIP as a new document per batch — never appended to, since object
stores cannot append and locked objects cannot change — under the OCFL storage root's extension
folder: ``extensions/preserve-event-log/<aip uuid>/<UTC time>-<SHA-256>.xml``.

A batch is rendered once and the same bytes are written under the same key in every location: the
time of its latest event and the document's SHA-256, so each document verifies itself and every
location holding the AIP holds the same documents (``stewardship.event_log_audit`` checks and
repairs them). Documents written before this scheme are named ``<UTC time>-<batch uuid>.xml``,
differently in each location.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from lxml import etree

from preservation.config import Settings
from preservation.errors import PreservationError, StorageError
from preservation.identifiers import utc_now
from preservation.model import ROLE_BY_AGENT_TYPE, Agent, Event
from preservation.premis import PREMIS_NS, PREMIS_VERSION, XSI_NS, write_agent, write_entity, write_event
from storage import open_location
from storage.base import Storage, StoredObject

FOLDER = "extensions/preserve-event-log"
Written = StoredObject | PreservationError  # what writing a document to one location came to
SELF_VERIFYING = re.compile(r"[0-9]{8}T[0-9]{12}Z-(?P<sha256>[0-9a-f]{64})\.xml")


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
        with xf.element(
            f"{{{PREMIS_NS}}}premis", {"version": PREMIS_VERSION}, nsmap={"premis": PREMIS_NS, "xsi": XSI_NS}
        ):
            write_entity(xf, aip_id)
            for event in events:
                write_event(xf, event, event.file_id or aip_id, roles)
            for agent in agents:
                write_agent(xf, agent)
    return out.getvalue()


def document_key(aip_id: str, data: bytes, events: Iterable[Event] = ()) -> str:
    """The key of an event log document: the AIP's prefix, the UTC time of its latest event (now, if none can
    be read) and the SHA-256 of ``data`` — the same key wherever and however often the batch is written."""
    moments = []
    for event in events:
        with contextlib.suppress(ValueError):
            moments.append(datetime.fromisoformat(event.datetime).astimezone(UTC))
    stamp = max(moments, default=utc_now()).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{event_log_prefix(aip_id)}{stamp}-{hashlib.sha256(data).hexdigest()}.xml"


def named_digest(key: str) -> str:
    """The SHA-256 a document's key names, or '' for a document named before keys carried one."""
    match = SELF_VERIFYING.fullmatch(key.rsplit("/", 1)[-1])
    return match["sha256"] if match else ""


def write_event_log(storage: Storage, aip_id: str, events: list[Event], agents: Iterable[Agent]) -> StoredObject:
    """Store one batch of an AIP's events as a new document in one location."""
    result = write_event_log_everywhere({storage.name: storage}, aip_id, events, agents)[storage.name]
    if isinstance(result, PreservationError):
        raise result
    return result


def write_event_log_everywhere(
    stores: Mapping[str, Storage], aip_id: str, events: list[Event], agents: Iterable[Agent], *, first: str = ""
) -> dict[str, Written]:
    """Store one batch as the same document under the same key in every location; a location that fails is
    returned as its error and the others are still written — except ``first``, written before the others,
    whose failure means nothing else is written (a new copy that must carry its history)."""
    events = list(events)
    data = render_event_log(aip_id, events, agents)
    key = document_key(aip_id, data, events)
    results: dict[str, Written] = {}
    for name in sorted(stores, key=lambda name: name != first):
        try:
            results[name] = _put_verified(stores[name], key, data)
        except PreservationError as exc:
            results[name] = exc
            if name == first:
                break
    return results


def write_event_log_to(
    settings: Settings,
    names: Iterable[str],
    aip_id: str,
    events: list[Event],
    agents: Iterable[Agent],
    *,
    first: str = "",
) -> dict[str, Written]:
    """Open each named location and store one batch in all of them, as ``write_event_log_everywhere`` does
    (a location that cannot be opened is returned as its error, like one that cannot be written)."""
    stores: dict[str, Storage] = {}
    failed: dict[str, Written] = {}
    for name in dict.fromkeys(names):
        try:
            stores[name] = open_location(settings.location(name))
        except PreservationError as exc:
            failed[name] = exc
    if first in failed:
        return {first: failed[first]}
    return write_event_log_everywhere(stores, aip_id, events, agents, first=first) | failed


def raise_failed(results: Mapping[str, Written]) -> dict[str, StoredObject]:
    """The documents written, by location; raises the first location's error if any failed."""
    for result in results.values():
        if isinstance(result, PreservationError):
            raise result
    return {name: result for name, result in results.items() if isinstance(result, StoredObject)}


def _put_verified(storage: Storage, key: str, data: bytes) -> StoredObject:
    """Write ``data`` under ``key``, refusing a write whose digest is not the one the key names."""
    stored = storage.put(key, io.BytesIO(data), size=len(data))
    if stored.digests.get("sha256", named_digest(key)) != named_digest(key):
        raise StorageError(f"{storage.describe()}: {key} was stored with SHA-256 {stored.digests['sha256']}")
    return stored


def aip_versions(storage: Storage, root: str, aip_id: str) -> dict[str, str]:
    """The current VersionId of each key of an AIP's OCFL object and event log (empty without versions)."""
    return storage.current_versions(root + "/") | storage.current_versions(event_log_prefix(aip_id))


def retain_aip(storage: Storage, root: str, aip_id: str) -> dict[str, str]:
    """Apply the location's retention to an AIP's OCFL object and event log (only once it is registered);
    return the VersionId of each of its keys (empty where the store keeps no versions)."""
    return storage.retain(root + "/") | storage.retain(event_log_prefix(aip_id))
