"""The effective access of every AIP and file: what the closure policy and archivists' decisions add up to.

Each file is looked at from itself outwards: the file, each folder above it, the whole AIP, then
the units above the AIP in the archive (by parent reference code, across AIPs). At each level an
archivist's decision stands for that level; otherwise the closure policy's rule for the level's
kind of record applies (personal data, a depositor's restriction; pending review for a file the
personal-data scan flagged). Walking outwards stops at the first decision, so a decision opens or
closes everything below it except what a more specific level says; the strictest of what was
collected applies (closed longest, then restricted, then open), and the policy's default joins in
when no decision was met. A closure counts from 1 January after the last date of the record, or
of the nearest level above with a date; with no date anywhere the record stays closed until
reviewed. The policy itself is passed in (``evaluate``), so this module stays free of policy files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from catalogue import Database
from catalogue.described_units import described_units
from catalogue.models import DescribedUnitRow
from catalogue.oai_items import catalogue_unit_records, sync_aip_items, sync_catalogued_items
from catalogue.record_index import reindex_aip, reindex_catalogue_units
from catalogue.units import (
    decisions_of,
    described_targets,
    file_targets,
    set_access,
    units_by_reference,
    units_of,
)
from preservation.identifiers import name_uuid
from preservation.model import CLOSED, PENDING_REVIEW, POLICY_ASSIGNMENT, Access, DescribedUnit, Event, Unit
from preservation.parallel import batched

DETAIL = re.compile(r"^access (open|restricted|closed)(?: until (\d{4}-\d{2}-\d{2}))? for (objects(?:/.*)?)$")

# (kind of record, the year its last date falls in or None) -> the policy's access for it, if it has a rule
Evaluate = Callable[[str, "int | None"], "Access | None"]
REVIEW_KIND = "pending-review"


@dataclass(frozen=True)
class Level:
    """One level looked at: its unit (if described), the decision on it (if any), the kinds of record it is."""

    unit: Unit | None
    decision: Access | None
    kinds: tuple[str, ...] = ()  # besides the unit's own closure kind (e.g. pending review for a flagged file)

    def all_kinds(self) -> tuple[str, ...]:
        """Every kind of record this level is, for the closure policy."""
        return (*self.kinds, *((self.unit.closure_kind,) if self.unit and self.unit.closure_kind else ()))


def refresh_access(
    database: Database,
    evaluate: Evaluate,
    default: Access,
    aip_ids: Iterable[str],
    today: str | None = None,
    catalogue_below: bool = True,
) -> int:
    """Work out and store the effective access of these AIPs and their files; returns how many files. The units of
    the archive's own catalogue below them are worked out again too, unless ``catalogue_below`` is false (for a
    caller that works the whole catalogue out next)."""
    today = today or date.today().isoformat()
    count = 0
    references: set[str] = set()  # the refreshed AIPs' units: the catalogue's own units below them follow them
    for aip_id in aip_ids:
        with database.session() as session:
            units = {unit.target: unit for unit in units_of(session, aip_id)}
            references |= {unit.reference for unit in units.values() if unit.reference}
            decisions = {target: access for (_, target), access in decisions_of(session, [aip_id]).items()}
            above = _above(session, units)
            root = [_level(units, decisions, "")]
            targets = file_targets(session, aip_id)
            worked_out = {
                file_id: effective(
                    [*_path_levels(units, decisions, target, review), *root, *above], evaluate, default, today
                )
                for file_id, target, review, source in targets
                if not source
            }
            for file_id, _, _, source in targets:  # a derivative (an access or preservation copy) shows its source's
                if source:  # content: it is never more open than its source
                    worked_out[file_id] = worked_out.get(source, Access("closed", "", "its source is unknown"))
            files = list(worked_out.items())
            whole = effective([*root, *above], evaluate, default, today)
            set_access(session, aip_id, whole, files)
            described = {target for target, _ in described_targets(session, aip_id)} | set(units)
            folders = {
                target: effective(
                    [*_path_levels(units, decisions, target, ""), *root, *above], evaluate, default, today
                )
                for target in described
                if target
            }
            reindex_aip(
                session,
                aip_id,
                list(units.values()),
                dict(files),
                {"": whole, **folders},
                _collections(session, units, above),
            )
            sync_aip_items(session, aip_id, today)  # what the OAI-PMH provider exposes of it, and when it changed
            count += len(files)
    if catalogue_below and references and _catalogue_units_below(database, references):
        sync_catalogue(database, evaluate, default, today)  # a closed AIP closes the imported units below it
    return count


def _catalogue_units_below(database: Database, references: set[str]) -> bool:
    """Whether any unit of the archive's own catalogue sits directly below one of these references."""
    with database.session() as session:
        for batch in batched(sorted(references), 500):
            if session.scalars(
                select(DescribedUnitRow.reference).where(DescribedUnitRow.parent_reference.in_(batch)).limit(1)
            ).first():
                return True
    return False


def catalogued_access(
    session,
    unit: DescribedUnit,
    evaluate: Evaluate,
    default: Access,
    today: str,
    chains: dict[str, list[Level]] | None = None,
) -> Access:
    """What a unit of the archive's own catalogue comes to: the strictest its own access conditions and those of
    every unit above it give (a closed series closes what is below it), as for an AIP's units. ``chains``: the
    levels above each parent looked at already (a whole catalogue walks each parent's chain once, not once per
    unit below it)."""
    chains = {} if chains is None else chains
    above = chains.get(unit.parent_reference)
    if above is None:
        above = chains[unit.parent_reference] = _levels_from(session, unit.parent_reference, set())
    back = [n for n, level in enumerate(above) if level.unit is not None and level.unit.reference == unit.reference]
    if back:  # a chain that comes back to the unit itself stops short of it
        above = above[: back[0]]
    return effective([_catalogued_level(unit), *above], evaluate, default, today)


def sync_catalogue(database: Database, evaluate: Evaluate, default: Access, today: str | None = None) -> None:
    """What the OAI-PMH provider exposes of the archive's own catalogue (after an import, or everything is
    worked out again)."""
    today = today or date.today().isoformat()
    chains: dict[str, list[Level]] = {}
    with database.session() as session:
        sync_catalogued_items(session, lambda unit: catalogued_access(session, unit, evaluate, default, today, chains))
    with database.session() as session:  # and what the portal's search finds of it
        reindex_catalogue_units(session, catalogue_unit_records(session))


def event_detail(access: Access, target: str) -> str:
    """The eventDetail of an access decision (``decision_from`` reads it back)."""
    until = f" until {access.closed_until}" if access.status == CLOSED and access.closed_until else ""
    return f"access {access.status}{until} for {'objects/' + target if target else 'objects'}"


def decision_from(event: Event) -> tuple[str, Access] | None:
    """(target, access) of an access decision event, else None (for a catalogue rebuilt from storage)."""
    match = DETAIL.match(event.detail) if event.type == POLICY_ASSIGNMENT else None
    if match is None:
        return None
    status, until, where = match.groups()
    return where.removeprefix("objects").lstrip("/"), Access(status, until or "", event.outcome_detail)


def effective(levels: list[Level], evaluate: Evaluate, default: Access, today: str) -> Access:
    """The strictest access the levels (most specific first) give, stopping at the first decision."""
    collected: list[Access] = []
    for index, level in enumerate(levels):
        if level.decision is not None:
            collected.append(level.decision)
            break
        for kind in level.all_kinds():
            ruled = evaluate(kind, _last_year(levels[index:]))
            if ruled is not None:
                collected.append(ruled)
    else:
        collected.append(default)
    return max((access.in_force(today) for access in collected), key=Access.strictness)


def _path_levels(units: dict[str, Unit], decisions: dict[str, Access], target: str, review: str) -> list[Level]:
    """The file itself, then each folder above it within the AIP (not the AIP itself)."""
    parts = target.split("/")
    levels = [_level(units, decisions, target, (REVIEW_KIND,) if review == PENDING_REVIEW else ())]
    levels += [_level(units, decisions, "/".join(parts[:depth])) for depth in range(len(parts) - 1, 0, -1)]
    return levels


def _level(units: dict[str, Unit], decisions: dict[str, Access], target: str, kinds: tuple[str, ...] = ()) -> Level:
    return Level(units.get(target), decisions.get(target), kinds)


def _above(session, units: dict[str, Unit]) -> list[Level]:
    """The units above this AIP in the archive, nearest first (by parent reference code, across AIPs)."""
    own = {unit.reference for unit in units.values()}
    start = units.get("") or (min(units.values(), key=lambda u: u.target.count("/")) if units else None)
    return _levels_from(session, start.parent_reference if start else "", set(own))


def _levels_from(session, parent: str, seen: set[str]) -> list[Level]:
    """The unit ``parent`` and each above it, nearest first: AIPs' units with their decisions, and units of the
    archive's own catalogue (imported) with their access conditions."""
    levels = []
    while parent and parent not in seen:
        seen.add(parent)
        unit = units_by_reference(session, [parent]).get(parent)
        if unit is None:
            catalogued = described_units(session, [parent]).get(parent)
            if catalogued is None:
                break
            levels.append(_catalogued_level(catalogued))
            parent = catalogued.parent_reference
            continue
        decision = decisions_of(session, [unit.aip_id]).get((unit.aip_id, unit.target))
        levels.append(Level(unit, decision))
        parent = unit.parent_reference
    return levels


UNREAD = "pending-review"  # the closure kind of access conditions an import could not read


def _catalogued_level(unit: DescribedUnit) -> Level:
    """An imported unit as a level above an AIP: its closure kind and dates as any unit's, and a closure date its
    access conditions state as a decision (it settles access there, as an archivist's would)."""
    as_unit = Unit(
        name_uuid("catalogue", unit.reference),
        "",
        "",
        unit.reference,
        unit.level,
        unit.parent_reference,
        unit.title,
        unit.date_text,
        unit.date_start,
        unit.date_end,
        unit.closure_kind,
    )
    if unit.closed_until:  # a date the access conditions state settles it, as an archivist's decision would
        return Level(
            as_unit, Access(CLOSED, unit.closed_until, f"the catalogue's access conditions: {unit.access_text}")
        )
    if unit.closure_kind == UNREAD:  # conditions no rule reads: closed until a person has read them
        return Level(as_unit, Access(CLOSED, "", f"access conditions not yet reviewed: {unit.access_text}"))
    return Level(as_unit, None)


def _collections(session, units: dict[str, Unit], above: list[Level]) -> dict[str, str]:
    """Each unit's collection: the reference code at the top of its chain of parents."""
    if above and (top := above[-1].unit) is not None:  # (every level above an AIP is a unit)
        return {unit.reference: top.reference for unit in units.values()}
    by_reference = {unit.reference: unit for unit in units.values()}
    found = {}
    for unit in units.values():
        current, seen = unit, set()
        while current.parent_reference and current.parent_reference in by_reference and current.reference not in seen:
            seen.add(current.reference)
            current = by_reference[current.parent_reference]
        found[unit.reference] = current.reference
    return found


def _last_year(levels: list[Level]) -> int | None:
    """The last year of the nearest level with a date (closure counts from it)."""
    for level in levels:
        if level.unit is not None and level.unit.date_end:
            return int(level.unit.date_end[:4])
    return None
