"""The units of description of the archive's own catalogue (imported EAD finding aids), by reference code."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from catalogue.models import DescribedUnitRow, UnitRow
from catalogue.units import units_by_reference
from preservation.model import DescribedUnit, Unit
from preservation.parallel import batched


def described_units(session: Session, references: Iterable[str]) -> dict[str, DescribedUnit]:
    """The units held for these reference codes."""
    found: dict[str, DescribedUnit] = {}
    for batch in batched(sorted(set(references)), 500):
        rows = session.scalars(select(DescribedUnitRow).where(DescribedUnitRow.reference.in_(batch)))
        found.update({row.reference: _unit(row) for row in rows})
    return found


def all_references(session: Session) -> list[str]:
    """Every reference code the catalogue holds: its own units' and those AIPs describe."""
    return [*session.scalars(select(DescribedUnitRow.reference)), *session.scalars(select(UnitRow.reference))]


def units_below(session: Session, reference: str) -> list[DescribedUnit | Unit]:
    """The units whose parent is ``reference``: imported ones and those AIPs describe."""
    imported = session.scalars(
        select(DescribedUnitRow.reference).where(DescribedUnitRow.parent_reference == reference)
    ).all()
    held = session.scalars(select(UnitRow.reference).where(UnitRow.parent_reference == reference)).all()
    by_aips = units_by_reference(session, held)  # an AIP describing a catalogued unit with its files supersedes it
    return [*(u for r, u in described_units(session, imported).items() if r not in by_aips), *by_aips.values()]


def add_described_units(session: Session, units: list[DescribedUnit]) -> None:
    """Insert new units."""
    for batch in batched(units, 500):
        session.execute(insert(DescribedUnitRow.__table__), [_row(unit) for unit in batch])


def replace_described_unit(session: Session, unit: DescribedUnit) -> None:
    """Write a unit held already as it is now."""
    session.execute(update(DescribedUnitRow).where(DescribedUnitRow.reference == unit.reference).values(**_row(unit)))


def _row(unit: DescribedUnit) -> dict[str, object]:
    return {**vars(unit), "creators": json.dumps(list(unit.creators), ensure_ascii=False)}


def _unit(row: DescribedUnitRow) -> DescribedUnit:
    return DescribedUnit(
        row.reference,
        row.parent_reference,
        row.level,
        row.title,
        row.date,
        row.date_text,
        row.date_start,
        row.date_end,
        row.extent,
        row.scope,
        row.access_text,
        row.closure_kind,
        row.closed_until,
        tuple(json.loads(row.creators or "[]")),
        row.source,
        row.changed_at,
    )
