"""Stored objects no AIP owns: what an ingest that died before registering left in a location.

Retention is applied only after registration, so such leftovers are never locked and can be
removed. Only objects untouched for longer than a grace period count, so an ingest still writing
is never mistaken for a dead one.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from catalogue import Database
from catalogue import queries as catalogue
from preservation.config import Settings
from stewardship.event_log import FOLDER as EVENT_LOG
from storage import Storage, open_location
from storage.ocfl import delete_object

_TUPLE = re.compile(r"[0-9a-f]{3}")


@dataclass
class Orphan:
    """Keys in a location that belong to no registered copy of any AIP."""

    location: str
    prefix: str  # an object root, or an event log folder
    kind: str  # "object" or "event log"
    keys: int = 0
    bytes: int = 0
    newest: float = 0.0
    complete: bool = False  # an object whose root inventory was written (registration failed after it)
    key_list: list[str] = field(default_factory=list, repr=False)


def find_orphans(settings: Settings, database: Database, older_than: float) -> list[Orphan]:
    """Unregistered objects and event logs untouched for more than ``older_than`` seconds, in every location."""
    with database.session() as session:
        known_aips = {aip.id for aip in catalogue.list_aips(session)}
        registered = {
            (r.location, r.object_root) for aip_id in known_aips for r in catalogue.aip_replicas(session, aip_id)
        }
    cutoff = time.time() - older_than
    found = []
    for location in settings.locations:
        groups: dict[tuple[str, str], Orphan] = {}
        for stored in open_location(location).list(""):
            parts = stored.key.split("/")
            if len(parts) > 4 and all(_TUPLE.fullmatch(p) for p in parts[:3]):
                prefix, kind = "/".join(parts[:4]), "object"
                if (location.name, prefix) in registered:
                    continue
            elif stored.key.startswith(EVENT_LOG + "/") and len(parts) > 3:
                prefix, kind = "/".join(parts[:3]), "event log"
                if parts[2] in known_aips:
                    continue
            else:
                continue
            orphan = groups.setdefault((prefix, kind), Orphan(location.name, prefix, kind))
            orphan.keys += 1
            orphan.bytes += stored.size
            orphan.newest = max(orphan.newest, stored.modified)
            orphan.complete = orphan.complete or stored.key == f"{prefix}/inventory.json"
            orphan.key_list.append(stored.key)
        found += [o for o in groups.values() if o.newest < cutoff]
    return found


def remove_orphan(storage: Storage, orphan: Orphan) -> None:
    """Delete every key of an orphan."""
    if orphan.kind == "object":
        delete_object(storage, orphan.prefix)
    else:
        for key in orphan.key_list:
            storage.delete(key)
