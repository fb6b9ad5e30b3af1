"""Units of archival description, archivists' access decisions and the effective access of AIPs and files."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from catalogue.models import AccessDecisionRow, AipRow, DescribedUnitRow, DescriptionRow, FileRow, UnitRow
from preservation.dates import NotADate, parse_date
from preservation.identifiers import name_uuid
from preservation.model import ARCHIVAL, Access, Unit
from preservation.parallel import batched


def units_from_descriptions(aip_id: str, descriptions: dict[str, tuple[tuple[str, str], ...]]) -> list[Unit]:
    """The units an AIP's descriptions define: every target given a reference code."""
    units = []
    for target, values in descriptions.items():
        given = dict(reversed(values))  # the first value of each element
        reference = given.get(ARCHIVAL + "reference", "")
        if not reference:
            continue
        date_text = given.get("date", "")
        try:
            span = parse_date(date_text) if date_text else None
        except NotADate:  # checked at ingest; an older AIP's free-text date simply has no span
            span = None
        units.append(
            Unit(
                name_uuid(aip_id, f"unit:{target}"),
                aip_id,
                target,
                reference,
                given.get(ARCHIVAL + "level", ""),
                given.get(ARCHIVAL + "parent", ""),
                given.get("title", ""),
                date_text,
                span.start.isoformat() if span and span.start else "",
                span.end.isoformat() if span and span.end else "",
                given.get(ARCHIVAL + "closure", ""),
            )
        )
    return units


def replace_units(session: Session, aip_id: str, units: list[Unit]) -> None:
    """Make ``units`` the AIP's units of description."""
    session.execute(delete(UnitRow).where(UnitRow.aip_id == aip_id))
    if units:
        session.execute(insert(UnitRow.__table__), [vars(unit) for unit in units])


def units_of(session: Session, aip_id: str) -> list[Unit]:
    """The AIP's units of description."""
    return [_unit(row) for row in session.scalars(select(UnitRow).where(UnitRow.aip_id == aip_id))]


def units_by_reference(session: Session, references: Iterable[str]) -> dict[str, Unit]:
    """The units with these reference codes (those that exist)."""
    found = {}
    for batch in batched(sorted(set(references)), 500):
        found.update(
            {row.reference: _unit(row) for row in session.scalars(select(UnitRow).where(UnitRow.reference.in_(batch)))}
        )
    return found


def aips_below(session: Session, references: Iterable[str]) -> set[str]:
    """Every AIP holding a unit below any of ``references`` (at any depth, through units of the archive's own
    catalogue too)."""
    found, frontier, seen = set(), set(references), set()
    while frontier:
        seen |= frontier
        asked = sorted(frontier)
        rows = session.execute(
            select(UnitRow.reference, UnitRow.aip_id).where(UnitRow.parent_reference.in_(asked))
        ).all()
        catalogued = session.scalars(
            select(DescribedUnitRow.reference).where(DescribedUnitRow.parent_reference.in_(asked))
        ).all()
        found |= {aip_id for _, aip_id in rows}
        frontier = ({reference for reference, _ in rows} | set(catalogued)) - seen
    return found


def set_decision(session: Session, aip_id: str, target: str, access: Access, by: str, when: str) -> None:
    """Record an archivist's access decision on an AIP ('' ) or a path under objects/ (it replaces any earlier)."""
    session.execute(
        delete(AccessDecisionRow).where(AccessDecisionRow.aip_id == aip_id, AccessDecisionRow.target == target)
    )
    session.add(
        AccessDecisionRow(
            aip_id=aip_id,
            target=target,
            status=access.status,
            closed_until=access.closed_until,
            reason=access.reason,
            decided_by=by,
            decided_at=when,
        )
    )


def decisions_of(session: Session, aip_ids: Iterable[str]) -> dict[tuple[str, str], Access]:
    """(AIP, target) -> the decision in force, for the given AIPs."""
    found = {}
    for batch in batched(sorted(set(aip_ids)), 500):
        for row in session.scalars(select(AccessDecisionRow).where(AccessDecisionRow.aip_id.in_(batch))):
            found[(row.aip_id, row.target)] = Access(
                row.status, row.closed_until, f"{row.reason} (decided by {row.decided_by})"
            )
    return found


def file_targets(session: Session, aip_id: str) -> list[tuple[str, str, str, str]]:
    """(file id, path under objects/, review flag, the id of the file it was derived from or '') of every file
    of the AIP."""
    rows = session.execute(
        select(FileRow.id, FileRow.path, FileRow.review, FileRow.derived_from).where(FileRow.aip_id == aip_id)
    )
    return [
        (file_id, path.removeprefix("data/objects/"), review, source or "") for file_id, path, review, source in rows
    ]


def set_access(session: Session, aip_id: str, aip_access: Access, files: list[tuple[str, Access]]) -> None:
    """Store the effective access of an AIP and of its files."""
    session.execute(
        update(AipRow).where(AipRow.id == aip_id).values(access=aip_access.status, closed_until=aip_access.closed_until)
    )
    for batch in batched(files, 1000):
        session.execute(
            update(FileRow),
            [
                {
                    "id": file_id,
                    "access": access.status,
                    "closed_until": access.closed_until,
                    "access_reason": access.reason,
                }
                for file_id, access in batch
            ],
        )


def _unit(row: UnitRow) -> Unit:
    return Unit(
        row.id,
        row.aip_id,
        row.target,
        row.reference,
        row.level,
        row.parent_reference,
        row.title,
        row.date_text,
        row.date_start,
        row.date_end,
        row.closure_kind,
    )


def files_access(session: Session, aip_id: str, target: str = "") -> list[tuple[str, Access]]:
    """(path under objects/, effective access) of the AIP's files at or under ``target``, in path order."""
    query = (
        select(FileRow.path, FileRow.access, FileRow.closed_until, FileRow.access_reason)
        .where(FileRow.aip_id == aip_id, FileRow.role != "metadata")
        .order_by(FileRow.path)
    )
    rows = [
        (path.removeprefix("data/objects/"), Access(status, until, reason))
        for path, status, until, reason in session.execute(query)
    ]
    return [(path, access) for path, access in rows if not target or path == target or path.startswith(target + "/")]


def aip_access(session: Session, aip_id: str) -> Access:
    """The effective access of the AIP as a whole."""
    status, until = session.execute(select(AipRow.access, AipRow.closed_until).where(AipRow.id == aip_id)).one()
    return Access(status, until)


def described_targets(session: Session, aip_id: str) -> list[tuple[str, int]]:
    """(target, values) of every target the AIP's descriptions speak of."""
    return list(
        session.execute(
            select(DescriptionRow.target, func.count())
            .where(DescriptionRow.aip_id == aip_id)
            .group_by(DescriptionRow.target)
        ).all()
    )
