"""Archivists' access decisions: open, restrict or close an AIP, a unit of description, a folder or a file.

A decision is recorded in the catalogue and, as a PREMIS policy assignment event, in the event log
beside every copy of the AIP (so a catalogue rebuilt from storage has it too). Then the effective
access of the AIP, of every file under the decision and of every AIP described below it is worked
out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.access_status import catalogued_access, event_detail, refresh_access, sync_catalogue
from catalogue.described_units import described_units
from catalogue.units import aips_below, set_decision, units_by_reference, units_of
from policies.closure import ClosurePolicy, load_closure_policy
from preservation.config import Settings
from preservation.errors import NotFound, PolicyError
from preservation.identifiers import event_uuid, new_uuid, timestamp
from preservation.model import POLICY_ASSIGNMENT, SUCCESS, Access, Agent, DescribedUnit, Event
from stewardship.event_log import raise_failed, write_event_log_to


@dataclass(frozen=True)
class Decision:
    """What was decided, about what."""

    aip_id: str
    target: str  # '' the whole AIP, else a path under objects/
    reference: str  # the unit's reference code, if the target has one
    access: Access
    files_refreshed: int


def decide_access(
    settings: Settings,
    database: Database,
    policy: ClosurePolicy,
    reference: str,
    path: str,
    access: Access,
    agents: list[Agent],
) -> Decision:
    """Record ``access`` for the unit with reference code ``reference`` — or the AIP ``reference`` names (an
    id or its start), or ``path`` (objects/…) within it — and work out who may now see what."""
    aip_id, target, code = resolve(database, reference, path)
    when = timestamp()
    person = next((a for a in agents if a.type == "person"), agents[-1])
    with database.session() as session:
        set_decision(session, aip_id, target, access, person.name, when)
        replicas = catalogue.aip_replicas(session, aip_id)
        file_id = next(
            (f.id for f in catalogue.aip_files(session, aip_id) if target and f.path == f"data/objects/{target}"), ""
        )
        event = Event(
            event_uuid(new_uuid(), aip_id, POLICY_ASSIGNMENT),
            aip_id,
            POLICY_ASSIGNMENT,
            when,
            SUCCESS,
            event_detail(access, target),
            access.reason,
            file_id,
            tuple(a.id for a in agents),
        )
        catalogue.upsert_agents(session, agents)
        catalogue.record_events(session, [event])
        below = aips_below(session, [u.reference for u in units_of(session, aip_id)])
    written = write_event_log_to(settings, [r.location for r in replicas], aip_id, [event], agents)
    count = refresh_access(database, policy.evaluate, policy.default(), [aip_id, *sorted(below - {aip_id})])
    raise_failed(written)  # the decision stands; the location's missing document is repaired from the others
    return Decision(aip_id, target, code, access, count)


@dataclass(frozen=True)
class CatalogueUnitAccess:
    """What a unit of the archive's own catalogue comes to, and why."""

    unit: DescribedUnit
    access: Access  # the strictest of its own conditions and every unit's above it
    aips_below: int


def catalogue_unit_access(settings: Settings, database: Database, reference: str) -> CatalogueUnitAccess | None:
    """The access of the imported unit ``reference`` (None if the catalogue's own units hold no such reference,
    or an AIP describes it)."""
    policy = load_closure_policy(settings.policies_path)
    with database.session() as session:
        if units_by_reference(session, [reference]):
            return None
        unit = described_units(session, [reference]).get(reference)
        if unit is None:
            return None
        access = catalogued_access(session, unit, policy.evaluate, policy.default(), date.today().isoformat())
        return CatalogueUnitAccess(unit, access, len(aips_below(session, [reference])))


def resolve(database: Database, reference: str, path: str) -> tuple[str, str, str]:
    """(AIP id, target, reference code) for a reference code, or an AIP id with an optional objects/ path."""
    with database.session() as session:
        unit = units_by_reference(session, [reference]).get(reference)
        if unit is not None and not path:
            return unit.aip_id, unit.target, unit.reference
        imported = described_units(session, [reference]).get(reference)
        if imported is not None and not path:
            source = imported.source or "a finding aid"
            raise PolicyError(
                f"{reference} is a unit of the archive's own catalogue (imported from {source}): its access comes "
                "from the finding aid's access conditions, not from a decision here",
                hint=f"`preserve access show {reference}` shows what they come to. Correct them in CALM or AtoM and "
                "import the finding aid again, or decide the AIPs placed below it.",
            )
        try:
            aip = catalogue.get_aip(session, reference)
        except NotFound:
            short = len(reference.strip()) < 4
            raise NotFound(
                f"{reference}: no unit of description has this reference code, and no AIP this id"
                + (" (an AIP id needs at least its first 4 characters)" if short else ""),
                hint="`preserve search` finds reference codes; `preserve aip list` lists AIPs"
                + (": give at least 4 characters of an id." if short else "."),
            ) from None
        target = _objects_path(path) if path else ""
        if target and not any(
            f.path == f"data/objects/{target}" or f.path.startswith(f"data/objects/{target}/")
            for f in catalogue.aip_files(session, aip.id)
        ):
            raise NotFound(
                f"{path}: no such file or folder in AIP {aip.id}",
                hint="Give the path as `preserve aip show` lists it (data/objects/…, or objects/…, or the path "
                "under objects/).",
            )
        code = next((u.reference for u in units_of(session, aip.id) if u.target == target), "")
    return aip.id, target, code


def _objects_path(path: str) -> str:
    """A path within the AIP's objects as the catalogue keys it (under objects/): from the form `aip show` prints
    (data/objects/…), from objects/…, or already under objects/."""
    clean = path.replace("\\", "/").strip("/")
    for prefix in ("data/objects/", "objects/"):
        if clean.startswith(prefix):
            return clean.removeprefix(prefix).strip("/")
    return "" if clean in ("data/objects", "objects") else clean


def refresh_everything(settings: Settings, database: Database) -> int:
    """Work out the access of every AIP and file again, and rewrite the records index (after a catalogue
    rebuild or a schema upgrade); returns how many files."""
    policy = load_closure_policy(settings.policies_path)
    with database.session() as session:
        aip_ids = [aip.id for aip in catalogue.list_aips(session)]
    count = refresh_access(database, policy.evaluate, policy.default(), aip_ids, catalogue_below=False)
    sync_catalogue(database, policy.evaluate, policy.default())
    return count
