"""Search the records index: one interface over the database's own full-text engine."""

from __future__ import annotations

from datetime import date

from catalogue import Database
from catalogue.record_index import RecordQuery, RecordResults, format_names, search_records

EVERYTHING = ("open", "restricted", "closed")  # archivists find every record
RESEARCHER = ("open", "restricted")  # a researcher never finds a closed record


def search(database: Database, query: RecordQuery, today: str | None = None) -> RecordResults:
    """The page of records ``query`` asks for, best first, with facet counts over every match."""
    database.require_current()
    with database.session() as session:
        results = search_records(session, query, today or date.today().isoformat())
        puids = {puid for puid, _ in results.facets.get("format", []) if puid} | {
            r.puid for r in results.records if r.puid
        }
        results.format_names = format_names(session, sorted(puids))
        return results
