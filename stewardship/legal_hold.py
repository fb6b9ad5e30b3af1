"""Legal holds: keep every stored version of an AIP from deletion, however its retention stands, until released.

A hold is placed on each S3 copy's recorded object versions (the versions that were verified and
sealed) in locations whose bucket has Object Lock; the server then refuses to delete them even
after retention has run out. Local disks have no such mechanism: they are reported, not skipped
silently. Each placing or release is a PREMIS policy assignment event, in the catalogue and in
the event log beside every copy (one document, held where the hold was placed). New versions sealed
while a hold is in place are held as well.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalogue import Database
from catalogue import queries as catalogue
from preservation.config import Settings
from preservation.errors import PreservationError
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.model import POLICY_ASSIGNMENT, SUCCESS, Agent, Event
from stewardship.event_log import raise_failed, write_event_log_to
from storage import Storage, StoredObject, open_location

PLACED = "legal hold placed"
RELEASED = "legal hold released"


@dataclass
class HoldResult:
    """What happened at one location holding a copy of the AIP."""

    location: str
    outcome: str  # "held", "released", "not possible" or "failed"
    versions: int = 0
    problem: str = ""


def hold_active(database: Database, aip_id: str) -> bool:
    """Whether the AIP's latest legal-hold event placed a hold."""
    with database.session() as session:
        events = catalogue.aip_events(session, aip_id, event_type=POLICY_ASSIGNMENT)  # not the files' thousands
    for event in reversed(events):
        if event.detail.startswith(PLACED):
            return True
        if event.detail.startswith(RELEASED):
            return False
    return False


def set_legal_hold(
    settings: Settings, database: Database, aip_ref: str, on: bool, reason: str, agents: list[Agent]
) -> tuple[str, list[HoldResult]]:
    """Place (``on``) or release a legal hold on every versioned copy of an AIP; return its id and the results."""
    with database.session() as session:
        aip = catalogue.get_aip(session, aip_ref)
        copies = [
            (r.location, catalogue.stored_versions(session, aip.id, r.location))
            for r in catalogue.aip_replicas(session, aip.id)
        ]
    results, events, run_id = [], [], new_uuid()
    for location, versions in copies:
        if settings.location(location).backend == "local":
            results.append(
                HoldResult(
                    location,
                    "not possible",
                    problem="local disks have no legal holds (protect the folder with permissions or snapshots)",
                )
            )
            continue
        if not versions:
            results.append(
                HoldResult(
                    location,
                    "not possible",
                    problem="no object versions recorded for this copy (the bucket needs versioning and Object Lock)",
                )
            )
            continue
        storage = open_location(settings.location(location))
        try:
            storage.legal_hold(versions, on)
        except PreservationError as exc:
            results.append(HoldResult(location, "failed", problem=exc.message))
            continue
        results.append(HoldResult(location, "held" if on else "released", len(versions)))
        what = PLACED if on else RELEASED
        events.append(
            (
                storage,
                Event(
                    event_uuid(run_id, aip.id, f"{POLICY_ASSIGNMENT}:{location}"),
                    aip.id,
                    POLICY_ASSIGNMENT,
                    timestamp(),
                    SUCCESS,
                    f"{what}; location={location}; reason: {reason}",
                    f"{len(versions)} object versions in {storage.describe()}",
                    "",
                    tuple(a.id for a in agents),
                ),
            )
        )
    if not events:
        return aip.id, results
    written = write_event_log_to(
        settings, [location for location, _ in copies], aip.id, [event for _, event in events], agents
    )  # one document beside every copy
    for storage, _ in events:
        document = written.get(storage.name)
        if on and isinstance(document, StoredObject) and document.version_id:
            storage.legal_hold({document.key: document.version_id}, True)
    with database.session() as session:
        catalogue.upsert_agents(session, agents)
        catalogue.record_events(session, [event for _, event in events])
    raise_failed(written)  # the holds stand and are recorded; a location's missing document is repaired later
    return aip.id, results


def hold_new_versions(database: Database, storage: Storage, aip_id: str, versions: dict[str, str]) -> None:
    """Extend an AIP's legal hold, if it has one, to versions sealed after it was placed."""
    if versions and hold_active(database, aip_id):
        storage.legal_hold(versions, True)
