"""Reference codes of the archival description, as held in the catalogue (unique across the archive)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import DescriptionRow
from preservation.model import ARCHIVAL
from preservation.parallel import batched

REFERENCE = ARCHIVAL + "reference"
NUMBER_WIDTH = 10  # digits a number in a reference code is padded to, so that 2 sorts before 10


def hierarchy_key(reference: str) -> str:
    """A reference code in a form that sorts in hierarchy order: lower case, parts split at '/', numbers padded
    (DRO/52/1, DRO/52/1/2, DRO/52/1/10, DRO/52/2 …): a unit's descendants are exactly the keys that start with
    its key and '/'."""
    parts = [part.strip().lower() for part in reference.strip().strip("/").split("/")]
    return "/".join(re.sub(r"\d+", lambda m: m.group().lstrip("0").zfill(NUMBER_WIDTH), part) for part in parts if part)


def reference_code(text: str) -> str:
    """The reference code a search is for — one word with a '/' in it (DRO/52/1, or DRO/ for all of DRO) — or
    '' when the search is for words."""
    text = text.strip()
    return text if text and "/" in text and not any(c.isspace() for c in text) and hierarchy_key(text) else ""


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
