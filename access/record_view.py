"""A record as a person may see it: its description, where it sits in the hierarchy, what is below it,
and a preview of its content when the record is open.

Every path that reveals a record goes through ``view_record`` or ``preview``: a record the person may
not find (closed, for a researcher) is answered exactly as a record that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from access import previews
from access.iiif_images import TILEABLE
from access.search import EVERYTHING, RESEARCHER
from catalogue import Database
from catalogue import queries as catalogue
from catalogue.accounts import User
from catalogue.images import open_images
from catalogue.oai_items import catalogue_record, exposed_catalogue_children, exposed_catalogue_item
from catalogue.record_index import (
    Record,
    record_at,
    records_below,
    records_under,
    records_with_references,
    unit_records,
)
from catalogue.requests_outbox import files_of_record
from catalogue.units import units_of
from preservation.config import Settings
from preservation.errors import NotFound
from preservation.model import OPEN, FileRecord

PREVIEWABLE = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf")
CATALOGUE_LABELS = {"format": "extent", "rights": "access conditions"}
MAX_CHILDREN = 200  # listed on a record's page; more are found by searching
# the Dublin Core elements a record's page shows (the catalogue keeps them by their bare names: title, date …)
DESCRIBED = ("title", "date", "creator", "description", "subject", "publisher", "type", "language", "rights")


@dataclass
class RecordView:
    """What a record's page shows."""

    record: Record
    description: list[tuple[str, str]] = field(default_factory=list)  # (Dublin Core element, value)
    breadcrumb: list[Record] = field(default_factory=list)  # from the top of the hierarchy down to the parent
    children: list[Record] = field(default_factory=list)
    more_children: int = 0
    preview_mime: str = ""  # '' when there is nothing the person may preview
    images: int = 0  # open images at or below the record for the deep-zoom viewer (IIIF): 0, 1, or 2 for several


def findable(user: User | None) -> tuple[str, ...]:
    """The access statuses of records this person may find: archivists find everything."""
    return EVERYTHING if user is not None and user.role in ("archivist", "administrator") else RESEARCHER


def view_record(
    database: Database, user: User | None, aip_id: str, path: str, today: str | None = None, preview_limit: int = 0
) -> RecordView:
    """The record at ``path`` ('' the AIP's own) in AIP ``aip_id``; NotFound if there is none this person may find.
    A file larger than ``preview_limit`` bytes (0: no limit) is offered no preview.

    Memory stays small whatever the AIP's size: the records that can hold others (described folders)
    are few, and the records below are read in batches, keeping the first ``MAX_CHILDREN``."""
    today = today or date.today().isoformat()
    allowed = findable(user)
    with database.session() as session:
        record = record_at(session, aip_id, path, today)
        if record is None or record.access not in allowed:
            raise NotFound("no such record", hint="Search the catalogue to find records.")
        described = [
            (f"dc.{element}", value)
            for target, element, value in catalogue.aip_descriptions(session, aip_id)
            if target == path and element in DESCRIBED
        ]
        holders = unit_records(session, aip_id, today)
        trail = _ancestors_in_aip(holders, path)
        above = _units_above(session, (trail[0] if trail else record).reference, aip_id, today)
        children: list[Record] = []
        more = 0
        for below in records_under(session, aip_id, path, today):
            if below.access in allowed and _nearest_above(holders, below.path) == path:
                if len(children) < MAX_CHILDREN:
                    children.append(below)
                else:
                    more += 1
        if record.reference:
            children += [
                r for r in records_below(session, record.reference, today) if r.aip_id != aip_id and r.access in allowed
            ][:MAX_CHILDREN]
        preview = _previewable(session, record, user, today) if record.kind == "file" or record.file_id else None
        if preview is not None and preview_limit and preview.size > preview_limit:
            preview = None  # too large to show: the page offers no frame that would only say so
        images = open_images(session, aip_id, path, today, TILEABLE, 2) if record.access == OPEN else []
    return RecordView(
        record,
        described,
        [r for r in above + trail if r.access in allowed],
        children,
        more,
        preview.format.mime_type if preview else "",
        len(images),
    )


def _units_above(session, reference: str, aip_id: str, today: str) -> list[Record]:
    """The records of the units above ``reference`` in other AIPs, top first (by parent reference codes)."""
    units = {u.reference: u for u in units_of(session, aip_id)}
    return _chain_above(session, units[reference].parent_reference if reference in units else "", today)


def _chain_above(session, parent: str, today: str) -> list[Record]:
    """``parent`` and the units above it, top first: AIPs' records, and units of the archive's own catalogue
    that anyone may find (a closed one, and what is above it, is left out)."""
    above: list[Record] = []
    seen: set[str] = set()
    while parent and parent not in seen and len(above) < 20:
        seen.add(parent)
        found = [r for r in records_with_references(session, [parent], today) if r.aip_id]  # an AIP's unit
        if found:
            above.insert(0, found[0])
            parent_units = {u.reference: u for u in units_of(session, found[0].aip_id)}
            parent = parent_units[parent].parent_reference if parent in parent_units else ""
            continue
        item = exposed_catalogue_item(session, parent)
        if item is None:
            break
        above.insert(0, catalogue_record(item))
        parent = item.fields.get("parent", "")
    return above


def view_catalogue_unit(database: Database, reference: str, today: str | None = None) -> RecordView:
    """A unit of the archive's own catalogue (imported from a finding aid) as anyone may see it (no files: no
    preview, no images); NotFound when it is closed (or below a closed unit) or there is none — the same for
    every visitor."""
    today = today or date.today().isoformat()
    with database.session() as session:
        item = exposed_catalogue_item(session, reference)
        if item is None:
            raise NotFound("no such record", hint="Search the catalogue to find records.")
        record = catalogue_record(item)
        # named as a catalogue names them (OAI-PMH's Dublin Core holds the extent as format, the conditions as rights)
        described = [
            (f"dc.{CATALOGUE_LABELS.get(element, element)}", value)
            for element, values in item.fields.get("dc", {}).items()
            for value in values
        ]
        if item.fields.get("date"):
            described.insert(0, ("dc.date", item.fields["date"]))
        items, count = exposed_catalogue_children(session, reference, MAX_CHILDREN)
        children = [catalogue_record(child) for child in items]
        placed = [r for r in records_below(session, reference, today) if r.access in RESEARCHER]
        breadcrumb = _chain_above(session, item.fields.get("parent", ""), today)
    if any(above.access not in RESEARCHER for above in breadcrumb):  # below a closed record: as if it were not
        raise NotFound("no such record", hint="Search the catalogue to find records.")
    return RecordView(record, described, breadcrumb, children + placed[:MAX_CHILDREN], max(0, count - len(items)))


def preview(
    settings: Settings, database: Database, user: User | None, aip_id: str, path: str, today: str | None = None
) -> tuple[Path, str]:
    """An open file's preview (of the original, or its access copy) from the preview cache, made once from a copy
    checked against the inventory; (file, MIME type). NotFound for anything this person may not see, and for a
    file that has no preview (too large, or an image that cannot be shown)."""
    today = today or date.today().isoformat()
    with database.session() as session:  # only what decides: the record, who may find it, its previewable file
        record = record_at(session, aip_id, path, today)
        chosen = _previewable(session, record, user, today) if record and record.access in findable(user) else None
    if chosen is None:  # a closed record, one that does not exist, or nothing to show: the same answer
        raise NotFound("no preview of this record", hint="Request a copy instead.")
    return previews.cached_preview(settings, database, chosen)  # only now is the cache looked at


def _previewable(session, record: Record, user: User | None, today: str) -> FileRecord | None:
    """The file to show for a file record (the original, else its access copy), if the person may see it."""
    files = files_of_record(session, record.aip_id, record.path)
    original = next(
        ((f, a) for f, a in files if f.role == "original" and f.path == f"data/objects/{record.path}"), None
    )
    if original is None:
        return None
    archivist = user is not None and user.role in ("archivist", "administrator")
    if not archivist and original[1].in_force(today).status != OPEN:
        return None
    candidates = [original[0]] + [f for f, _ in files if f.role == "access" and f.derived_from == original[0].id]
    return next((f for f in candidates if f.format.mime_type.split(";")[0] in PREVIEWABLE), None)


def _nearest_above(by_path: dict[str, Record], path: str) -> str | None:
    """The path of the nearest record above ``path`` in the same AIP (None at the top)."""
    parts = path.split("/") if path else []
    for depth in range(len(parts) - 1, -1, -1):
        candidate = "/".join(parts[:depth])
        if candidate in by_path:
            return candidate
    return None


def _ancestors_in_aip(by_path: dict[str, Record], path: str) -> list[Record]:
    trail: list[Record] = []
    above = _nearest_above(by_path, path)
    while above is not None:
        trail.insert(0, by_path[above])
        above = _nearest_above(by_path, above)
    return trail
