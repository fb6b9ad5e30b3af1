"""A search for a reference code (DRO/52/1, or DRO/52/ for everything below it): that unit first, then
everything below it in hierarchy order — sub-units and the files they describe — not word matches elsewhere
(a word search for "DRO/52/1" would also find DRO/52/2/1). Found by the records' hierarchy keys, one index range,
with the same filters, access rule and facets as a word search."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from catalogue.record_index import (
    COLUMNS,
    EXACT_LIMIT,
    FACET_COUNTS,
    PER_PAGE_MAX,
    STATUS,
    Record,
    RecordQuery,
    RecordResults,
    bound_names,
    count_facets,
    facet_filters,
)
from catalogue.references import hierarchy_key


def search_reference(session: Session, query: RecordQuery, code: str, today: str) -> RecordResults:
    """The unit with reference ``code`` and everything below it that the searcher may find, in hierarchy order
    (a unit before the files it describes, numbers in numeric order), with facet counts over all of them — past
    EXACT_LIMIT records below the unit, estimated from the first EXACT_LIMIT of them (``approximate``), as a
    word search does: counting a whole 500,000-record collection's facets would take seconds."""
    key = hierarchy_key(code)
    params: dict[str, object] = {"today": today, "key": key, "below": key + "/", "after": key + "0"}
    # one range of the index: the key itself, and keys that go on with '/' ('0' is the character after '/')
    within = (
        "r.reference_key >= :key AND r.reference_key < :after AND (r.reference_key = :key OR r.reference_key >= :below)"
    )
    conditions = [f"{STATUS} IN ({bound_names('findable', query.findable, params)})", *facet_filters(query, params)]
    where = " AND ".join([within, *conditions])
    per_page = max(1, min(query.per_page, PER_PAGE_MAX))
    params.update(limit=per_page, offset=(max(1, query.page) - 1) * per_page, sample=EXACT_LIMIT)
    order = "r.reference_key, CASE WHEN r.kind = 'unit' AND r.reference != '' THEN 0 ELSE 1 END, r.path, r.id"
    hits = session.execute(
        text(f"SELECT {COLUMNS} FROM records r WHERE {where} ORDER BY {order} LIMIT :limit OFFSET :offset"), params
    )
    records = [Record(*row) for row in hits]
    span = session.execute(text(f"SELECT count(*) FROM records r WHERE {within}"), params).scalar_one()  # the index
    if span <= EXACT_LIMIT:
        counted, scale = f"records r WHERE {where}", 1.0
    else:
        first = f"(SELECT * FROM records r WHERE {within} ORDER BY r.reference_key LIMIT :sample) r"
        counted, scale = f"{first} WHERE {' AND '.join(conditions)}", span / EXACT_LIMIT
    groups = session.execute(text(f"{FACET_COUNTS} FROM {counted} GROUP BY 1, 2, 3, 4"), params).all()
    total, facets = count_facets(groups, scale)
    return RecordResults(total, records, facets, approximate=scale != 1.0)
