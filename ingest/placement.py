"""`preserve ingest PATH --under REF`: an AIP placed in the archive's hierarchy below a unit the catalogue holds
(imported from a finding aid, or described by another AIP). The AIP's own unit keeps the reference code its
metadata gives it; without one it is given the next number below REF (DRO/52/1/3 after DRO/52/1/2)."""

from __future__ import annotations

import re

from catalogue import Database
from catalogue.described_units import described_units, units_below
from catalogue.references import held_references
from catalogue.units import units_by_reference
from preservation.errors import TransferError
from preservation.model import ARCHIVAL

Descriptions = dict[str, tuple[tuple[str, str], ...]]


def place_under(database: Database, parent: str, descriptions: Descriptions, aip_id: str) -> tuple[Descriptions, str]:
    """The AIP's descriptions with its own unit placed below ``parent``, and that unit's reference code."""
    parent = parent.strip()
    with database.session() as session:
        if not units_by_reference(session, [parent]) and not described_units(session, [parent]):
            raise TransferError(
                f"--under {parent}: no unit of description has this reference code",
                hint="`preserve search REF/` finds units; `preserve catalogue import-ead` brings in the catalogue's.",
            )
        below = [unit.reference for unit in units_below(session, parent)]
    own = list(descriptions.get("", ()))
    given = dict(reversed(own))  # the first value of each element counts
    reference, placed_in = given.get(ARCHIVAL + "reference", ""), given.get(ARCHIVAL + "parent", "")
    if placed_in and placed_in != parent:
        raise TransferError(
            f"--under {parent}: the transfer's metadata places the AIP under {placed_in}",
            hint="Leave out --under, or the parent column of the objects row: one of them says where it goes.",
        )
    if not reference:
        reference = f"{parent}/{_next_number(parent, below)}"
        with database.session() as session:
            taken = held_references(session, [reference]) or described_units(session, [reference])
        if taken:  # a unit numbered so exists elsewhere in the hierarchy: never take its code
            raise TransferError(
                f"--under {parent}: {reference}, the next number, is held already",
                hint="Give the AIP its reference code in metadata.csv (the reference column of the objects row).",
            )
        own.append((ARCHIVAL + "reference", reference))
    if not placed_in:
        own.append((ARCHIVAL + "parent", parent))
    return {**descriptions, "": tuple(own)}, reference


def _next_number(parent: str, below: list[str]) -> int:
    """One more than the highest number below ``parent`` (1 for the first)."""
    numbers = [int(m.group(1)) for ref in below if (m := re.fullmatch(re.escape(parent) + r"/(\d+)", ref))]
    return max(numbers, default=0) + 1
