"""Search the catalogue: one interface over the database's own full-text engine."""

from __future__ import annotations

from preservation.catalogue import Database, SearchHit
from preservation.catalogue import queries as catalogue


def search(database: Database, text: str, limit: int = 20) -> list[SearchHit]:
    """AIPs whose title, file names or formats match every word of ``text``, best first."""
    database.require_current()
    with database.session() as session:
        return catalogue.search(session, text, limit)
