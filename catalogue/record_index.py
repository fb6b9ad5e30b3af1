"""The records index: what researchers and archivists search — each file and each unit of description, with
its facets (collection, years, format, access) — on SQLite's FTS5 or PostgreSQL's own full-text engine.

An AIP's records are written again whenever its access is worked out (``catalogue.access_status``):
at ingest, on a metadata update, on each access decision and after a rebuild.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from catalogue.models import AipRow, DescriptionRow, FileRow, RecordRow
from catalogue.references import hierarchy_key
from preservation.dates import NotADate, parse_date
from preservation.model import ARCHIVAL, CLOSED, ORIGINAL, Access, Unit, format_label

PER_PAGE_MAX = 100
MAX_WORDS = 32  # a query's words beyond this are ignored (a pasted page must not become a huge query)
FACETS = ("collection", "decade", "format", "access")
NO_COLLECTION = "-"  # the collection filter that finds the records in no collection ("Not in a collection")


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
    undated: bool = False  # only records with no date (the "Undated" facet)


@dataclass
class RecordResults:
    """A page of hits, how many there are in all, and the facet counts over all of them."""

    total: int
    records: list[Record]
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    approximate: bool = False  # the total and facets are estimates from a sample (very many matches)
    format_names: dict[str, str] = field(default_factory=dict)  # PUID -> format name and version, for the facet


def facet_label(name: str, value: str, format_names: dict[str, str] | None = None) -> str:
    """A facet value in words a researcher knows: a format by its name, decades as '1920s', and what an empty
    value means (not in a collection; undated; no format identified)."""
    if name == "decade":
        return f"{value}s" if value else "Undated"
    if name == "collection":
        return value or "Not in a collection"
    if name == "format":
        return (format_names or {}).get(value) or value or "Format not identified"
    return value or "—"


def format_names(session: Session, puids: list[str]) -> dict[str, str]:
    """The name (and version) the archive's files of each PUID were identified as."""
    if not puids:
        return {}
    rows = session.execute(
        select(FileRow.puid, func.max(FileRow.format_name), func.max(FileRow.format_version))
        .where(FileRow.puid.in_(puids))
        .group_by(FileRow.puid)
    )
    return {puid: format_label(name, version) or puid for puid, name, version in rows}


def puids_named(session: Session, name: str) -> dict[str, str]:
    """The PUIDs of the archive's files whose format is called ``name`` (as facets show it: name and version,
    or the name alone; any case) -> that label."""
    wanted = name.strip().casefold()
    rows = session.execute(select(FileRow.puid, FileRow.format_name, FileRow.format_version).distinct())
    return {
        puid: format_label(fmt, version)
        for puid, fmt, version in rows
        if puid and wanted in ((fmt or "").strip().casefold(), format_label(fmt, version).casefold())
    }


def reindex_aip(
    session: Session,
    aip_id: str,
    units: list[Unit],
    file_access: dict[str, Access],
    unit_access: dict[str, Access],
    collections: dict[str, str],
) -> None:
    """Write the AIP's records again: its original files and its units (a unit describing a file is that
    file's record). ``collections``: a unit's reference code -> the reference of the collection it is in."""
    postgres = session.get_bind().dialect.name == "postgresql"
    _drop_records(session, aip_id, postgres)
    words: dict[str, list[str]] = {}
    own = Described()
    for target, element, value in session.execute(
        select(DescriptionRow.target, DescriptionRow.element, DescriptionRow.value).where(
            DescriptionRow.aip_id == aip_id, ~DescriptionRow.element.startswith(ARCHIVAL)
        )
    ):
        words.setdefault(target, []).append(value)
        own.add(target, element, value)
    by_target = {unit.target: unit for unit in units}
    rows, file_targets = _file_rows(session, aip_id, by_target, file_access, collections, words, own)
    rows += _unit_rows(session, aip_id, by_target, unit_access, collections, words, file_targets, own)
    for start in range(0, len(rows), 1000):
        session.execute(insert(RecordRow.__table__), rows[start : start + 1000])
    if rows and not postgres:
        session.execute(
            text("INSERT INTO records_fts(rowid, title, body) SELECT id, title, body FROM records WHERE aip_id = :a"),
            {"a": aip_id},
        )


def reindex_catalogue_units(session: Session, units: Iterable[tuple[Record, Sequence[str]]]) -> int:
    """Write the records of the archive's own catalogue again — each (its record, the words that describe it) —
    leaving those of AIPs; how many."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres:
        session.execute(
            text(
                "INSERT INTO records_fts(records_fts, rowid, title, body) SELECT 'delete', id, title, body "
                "FROM records WHERE aip_id IS NULL"
            )
        )
    session.execute(delete(RecordRow).where(RecordRow.aip_id.is_(None)))
    rows = [_catalogue_row(record, words) for record, words in units]
    for start in range(0, len(rows), 1000):
        session.execute(insert(RecordRow.__table__), rows[start : start + 1000])
    if rows and not postgres:
        session.execute(
            text("INSERT INTO records_fts(rowid, title, body) SELECT id, title, body FROM records WHERE aip_id IS NULL")
        )
    return len(rows)


def _catalogue_row(record: Record, words: Sequence[str]) -> dict[str, object]:
    """A row of the records index for a unit of the archive's own catalogue (no AIP: aip_id NULL)."""
    access = Access(record.access, "", "")
    years = (record.year_start, record.year_end)
    row = _row(
        "",
        "",
        "unit",
        None,
        None,
        record.title,
        record.collection,
        None,
        "",
        "",
        access,
        "",
        [record.title, *words],
        years,
    )
    return row | {
        "aip_id": None,
        "reference": record.reference,
        "reference_key": hierarchy_key(record.reference),
        "level": record.level,
        "body": f"{record.reference} {row['body']}",
    }


def _drop_records(session: Session, aip_id: str, postgres: bool) -> None:
    """The AIP's records removed, and on SQLite their full-text entries first."""
    old = [row[0] for row in session.execute(select(RecordRow.id).where(RecordRow.aip_id == aip_id))]
    if old and not postgres:
        session.execute(
            text(
                "INSERT INTO records_fts(records_fts, rowid, title, body) SELECT 'delete', id, title, "
                "body FROM records WHERE aip_id = :a"
            ),
            {"a": aip_id},
        )
    session.execute(delete(RecordRow).where(RecordRow.aip_id == aip_id))


@dataclass
class Described:
    """The title and date a depositor's metadata gives each path itself (a file or folder with no unit of its own
    still has them)."""

    titles: dict[str, str] = field(default_factory=dict)
    years: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    def add(self, target: str, element: str, value: str) -> None:
        """Note one description of ``target``."""
        if element == "title" and value:
            self.titles.setdefault(target, value)
        elif element == "date" and value and target not in self.years:
            try:
                span = parse_date(value)
            except NotADate:
                return
            self.years[target] = (span.start.year if span.start else None, span.end.year if span.end else None)


def _file_rows(
    session: Session,
    aip_id: str,
    by_target: dict[str, Unit],
    file_access: dict[str, Access],
    collections: dict[str, str],
    words: dict[str, list[str]],
    own: Described,
) -> tuple[list[dict[str, object]], set[str]]:
    """A record for each original file (described by its unit where it has one), and the files' targets."""
    rows = []
    files = session.execute(
        select(
            FileRow.id, FileRow.path, FileRow.original_name, FileRow.puid, FileRow.format_name, FileRow.mime_type
        ).where(FileRow.aip_id == aip_id, FileRow.role == ORIGINAL)
    )
    file_targets = set()
    for file_id, path, original, puid, format_name, mime_type in files:
        target = path.removeprefix("data/objects/")
        file_targets.add(target)
        unit, around = by_target.get(target), _nearest(by_target, target)
        title = (unit.title if unit else "") or own.titles.get(target) or original.rsplit("/", 1)[-1]
        access = file_access.get(file_id, Access("closed", "", "not worked out"))
        rows.append(
            _row(
                aip_id,
                file_id,
                "file",
                unit,
                unit or around,
                title,
                collections.get(around.reference, "") if around else "",
                _nearest(by_target, target, dated=True),
                puid,
                format_name,
                access,
                target,
                [original, _path_words(target), puid, format_name, mime_type, *words.get(target, [])],
                None if unit and unit.date_start else own.years.get(target),
            )
        )
    return rows, file_targets


def _unit_rows(
    session: Session,
    aip_id: str,
    by_target: dict[str, Unit],
    unit_access: dict[str, Access],
    collections: dict[str, str],
    words: dict[str, list[str]],
    file_targets: set[str],
    own: Described,
) -> list[dict[str, object]]:
    """A record for the AIP itself and for each described folder that is not a file."""
    aip_title = session.execute(select(AipRow.title).where(AipRow.id == aip_id)).scalar_one()
    titles = own.titles
    rows = []
    for target in sorted(({""} | set(words) | set(by_target)) - file_targets):  # the AIP, described folders
        unit, around = by_target.get(target), _nearest(by_target, target)
        title = (
            (unit.title if unit else "") or titles.get(target) or (target.rsplit("/", 1)[-1] if target else aip_title)
        )
        access = unit_access.get(target) or unit_access.get("", Access("closed", "", "not worked out"))
        rows.append(
            _row(
                aip_id,
                "",
                "unit",
                unit,
                unit or around,
                title,
                collections.get(around.reference, "") if around else "",
                _nearest(by_target, target, dated=True),
                "",
                "",
                access,
                target,
                [title, *words.get(target, [])],
                None if unit and unit.date_start else own.years.get(target),
            )
        )
    return rows


def search_records(session: Session, query: RecordQuery, today: str) -> RecordResults:
    """A page of the records matching ``query`` that its searcher may find, best first, with facet counts.

    Filters and the access rule travel with the words into the full-text engine (as facet words, see
    ``facet_tokens``), which counts the matches itself. Up to ``EXACT_LIMIT`` matches the page is
    ranked by relevance and the facets are counted exactly; beyond it — a word in a large share of a
    million records — ranking and counting every match would take seconds, so the page lists the
    newest matches and the facets are estimated from a sample of ``EXACT_LIMIT`` (``approximate``).
    Words match whole words; ``minut*`` matches every word starting "minut" (slower: the engine must
    gather every such word before it can count)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    words = [(word, star == "*") for word, star in re.findall(r"(\w+)(\*?)", query.text.lower(), flags=re.UNICODE)][
        :MAX_WORDS
    ]
    params: dict[str, object] = {"today": today, "sample": EXACT_LIMIT}
    params["match"] = _match(words, _required(query), _excluded(query), postgres)
    if postgres:
        matched = "r.document @@ to_tsquery('simple', :match)"
        source, rank = "records r", "-ts_rank(r.document, to_tsquery('simple', :match))"
        sample = f"(SELECT * FROM records r WHERE {matched} ORDER BY r.id DESC LIMIT :sample) r"
        everything = f"SELECT count(*) FROM records r WHERE {matched}"
    else:
        matched = "records_fts MATCH :match"
        source, rank = "records_fts f JOIN records r ON r.id = f.rowid", "bm25(records_fts)"
        sample = (
            "(SELECT rowid AS id FROM records_fts WHERE records_fts MATCH :match ORDER BY rowid DESC "
            "LIMIT :sample) s JOIN records r ON r.id = s.id"
        )
        everything = "SELECT count(*) FROM records_fts WHERE records_fts MATCH :match"
    if not words:
        rank = "r.level = '', r.title"  # browsing: described units first, by reference
    conditions = [f"{STATUS} IN ({bound_names('findable', query.findable, params)})", *facet_filters(query, params)]
    per_page = max(1, min(query.per_page, PER_PAGE_MAX))
    params.update(limit=per_page, offset=(max(1, query.page) - 1) * per_page)
    matches = session.execute(text(everything), params).scalar_one()  # counted by the engine, filters included
    if matches <= EXACT_LIMIT:
        counting, scale, order = (
            f"{source} WHERE {' AND '.join([matched, *conditions])}",
            1.0,
            f"{rank}, r.reference, r.path",
        )
    else:
        counting, scale, order = f"{sample} WHERE {' AND '.join(conditions)}", matches / EXACT_LIMIT, "r.id DESC"
    hits = session.execute(
        text(f"SELECT {COLUMNS} FROM {counting} ORDER BY {order} LIMIT :limit OFFSET :offset"), params
    )
    records = [Record(*row) for row in hits]
    groups = session.execute(text(f"{FACET_COUNTS} FROM {counting} GROUP BY 1, 2, 3, 4"), params).all()
    total, facets = count_facets(groups, scale)
    return RecordResults(matches if scale != 1.0 else total, records, facets, approximate=scale != 1.0)


def _required(query: RecordQuery) -> list[list[str]]:
    """Facet words a match must have: each inner list is one filter (any of its words will do)."""
    required = []
    if query.collection:
        required.append([NO_COLLECTION_WORD if query.collection == NO_COLLECTION else _token("c", query.collection)])
    if query.undated:
        required.append([UNDATED_WORD])
    if query.puid:
        required.append([_token("f", query.puid)])
    if query.access:
        required.append([TOKEN + "a" + query.access] + ([TOKEN + "aclosed"] if query.access == "open" else []))
    if query.year_from is not None or query.year_to is not None:
        low = (query.year_from if query.year_from is not None else 0) // 10
        high = (query.year_to if query.year_to is not None else 9999) // 10
        if high - low < 200:
            required.append([f"{TOKEN}d{decade * 10}" for decade in range(low, high + 1)] + [TOKEN + "dwide"])
    return required


def _excluded(query: RecordQuery) -> list[str]:
    """Facet words a match must not have: the access statuses the searcher may not find (a closure that has
    ended still counts as closed here, until access is next worked out; SQL lets it through as open)."""
    return (
        []
        if "closed" in query.findable
        else [TOKEN + "aclosed"]
        if "restricted" in query.findable
        else [TOKEN + "aclosed", TOKEN + "arestricted"]
    )


def _match(words: list[tuple[str, bool]], required: list[list[str]], excluded: list[str], postgres: bool) -> str:
    """The engine's query: every word (a prefix where the searcher typed ``word*``), every filter, none of the
    excluded; never the searcher's own syntax."""
    if postgres:
        parts = [f"{word}:*" if prefix else word for word, prefix in words] or [ALL]
        parts += ["(" + " | ".join(group) + ")" for group in required]
        parts += [f"!{token}" for token in excluded]
        return " & ".join(parts)
    parts = [f'"{word}"*' if prefix else f'"{word}"' for word, prefix in words] or [ALL]
    parts += ["(" + " OR ".join(group) + ")" for group in required]
    text_ = " AND ".join(parts)
    return text_ + "".join(f" NOT {token}" for token in excluded)


def status_of(table: str) -> str:
    """SQL for the access in force on :today of the rows of ``table`` (an alias with access and closed_until
    columns: records, files): a closure whose date has come counts as open."""
    return (
        f"CASE WHEN {table}.access = 'closed' AND {table}.closed_until != '' AND {table}.closed_until <= :today "
        f"THEN 'open' ELSE {table}.access END"
    )


STATUS = status_of("r")
COLUMNS = (  # a unit of the archive's own catalogue has no AIP: its aip_id reads as ''
    "COALESCE(r.aip_id, '') AS aip_id, r.file_id, r.kind, r.reference, r.level, r.title, r.collection, r.year_start,"
    " r.year_end,"
    f" r.puid, r.format_name, {STATUS}, r.closed_until, r.path"
)
EXACT_LIMIT = 5_000  # matches ranked and counted exactly; beyond, a sample of this many
# one grouped count gives the total and the four facets; a unit of description has no format (NULL, not counted)
FACET_COUNTS = (
    "SELECT r.collection, CAST(r.year_start / 10 AS INTEGER) * 10, CASE WHEN r.kind = 'file' THEN r.puid END, "
    f"{STATUS}, count(*)"
)


def facet_filters(query: RecordQuery, params: dict[str, object]) -> list[str]:
    """The facet filters a query asks for, as SQL conditions (values bound in ``params``)."""
    filters = []
    collection = "" if query.collection == NO_COLLECTION else query.collection
    for column, value, wanted in (("r.collection", collection, query.collection), ("r.puid", query.puid, query.puid)):
        if wanted:
            filters.append(f"{column} = :{column[2:]}")
            params[column[2:]] = value
    if query.undated:
        filters.append("r.year_start IS NULL AND r.year_end IS NULL")
    if query.access:
        filters.append(f"{STATUS} = :access")
        params["access"] = query.access
    if query.year_from is not None:
        filters.append("coalesce(r.year_end, r.year_start) >= :year_from")
        params["year_from"] = query.year_from
    if query.year_to is not None:
        filters.append("r.year_start <= :year_to")
        params["year_to"] = query.year_to
    return filters


def count_facets(groups, scale: float) -> tuple[int, dict[str, list[tuple[str, int]]]]:
    """The total and the four facets' counts (largest first, 50 at most) from one grouped count."""
    counts: dict[str, dict[str, float]] = {name: {} for name in FACETS}
    total = 0.0
    for collection, decade, puid, status, n in groups:
        total += n
        for name, value in zip(FACETS, (collection, decade, puid, status), strict=True):
            if name == "format" and value is None:
                continue  # a unit of description: not a file, so no format to count
            key = str(value) if value is not None else ""
            counts[name][key] = counts[name].get(key, 0) + n
    facets = {
        name: sorted(((value, round(n * scale)) for value, n in found.items()), key=lambda f: (-f[1], f[0]))[:50]
        for name, found in counts.items()
    }
    return round(total * scale), facets


def record_count(session: Session) -> int:
    """How many records the index holds."""
    return session.execute(select(func.count()).select_from(RecordRow)).scalar_one()


def _row(
    aip_id: str,
    file_id: str,
    kind: str,
    unit: Unit | None,
    place: Unit | None,
    title: str,
    collection: str,
    dated: Unit | None,
    puid: str,
    format_name: str,
    access: Access,
    path: str,
    words: list[str],
    years: tuple[int | None, int | None] | None = None,
) -> dict:
    """A row of the records index (``years``: the record's own, where its description dates it and no unit does)."""
    start = int(dated.date_start[:4]) if dated and dated.date_start else None
    end = int(dated.date_end[:4]) if dated and dated.date_end else None
    if years is not None:
        start, end = years
    reference = unit.reference if unit else ""
    return {
        "aip_id": aip_id,
        "file_id": file_id,
        "kind": kind,
        "reference": reference,
        "reference_key": hierarchy_key(place.reference) if place else "",
        "level": unit.level if unit else "",
        "title": title,
        "collection": collection,
        "year_start": start,
        "year_end": end,
        "puid": puid,
        "format_name": format_name,
        "access": access.status,
        "closed_until": access.closed_until if access.status == CLOSED else "",
        "path": path,
        "body": " ".join(
            w for w in [reference, *words, *facet_tokens(collection, start, end, puid, access.status)] if w
        ),
    }


def facet_tokens(collection: str, start: int | None, end: int | None, puid: str, status: str) -> list[str]:
    """Words no text contains that put a record's facets into the full-text index, so that filters and the
    access rule are applied by the engine itself while it finds the words (and counted there, exactly)."""
    tokens = [ALL, TOKEN + "a" + status]
    tokens.append(_token("c", collection) if collection else NO_COLLECTION_WORD)
    if puid:
        tokens.append(_token("f", puid))
    years = [year for year in (start, end) if year is not None]  # one alone stands for both
    if years:
        first, last = years[0] // 10, years[-1] // 10
        tokens += (
            [f"{TOKEN}d{decade * 10}" for decade in range(first, last + 1)]
            if last - first < MAX_DECADES
            else [TOKEN + "dwide"]
        )
    else:
        tokens.append(UNDATED_WORD)
    return tokens


def _token(kind: str, value: str) -> str:
    return f"{TOKEN}{kind}{hashlib.sha1(value.encode()).hexdigest()[:12]}"


TOKEN = "xqf"  # the prefix of facet words (letters and digits only, so both engines keep them whole)
ALL = TOKEN + "all"  # in every record: what a search with no words of its own starts from
NO_COLLECTION_WORD, UNDATED_WORD = TOKEN + "cnone", TOKEN + "dnone"  # the records no collection or date word finds
MAX_DECADES = 30  # a record spanning more decades gets one 'wide' word, and year filters check it in SQL


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


def bound_names(prefix: str, values: tuple[str, ...], params: dict[str, object]) -> str:
    for index, value in enumerate(values):
        params[f"{prefix}{index}"] = value
    return ", ".join(f":{prefix}{index}" for index in range(len(values))) or "NULL"


def record_at(session: Session, aip_id: str, path: str, today: str) -> Record | None:
    """The record of the AIP at ``path`` ('' the AIP's own), its access as it stands on ``today``."""
    row = session.execute(
        text(f"SELECT {COLUMNS} FROM records r WHERE r.aip_id = :aip AND r.path = :path"),
        {"aip": aip_id, "path": path, "today": today},
    ).first()
    return Record(*row) if row else None


def unit_records(session: Session, aip_id: str, today: str) -> dict[str, Record]:
    """The AIP's records of described folders and of the AIP itself (few), by path: every record that can
    hold others."""
    query = text(f"SELECT {COLUMNS} FROM records r WHERE r.aip_id = :aip AND r.kind = 'unit' AND r.file_id = ''")
    return {row.path: row for row in (Record(*r) for r in session.execute(query, {"aip": aip_id, "today": today}))}


def records_under(session: Session, aip_id: str, path: str, today: str) -> Iterator[Record]:
    """Every record of the AIP below ``path`` ('' the whole AIP), by path, read a batch at a time."""
    prefix = f"{path}/" if path else ""
    query = text(
        f"SELECT {COLUMNS} FROM records r WHERE r.aip_id = :aip AND r.path != :path "
        "AND substr(r.path, 1, :length) = :prefix ORDER BY r.path"
    )
    params = {"aip": aip_id, "path": path, "prefix": prefix, "length": len(prefix), "today": today}
    for row in session.execute(query.execution_options(yield_per=1000), params):
        yield Record(*row)


def records_with_references(session: Session, references: list[str], today: str) -> list[Record]:
    """The records of units with these reference codes."""
    if not references:
        return []
    params: dict[str, object] = {"today": today}
    named = bound_names("ref", tuple(references), params)
    return [
        Record(*row)
        for row in session.execute(text(f"SELECT {COLUMNS} FROM records r WHERE r.reference IN ({named})"), params)
    ]


def records_below(session: Session, reference: str, today: str) -> list[Record]:
    """The AIP-level records of units whose parent is ``reference`` (units in other AIPs described below it)."""
    return [
        Record(*row)
        for row in session.execute(
            text(
                f"SELECT {COLUMNS} FROM records r JOIN units u ON u.aip_id = r.aip_id AND u.target = r.path "
                "WHERE u.parent_reference = :parent ORDER BY r.reference"
            ),
            {"parent": reference, "today": today},
        )
    ]
