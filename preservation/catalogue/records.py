"""The records index: what researchers and archivists search — each file and each unit of description, with
its facets (collection, years, format, access) — on SQLite's FTS5 or PostgreSQL's own full-text engine.

An AIP's records are written again whenever its access is worked out (``preservation.access_status``):
at ingest, on a metadata update, on each access decision and after a rebuild.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from preservation.catalogue.models import AipRow, DescriptionRow, FileRow, RecordRow
from preservation.model import ARCHIVAL, CLOSED, ORIGINAL, Access, Unit

PER_PAGE_MAX = 100
MAX_WORDS = 32  # a query's words beyond this are ignored (a pasted page must not become a huge query)
FACETS = ("collection", "decade", "format", "access")


@dataclass(frozen=True)
class Record:
    """One search hit."""

    aip_id: str
    file_id: str
    kind: str
    reference: str
    level: str
    title: str
    collection: str
    year_start: int | None
    year_end: int | None
    puid: str
    format_name: str
    access: str
    closed_until: str
    path: str


@dataclass(frozen=True)
class RecordQuery:
    """What to look for, within which facets, and what the person searching may find at all."""

    text: str = ""
    collection: str = ""
    puid: str = ""
    access: str = ""
    year_from: int | None = None
    year_to: int | None = None
    findable: tuple[str, ...] = ("open", "restricted", "closed")  # access statuses the searcher may see exist
    page: int = 1
    per_page: int = 20


@dataclass
class RecordResults:
    """A page of hits, how many there are in all, and the facet counts over all of them."""

    total: int
    records: list[Record]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def reindex_aip(session: Session, aip_id: str, units: list[Unit], file_access: dict[str, Access],
                unit_access: dict[str, Access], collections: dict[str, str]) -> None:
    """Write the AIP's records again: its original files and its units (a unit describing a file is that
    file's record). ``collections``: a unit's reference code -> the reference of the collection it is in."""
    postgres = session.get_bind().dialect.name == "postgresql"
    old = [row[0] for row in session.execute(select(RecordRow.id).where(RecordRow.aip_id == aip_id))]
    if old and not postgres:
        session.execute(text("INSERT INTO records_fts(records_fts, rowid, title, body) SELECT 'delete', id, title, "
                             "body FROM records WHERE aip_id = :a"), {"a": aip_id})
    session.execute(delete(RecordRow).where(RecordRow.aip_id == aip_id))
    words: dict[str, list[str]] = {}
    for target, value in session.execute(select(DescriptionRow.target, DescriptionRow.value).where(
            DescriptionRow.aip_id == aip_id, ~DescriptionRow.element.startswith(ARCHIVAL))):
        words.setdefault(target, []).append(value)
    by_target = {unit.target: unit for unit in units}
    rows = []
    files = session.execute(select(FileRow.id, FileRow.path, FileRow.original_name, FileRow.puid, FileRow.format_name,
                                   FileRow.mime_type).where(FileRow.aip_id == aip_id, FileRow.role == ORIGINAL))
    file_targets = set()
    for file_id, path, original, puid, format_name, mime_type in files:
        target = path.removeprefix("data/objects/")
        file_targets.add(target)
        unit, around = by_target.get(target), _nearest(by_target, target)
        title = unit.title if unit and unit.title else original.rsplit("/", 1)[-1]
        access = file_access.get(file_id, Access("closed", "", "not worked out"))
        rows.append(_row(aip_id, file_id, "file", unit, title, collections.get(around.reference, "") if around else "",
                         _nearest(by_target, target, dated=True), puid, format_name, access, target,
                         [original, _path_words(target), puid, format_name, mime_type, *words.get(target, [])]))
    aip_title = session.execute(select(AipRow.title).where(AipRow.id == aip_id)).scalar_one()
    titles = dict(session.execute(select(DescriptionRow.target, DescriptionRow.value).where(
        DescriptionRow.aip_id == aip_id, DescriptionRow.element == "title")).all())
    for target in sorted(({""} | set(words) | set(by_target)) - file_targets):  # the AIP, described folders
        unit, around = by_target.get(target), _nearest(by_target, target)
        title = (unit.title if unit else "") or titles.get(target) or (target.rsplit("/", 1)[-1] if target
                                                                        else aip_title)
        access = unit_access.get(target) or unit_access.get("", Access("closed", "", "not worked out"))
        rows.append(_row(aip_id, "", "unit", unit, title, collections.get(around.reference, "") if around else "",
                         _nearest(by_target, target, dated=True), "", "", access, target,
                         [title, *words.get(target, [])]))
    for start in range(0, len(rows), 1000):
        session.execute(insert(RecordRow.__table__), rows[start:start + 1000])
    if rows and not postgres:
        session.execute(text("INSERT INTO records_fts(rowid, title, body) SELECT id, title, body FROM records "
                             "WHERE aip_id = :a"), {"a": aip_id})


def search_records(session: Session, query: RecordQuery, today: str) -> RecordResults:
    """A page of the records matching ``query`` that its searcher may find, best first, with facet counts."""
    postgres = session.get_bind().dialect.name == "postgresql"
    words = re.findall(r"\w+", query.text.lower(), flags=re.UNICODE)[:MAX_WORDS]
    params: dict[str, object] = {"today": today}
    status = ("CASE WHEN r.access = 'closed' AND r.closed_until != '' AND r.closed_until <= :today "
              "THEN 'open' ELSE r.access END")
    where = [f"{status} IN ({_names('findable', query.findable, params)})"]
    if words and postgres:
        source, rank = "records r", "-ts_rank(r.document, to_tsquery('simple', :match))"
        where.append("r.document @@ to_tsquery('simple', :match)")
        params["match"] = " & ".join(f"{word}:*" for word in words)
    elif words:
        source, rank = "records_fts f JOIN records r ON r.id = f.rowid", "bm25(records_fts)"
        where.append("records_fts MATCH :match")
        params["match"] = " ".join(f'"{word}"*' for word in words)
    else:
        source, rank = "records r", "r.level = '', r.title"  # browsing: described units first, by reference
    for column, value in (("r.collection", query.collection), ("r.puid", query.puid)):
        if value:
            where.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    if query.access:
        where.append(f"{status} = :access")
        params["access"] = query.access
    if query.year_from is not None:
        where.append("coalesce(r.year_end, r.year_start) >= :year_from")
        params["year_from"] = query.year_from
    if query.year_to is not None:
        where.append("r.year_start <= :year_to")
        params["year_to"] = query.year_to
    condition = " AND ".join(where)
    per_page = max(1, min(query.per_page, PER_PAGE_MAX))
    params.update(limit=per_page, offset=(max(1, query.page) - 1) * per_page)
    columns = ("r.aip_id, r.file_id, r.kind, r.reference, r.level, r.title, r.collection, r.year_start, r.year_end,"
               f" r.puid, r.format_name, {status}, r.closed_until, r.path")
    hits = session.execute(text(f"SELECT {columns} FROM {source} WHERE {condition} ORDER BY {rank}, r.reference, "
                                "r.path LIMIT :limit OFFSET :offset"), params)
    records = [Record(*row) for row in hits]
    total = session.execute(text(f"SELECT count(*) FROM {source} WHERE {condition}"), params).scalar_one()
    facets = {
        "collection": "r.collection",
        "decade": "CAST(r.year_start / 10 AS INTEGER) * 10",
        "format": "r.puid",
        "access": status,
    }
    counted = {}
    for name, expression in facets.items():
        rows = session.execute(text(f"SELECT {expression} AS v, count(*) AS n FROM {source} WHERE {condition} "
                                    "GROUP BY v ORDER BY n DESC, v LIMIT 50"), params)
        counted[name] = [(str(value) if value is not None else "", n) for value, n in rows]
    return RecordResults(total, records, counted)


def record_count(session: Session) -> int:
    """How many records the index holds."""
    return session.execute(select(func.count()).select_from(RecordRow)).scalar_one()


def _row(aip_id: str, file_id: str, kind: str, unit: Unit | None, title: str, collection: str, dated: Unit | None,
         puid: str, format_name: str, access: Access, path: str, words: list[str]) -> dict:
    start = int(dated.date_start[:4]) if dated and dated.date_start else None
    end = int(dated.date_end[:4]) if dated and dated.date_end else None
    reference = unit.reference if unit else ""
    return {"aip_id": aip_id, "file_id": file_id, "kind": kind, "reference": reference,
            "level": unit.level if unit else "", "title": title, "collection": collection, "year_start": start,
            "year_end": end, "puid": puid, "format_name": format_name, "access": access.status,
            "closed_until": access.closed_until if access.status == CLOSED else "", "path": path,
            "body": " ".join(w for w in [reference, *words] if w)}


def _nearest(units: dict[str, Unit], target: str, dated: bool = False) -> Unit | None:
    """The unit describing ``target`` or the nearest folder above it, else the AIP's own unit (with ``dated``,
    the nearest that has a date)."""
    parts = target.split("/") if target else []
    for depth in range(len(parts), -1, -1):
        unit = units.get("/".join(parts[:depth]))
        if unit is not None and (not dated or unit.date_start or unit.date_end):
            return unit
    return None


def _path_words(path: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", path, flags=re.UNICODE))


def _names(prefix: str, values: tuple[str, ...], params: dict[str, object]) -> str:
    for index, value in enumerate(values):
        params[f"{prefix}{index}"] = value
    return ", ".join(f":{prefix}{index}" for index in range(len(values))) or "NULL"
