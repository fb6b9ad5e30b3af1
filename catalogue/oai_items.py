"""What the OAI-PMH provider exposes: every unit of description anyone may find (open or restricted — never a
closed one), with the time it last changed, kept after it is closed or removed as a deleted record (so a
harvester learns to take it down). Written whenever access is worked out; read by the provider alone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from catalogue.described_units import described_units
from catalogue.models import DescribedUnitRow, OaiItemRow, UnitRow
from catalogue.queries import aip_descriptions
from catalogue.record_index import STATUS, Record
from catalogue.references import hierarchy_key
from catalogue.units import units_of
from preservation.model import CLOSED, Access, DescribedUnit
from preservation.parallel import batched

EXPOSED = ("open", "restricted")  # what an anonymous researcher may find


@dataclass(frozen=True)
class OaiItem:
    """One record as the provider answers with it."""

    reference: str
    collection: str
    datestamp: str
    deleted: bool
    fields: dict[str, Any]


def oai_now() -> str:
    """The time now as OAI-PMH writes datestamps (UTC, to the second)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sync_aip_items(session: Session, aip_id: str, today: str, now: str | None = None) -> None:
    """The AIP's units as the provider is to expose them now (after its access and records were worked out)."""
    units = {unit.reference: unit for unit in units_of(session, aip_id)}
    described: dict[str, list[tuple[str, str]]] = {}
    for target, element, value in aip_descriptions(session, aip_id):
        described.setdefault(target, []).append((element, value))
    rows = session.execute(
        text(
            f"SELECT r.reference, r.title, r.level, r.collection, r.year_start, r.year_end, {STATUS}, r.path "
            "FROM records r WHERE r.aip_id = :aip AND r.reference != ''"
        ),
        {"aip": aip_id, "today": today},
    ).all()
    exposed = {}
    for reference, title, level, collection, start, end, status, path in rows:
        unit = units.get(reference)
        if status not in EXPOSED or unit is None:
            continue
        values = described.get(unit.target, [])
        exposed[reference] = (
            aip_id,
            collection,
            _fields(title, level, unit.date_text, start, end, unit.parent_reference, status, values, aip_id, path),
        )
    held = set(session.scalars(select(OaiItemRow.reference).where(OaiItemRow.aip_id == aip_id)))
    sync_items(session, exposed, held | set(exposed), now or oai_now())


def sync_catalogued_items(
    session: Session, access_of: Callable[[DescribedUnit], Access], now: str | None = None
) -> None:
    """The units of the archive's own catalogue (imported finding aids) as the provider is to expose them now;
    one an AIP describes with its files is the AIP's."""
    references = list(session.scalars(select(DescribedUnitRow.reference)))
    by_aips = (
        set(session.scalars(select(UnitRow.reference).where(UnitRow.reference.in_(references))))
        if references
        else set()
    )
    parents = dict(session.execute(select(DescribedUnitRow.reference, DescribedUnitRow.parent_reference)).all())
    exposed = {}
    for batch in batched(references, 500):
        for reference, unit in described_units(session, batch).items():
            if reference in by_aips:
                continue
            access = access_of(unit)
            if access.status == CLOSED:
                continue
            values = [("description", unit.scope)] if unit.scope else []
            values += [("creator", creator) for creator in unit.creators]
            values += [("rights", unit.access_text)] if unit.access_text else []
            if unit.extent:
                values.append(("format", unit.extent))
            start = int(unit.date_start[:4]) if unit.date_start else None
            end = int(unit.date_end[:4]) if unit.date_end else None
            fields = _fields(
                unit.title,
                unit.level,
                unit.date_text or unit.date,
                start,
                end,
                unit.parent_reference,
                access.status,
                values,
                "",
                "",
            )
            exposed[reference] = ("", _top(reference, parents), fields)
    held = set(session.scalars(select(OaiItemRow.reference).where(OaiItemRow.aip_id == "")))
    sync_items(session, exposed, held | set(exposed), now or oai_now())


def sync_items(
    session: Session, exposed: dict[str, tuple[str, str, dict[str, Any]]], scope: Iterable[str], now: str
) -> None:
    """Make the items of ``scope`` what ``exposed`` says (reference -> (AIP, collection, fields)): new or changed
    ones get the datestamp ``now``, those in scope no longer exposed are deleted as of now."""
    scope = set(scope)
    rows: dict[str, OaiItemRow] = {}
    for batch in batched(sorted(scope), 500):
        rows.update(
            {row.reference: row for row in session.scalars(select(OaiItemRow).where(OaiItemRow.reference.in_(batch)))}
        )
    new = []
    for reference, (aip_id, collection, fields) in exposed.items():
        encoded = json.dumps(fields, sort_keys=True, ensure_ascii=False)
        digest = hashlib.sha256(f"{collection}\n{encoded}".encode()).hexdigest()
        row = rows.get(reference)
        if row is None:
            new.append(
                {
                    "reference": reference,
                    "aip_id": aip_id,
                    "collection": collection,
                    "datestamp": now,
                    "deleted": 0,
                    "digest": digest,
                    "fields": encoded,
                }
            )
        elif row.digest != digest or row.deleted or row.aip_id != aip_id:
            session.execute(
                update(OaiItemRow)
                .where(OaiItemRow.reference == reference)
                .values(aip_id=aip_id, collection=collection, datestamp=now, deleted=0, digest=digest, fields=encoded)
            )
    for rows_batch in batched(new, 500):
        session.execute(insert(OaiItemRow.__table__), rows_batch)
    gone = [reference for reference in scope - set(exposed) if reference in rows and not rows[reference].deleted]
    for batch in batched(gone, 500):
        session.execute(
            update(OaiItemRow).where(OaiItemRow.reference.in_(batch)).values(deleted=1, datestamp=now, fields="{}")
        )


def list_items(
    session: Session, collection: str = "", since: str = "", until: str = "", after: str = "", limit: int = 100
) -> list[OaiItem]:
    """Items by reference after ``after``, within a set and a datestamp range (inclusive), at most ``limit``."""
    query = select(OaiItemRow).where(OaiItemRow.reference > after)
    if collection:
        query = query.where(OaiItemRow.collection == collection)
    if since:
        query = query.where(OaiItemRow.datestamp >= since)
    if until:
        query = query.where(OaiItemRow.datestamp <= until)
    return [_item(row) for row in session.scalars(query.order_by(OaiItemRow.reference).limit(limit))]


def get_item(session: Session, reference: str) -> OaiItem | None:
    """One item by its reference code."""
    row = session.get(OaiItemRow, reference)
    return _item(row) if row is not None else None


def earliest_datestamp(session: Session) -> str:
    """The earliest datestamp of any item (now, for an empty repository)."""
    return session.execute(select(func.min(OaiItemRow.datestamp))).scalar_one() or oai_now()


def oai_sets(session: Session) -> list[tuple[str, str]]:
    """(collection reference, its title) of every collection with an item that is not deleted."""
    collections = session.scalars(
        select(OaiItemRow.collection).where(OaiItemRow.deleted == 0, OaiItemRow.collection != "").distinct()
    ).all()
    titles = {}
    for batch in batched(sorted(collections), 500):
        for row in session.scalars(select(OaiItemRow).where(OaiItemRow.reference.in_(batch))):
            titles[row.reference] = json.loads(row.fields or "{}").get("title", "")
    return [(collection, titles.get(collection) or collection) for collection in sorted(collections)]


def _fields(
    title: str,
    level: str,
    date: str,
    start: int | None,
    end: int | None,
    parent: str,
    access: str,
    described: list[tuple[str, str]],
    aip_id: str,
    path: str,
) -> dict[str, Any]:
    values: dict[str, list[str]] = {}
    for element, value in described:
        if not element.startswith(("archival.", "other.")) and value:
            values.setdefault(element, []).append(value)
    return {
        "title": title,
        "level": level,
        "date": date,
        "years": [start, end],
        "parent": parent,
        "access": access,
        "dc": values,
        "aip_id": aip_id,
        "path": path,
    }


def _top(reference: str, parents: dict[str, str]) -> str:
    """The reference at the top of a unit's chain of parents within the catalogue."""
    seen = {reference}
    while parents.get(reference) and parents[reference] in parents and parents[reference] not in seen:
        reference = parents[reference]
        seen.add(reference)
    return reference


def _item(row: OaiItemRow) -> OaiItem:
    return OaiItem(row.reference, row.collection, row.datestamp, bool(row.deleted), json.loads(row.fields or "{}"))


def exposed_catalogue_item(session: Session, reference: str) -> OaiItem | None:
    """A unit of the archive's own catalogue as anyone may find it (open or restricted), or None."""
    row = session.get(OaiItemRow, reference)
    return _item(row) if row is not None and not row.deleted and not row.aip_id else None


def exposed_catalogue_children(session: Session, parent: str, limit: int) -> tuple[list[OaiItem], int]:
    """The units of the archive's own catalogue directly below ``parent`` that anyone may find, in hierarchy
    order (at most ``limit``), and how many there are."""
    query = (
        select(OaiItemRow)
        .join(DescribedUnitRow, DescribedUnitRow.reference == OaiItemRow.reference)
        .where(DescribedUnitRow.parent_reference == parent, OaiItemRow.deleted == 0, OaiItemRow.aip_id == "")
    )
    rows = sorted(session.scalars(query), key=lambda row: hierarchy_key(row.reference))
    return [_item(row) for row in rows[:limit]], len(rows)


def catalogue_record(item: OaiItem) -> Record:
    """A unit of the archive's own catalogue as a record of the portal (it belongs to no AIP: its aip_id is '')."""
    fields = item.fields
    start, end = (fields.get("years") or [None, None])[:2]
    return Record(
        "", "", "unit", item.reference, fields.get("level", ""), fields.get("title", ""), item.collection,
        start, end, "", "", fields.get("access", "open"), "", "",
    )  # fmt: skip


def catalogue_unit_records(session: Session) -> list[tuple[Record, tuple[str, ...]]]:
    """The units of the archive's own catalogue anyone may find, each as a record with the words describing it."""
    query = select(OaiItemRow).where(OaiItemRow.deleted == 0, OaiItemRow.aip_id == "")
    found = []
    for row in session.scalars(query):
        item = _item(row)
        words = tuple(value for values in item.fields.get("dc", {}).values() for value in values)
        found.append((catalogue_record(item), words))
    return found
