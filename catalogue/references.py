"""Reference codes of the archival description, as held in the catalogue (unique across the archive)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import DescriptionRow
from preservation.model import ARCHIVAL
from preservation.parallel import batched

REFERENCE = ARCHIVAL + "reference"


def held_references(session: Session, references: Iterable[str]) -> dict[str, str]:
    """Which of ``references`` the archive already holds: reference code -> the AIP describing it."""
    held: dict[str, str] = {}
    for batch in batched(sorted(set(references)), 500):
        rows = session.execute(
            select(DescriptionRow.value, DescriptionRow.aip_id).where(
                DescriptionRow.element == REFERENCE, DescriptionRow.value.in_(batch)
            )
        )
        held.update({value: aip_id for value, aip_id in rows})
    return held
