"""The records anyone may see, read in order for open data: the catalogue as CSV or JSON, and the portal's
sitemap. Closed and restricted records are never among them (a closure whose date has come counts as open)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import text
from sqlalchemy.orm import Session

from catalogue.record_index import COLUMNS, STATUS, Record


def open_records(
    session: Session, today: str, offset: int = 0, limit: int | None = None
) -> Iterator[tuple[int, Record]]:
    """(row id, record) of every open record in id order (with ``limit``: at most that many, from the
    ``offset``-th), read a batch at a time."""
    query = f"SELECT r.id, {COLUMNS} FROM records r WHERE {STATUS} = 'open' ORDER BY r.id"
    params: dict[str, object] = {"today": today}
    if limit is not None:
        query += " LIMIT :limit OFFSET :offset"
        params.update(limit=limit, offset=offset)
    for row in session.execute(text(query).execution_options(yield_per=1000), params):
        yield row[0], Record(*row[1:])


def open_record_count(session: Session, today: str) -> int:
    """How many records are open."""
    return session.execute(
        text(f"SELECT count(*) FROM records r WHERE {STATUS} = 'open'"), {"today": today}
    ).scalar_one()
