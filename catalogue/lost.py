"""Lost files: stored files of an AIP with no intact copy in any location, as the last audit found them.

The rows are findings, not the record: an audit that examined every location of an AIP replaces
them with what it found, and `catalogue rebuild` leaves the table empty until the next audit.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalogue.models import LostFileRow
from preservation.model import LostFile


def replace_lost_files(session: Session, aip_id: str, lost: list[LostFile]) -> None:
    """Make ``lost`` the AIP's lost files, replacing every row it had (``[]``: none is lost)."""
    if any(file.aip_id != aip_id for file in lost):
        raise ValueError(f"lost files of another AIP given for {aip_id}")
    session.execute(delete(LostFileRow).where(LostFileRow.aip_id == aip_id))
    rows = {file.key: _row(file) for file in lost}  # one row per key: the last finding counts
    if rows:
        session.execute(insert(LostFileRow.__table__), list(rows.values()))


def lost_files(session: Session, aip_id: str) -> list[LostFile]:
    """The AIP's lost files, by path."""
    rows = session.scalars(
        select(LostFileRow).where(LostFileRow.aip_id == aip_id).order_by(LostFileRow.path, LostFileRow.key)
    )
    return [_lost(row) for row in rows]


def every_lost_file(session: Session) -> list[LostFile]:
    """Every lost file in the archive, by AIP and path."""
    rows = session.scalars(select(LostFileRow).order_by(LostFileRow.aip_id, LostFileRow.path, LostFileRow.key))
    return [_lost(row) for row in rows]


def forget_lost_file(session: Session, aip_id: str, key: str) -> None:
    """Remove one lost file (once it has been restored from outside); nothing happens if it is not listed."""
    session.execute(delete(LostFileRow).where(LostFileRow.aip_id == aip_id, LostFileRow.key == key))


def lost_file_dict(file: LostFile) -> dict:
    """A lost file as plain JSON values: path, key, states by location, found_at (for `aip show` and reports)."""
    return {"path": file.path, "key": file.key, "states": dict(file.states), "found_at": file.found_at}


def _row(file: LostFile) -> dict:
    return {
        "aip_id": file.aip_id,
        "key": file.key,
        "path": file.path,
        "states": json.dumps([list(state) for state in file.states], ensure_ascii=False),
        "found_at": file.found_at,
    }


def _lost(row: LostFileRow) -> LostFile:
    states = tuple((location, state) for location, state in json.loads(row.states))
    return LostFile(row.aip_id, row.path, row.key, states, row.found_at)
