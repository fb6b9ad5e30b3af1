"""Open data: the open catalogue as CSV or JSON for a council's open-data portal, a sitemap of the portal's open
record pages for search engines, and schema.org JSON-LD (ArchiveComponent) on each open record's page. Only
what anyone may see is ever written."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from typing import IO
from urllib.parse import quote
from xml.sax.saxutils import escape

from catalogue import Database
from catalogue.open_records import open_record_count, open_records
from catalogue.record_index import Record
from preservation.errors import NotFound

# The columns of the open catalogue, in order (docs/discovery.md describes each)
COLUMNS = ("reference", "title", "level", "kind", "year_start", "year_end", "collection", "format", "puid", "url")
SITEMAP_URLS = 50_000  # the sitemap protocol's limit for one file


def page_url(portal: str, record: Record) -> str:
    """The portal's page for a record (a unit of the archive's own catalogue, which no AIP holds, has its own)."""
    if not record.aip_id:
        return f"{portal}/catalogue/{quote(record.reference)}"
    path = f"/{quote(record.path)}" if record.path else ""
    return f"{portal}/records/{record.aip_id}{path}"


def catalogue_rows(database: Database, portal: str, today: str | None = None) -> Iterator[dict[str, object]]:
    """Every open record as a row of COLUMNS, in the order the index holds them (streamed)."""
    today = today or date.today().isoformat()
    with database.session() as session:
        for _, record in open_records(session, today):  # the catalogue's own units among them
            yield {
                "reference": record.reference,
                "title": record.title,
                "level": record.level,
                "kind": record.kind,
                "year_start": record.year_start,
                "year_end": record.year_end,
                "collection": record.collection,
                "format": record.format_name,
                "puid": record.puid,
                "url": page_url(portal, record),
            }


def write_catalogue_csv(out: IO[str], rows: Iterator[dict[str, object]]) -> int:
    """The rows as CSV with a header; how many were written."""
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
        count += 1
    return count


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes a cell beginning with to be a formula


def _cell(value: object) -> object:
    """A value for the CSV: '' for none; text a spreadsheet would run as a formula given a leading ' (OWASP's
    advice for CSV export), so that a title such as =HYPERLINK(…) is shown, never run."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def write_catalogue_json(out: IO[str], rows: Iterator[dict[str, object]]) -> int:
    """The rows as one JSON array, written a row at a time; how many were written."""
    out.write("[")
    count = 0
    for row in rows:
        out.write(("\n  " if not count else ",\n  ") + json.dumps(row, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def sitemap(database: Database, portal: str, part: int | None, today: str | None = None) -> str:
    """The sitemap: one file of open record pages when they fit, else an index of parts (``part`` None), or one
    part of SITEMAP_URLS pages (1 the first)."""
    today = today or date.today().isoformat()
    with database.session() as session:
        total = open_record_count(session, today)
        if part is None and total > SITEMAP_URLS:
            parts = range(1, (total + SITEMAP_URLS - 1) // SITEMAP_URLS + 1)
            entries = "".join(f"<sitemap><loc>{escape(portal)}/sitemap-{n}.xml</loc></sitemap>" for n in parts)
            return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{NS}">{entries}</sitemapindex>\n'
        if part is not None and not 0 < part <= max(1, (total + SITEMAP_URLS - 1) // SITEMAP_URLS):
            raise NotFound(f"no sitemap part {part}", hint="/sitemap.xml lists the parts there are.")
        found = open_records(session, today, ((part or 1) - 1) * SITEMAP_URLS, SITEMAP_URLS)
        pages = [f"<url><loc>{escape(page_url(portal, record))}</loc></url>" for _, record in found]
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{NS}">{"".join(pages)}</urlset>\n'


NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def json_ld(
    record: Record, breadcrumb: list[Record], description: list[tuple[str, str]], archive: str, portal: str
) -> str:
    """schema.org JSON-LD for an open record's page ('' for any other: nothing about it is published), safe
    inside a script element."""
    if record.access != "open":
        return ""
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "ArchiveComponent",
        "name": record.title or record.path,
        "url": page_url(portal, record),
        "holdingArchive": {"@type": "ArchiveOrganization", "name": archive},
    }
    if record.reference:
        data["identifier"] = record.reference
    years = [y for y in (record.year_start, record.year_end) if y is not None]
    if years:
        data["temporalCoverage"] = f"{years[0]}/{years[-1]}" if years[0] != years[-1] else str(years[0])
    text = next((v for e, v in description if e == "dc.description"), "")
    if text:
        data["description"] = text
    if record.format_name:
        data["encodingFormat"] = record.format_name
    if breadcrumb:
        parent = breadcrumb[-1]
        data["isPartOf"] = {
            "@type": "ArchiveComponent",
            "name": parent.title or parent.reference,
            "url": page_url(portal, parent),
            **({"identifier": parent.reference} if parent.reference else {}),
        }
    # "</" could end the script element early: escaped, as JSON allows
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
