"""Search the records index: one interface over the database's own full-text engine."""

from __future__ import annotations

from datetime import date

from catalogue import Database
from catalogue.record_index import RecordQuery, RecordResults, format_names, search_records
from catalogue.reference_search import search_reference
from catalogue.references import reference_code

EVERYTHING = ("open", "restricted", "closed")  # archivists find every record
RESEARCHER = ("open", "restricted")  # a researcher never finds a closed record


def search(database: Database, query: RecordQuery, today: str | None = None) -> RecordResults:
    """The page of records ``query`` asks for, best first, with facet counts over every match. A reference code
    (DRO/52/1, or DRO/52/ for all below it) finds that unit and what is below it in hierarchy order; one that
    finds nothing is searched as words."""
    database.require_current()
    today = today or date.today().isoformat()
    with database.session() as session:
        code = reference_code(query.text)
        results = search_reference(session, query, code, today) if code else None
        if results is None or not results.total:
            results = search_records(session, query, today)
        puids = {puid for puid, _ in results.facets.get("format", []) if puid} | {
            r.puid for r in results.records if r.puid
        }
        results.format_names = format_names(session, sorted(puids))
        return results
