"""`preserve catalogue import-ead`: the units of an EAD finding aid (as CALM and AtoM export them) into the
archive's catalogue, created or updated by reference code — never deleted, and the same file imported twice
changes nothing. A file with any problem is refused whole, every problem named with its line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from catalogue import Database
from catalogue.access_status import catalogued_access, refresh_access, sync_catalogue
from catalogue.described_units import add_described_units, all_references, described_units, replace_described_unit
from catalogue.references import hierarchy_key
from catalogue.units import aips_below, decisions_of, units_by_reference
from policies.closure import ClosurePolicy
from preservation.dates import NotADate, parse_date
from preservation.ead import EadUnit, read_ead
from preservation.errors import Problem, TransferError
from preservation.identifiers import timestamp
from preservation.model import CLOSED, DescribedUnit

PENDING_REVIEW = "pending-review"
_UNTIL = re.compile(
    r"\b(?:closed|closure|restricted|not available|not open)\b[^.;]*?\buntil\s+"
    r"(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\s+(\d{4})|(\d{1,2})/(\d{1,2})/(\d{4})|(\d{4}))",
    re.IGNORECASE,
)
# only access conditions that say nothing but this are open: "Open from 2050" is not
_OPEN = re.compile(
    r"^\s*(?:open|open to all|open access|no restrictions?|unrestricted|available to all|none|no closure)\s*\.?\s*$",
    re.IGNORECASE,
)
_PERSONAL = re.compile(r"personal (?:data|information)|data protection|section 40|\bgdpr\b|\bdpa\b", re.IGNORECASE)
_DEPOSITOR = re.compile(r"\bdepositor\b|\bowner'?s permission\b", re.IGNORECASE)
MONTHS = {
    m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


@dataclass
class EadImport:
    """What an import did (or, with ``dry_run``, would do)."""

    path: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[tuple[str, list[str]]] = field(default_factory=list)  # (reference, fields changed)
    unchanged: list[str] = field(default_factory=list)
    described_by_aips: list[str] = field(default_factory=list)  # references an AIP's metadata.csv describes: left
    pending_review: list[str] = field(default_factory=list)  # access conditions that need a person to read them
    aips_refreshed: int = 0  # AIPs below what changed, whose access was worked out again
    opening: list[str] = field(default_factory=list)  # closed units the file would open or move, and how
    decided_below: list[str] = field(default_factory=list)  # decisions that keep records shown below closed units
    not_read: dict[str, dict[str, int]] = field(default_factory=dict)  # element -> {count, first_line}


def import_ead(
    database: Database,
    path: Path,
    closure: ClosurePolicy,
    dry_run: bool = False,
    allow_opening: bool = False,
    keep: Callable[[Path], object] | None = None,
) -> EadImport:
    """Import the finding aid at ``path`` (with ``dry_run``, only say what would change); the access of AIPs
    placed below a unit that is new or changed is worked out again (``closure``: the archive's policy). A unit
    the file gives no access conditions keeps those it has; one whose closure the file would lift, or that it
    would move to another parent, is refused unless ``allow_opening`` (a closure is never dropped by accident).
    ``keep`` is given the file once it is known to be importable, before the catalogue changes (it keeps the file
    in storage; raising refuses the import)."""
    document = read_ead(path)
    problems = [Problem(f"{path}:{line}", text) for line, text in document.problems]
    units: list[DescribedUnit] = []
    for given in document.units:
        try:
            units.append(described(given, path.name))
        except NotADate as exc:
            problems.append(Problem(f"{path}:{given.line}", f"{given.reference}: its date {exc}"))
    problems += _same_keys(database, path, document.units)
    if problems:
        raise TransferError(
            f"{path}: {len(problems)} problem(s) in the finding aid; nothing was imported",
            details=problems,
            hint="Correct the finding aid (or its export from CALM or AtoM) and import it again.",
        )
    report = EadImport(str(path), dry_run)
    report.not_read = {
        name: {"count": len(lines), "first_line": min(lines)} for name, lines in sorted(document.not_read.items())
    }
    references = [unit.reference for unit in units]
    with database.session() as session:
        held = described_units(session, references)
        by_aips = units_by_reference(session, references)
        units = [_keeping_access(unit, held.get(unit.reference)) for unit in units]
        report.opening = [
            f"{unit.reference}: {why}" for unit in units if (why := _opens(unit, held.get(unit.reference)))
        ]
        if report.opening and not dry_run and not allow_opening:
            raise TransferError(
                f"{path}: the finding aid would lift the closure of, or move, {len(report.opening)} unit(s) the "
                "catalogue holds closed; nothing was imported",
                details=[Problem(str(path), line) for line in report.opening],
                hint="Check them (--dry-run lists them); if that is what is meant, import again with --allow-opening.",
            )
        if keep is not None and not dry_run:
            keep(path)
        new = []
        for unit in units:
            if unit.reference in by_aips:  # described with its files: changed by `aip update`, not from here
                report.described_by_aips.append(unit.reference)
                continue
            if unit.closure_kind == PENDING_REVIEW:
                report.pending_review.append(unit.reference)
            before = held.get(unit.reference)
            if before is None:
                new.append(unit)
                report.created.append(unit.reference)
            elif changed := unit.differences(before):
                report.updated.append((unit.reference, changed))
                if not dry_run:
                    replace_described_unit(session, unit)
            else:
                report.unchanged.append(unit.reference)
        if not dry_run:
            add_described_units(session, new)
    if not dry_run:
        touched = {*report.created, *(reference for reference, _ in report.updated)}
        with database.session() as session:
            below = aips_below(session, touched)
        report.aips_refreshed = len(below)
        refresh_access(database, closure.evaluate, closure.default(), sorted(below), catalogue_below=False)
        report.decided_below = _decisions_below_closed(database, closure, [u for u in units if u.reference in touched])
        sync_catalogue(database, closure.evaluate, closure.default())  # what OAI-PMH harvesters see of it
    return report


def _decisions_below_closed(database: Database, closure: ClosurePolicy, units: list[DescribedUnit]) -> list[str]:
    """Archivists' decisions that keep a record open or restricted below a unit the import closed (a decision at
    a record settles its access whatever is above it): each said, so that a closure is never quietly outranked."""
    today = date.today().isoformat()
    found: list[str] = []
    chains: dict = {}  # each parent's chain walked once
    with database.session() as session:
        below_any = aips_below(session, [unit.reference for unit in units])
        shown = {  # decisions below any of these units that keep a record shown
            key: decided
            for key, decided in decisions_of(session, below_any).items()
            if decided.in_force(today).status != CLOSED
        }
        if not shown:  # nothing to say, and no chain of parents to walk
            return found
        for unit in units:
            if catalogued_access(session, unit, closure.evaluate, closure.default(), today, chains).status != CLOSED:
                continue
            below = aips_below(session, [unit.reference])
            for (aip_id, target), decided in sorted(shown.items()):
                if aip_id in below:
                    place = f"objects/{target}" if target else "the whole AIP"
                    found.append(
                        f"{unit.reference} is closed, but a decision keeps {place} of AIP {aip_id} {decided.status}"
                    )
    return found


def _same_keys(database: Database, path: Path, units: list[EadUnit]) -> list[Problem]:
    """Reference codes that differ only in case or spacing from another in the file or the catalogue (DRO/52/2
    and dro/52/2 would be one place in the hierarchy, two records)."""
    problems = []
    seen: dict[str, str] = {}
    with database.session() as session:
        for reference in all_references(session):
            seen.setdefault(hierarchy_key(reference), reference)
    given: dict[str, str] = {}
    for unit in units:
        key = hierarchy_key(unit.reference)
        other = given.get(key) or seen.get(key)
        if other is not None and other != unit.reference:
            problems.append(
                Problem(f"{path}:{unit.line}", f"{unit.reference!r} is {other!r} written another way (case or spacing)")
            )
        given.setdefault(key, unit.reference)
    return problems


def _keeping_access(unit: DescribedUnit, before: DescribedUnit | None) -> DescribedUnit:
    """A unit the file gives no access conditions keeps the ones the catalogue holds (silence changes nothing)."""
    if before is None or unit.access_text:
        return unit
    return replace(
        unit, access_text=before.access_text, closure_kind=before.closure_kind, closed_until=before.closed_until
    )


def _opens(unit: DescribedUnit, before: DescribedUnit | None) -> str:
    """How importing ``unit`` could lift a closure the catalogue holds ('' if it could not): its own conditions
    dropped, or a move to another parent (out from below a closed unit, perhaps)."""
    if before is None:
        return ""
    if unit.parent_reference != before.parent_reference:
        old, new = before.parent_reference or "nothing", unit.parent_reference or "nothing"
        return f"it would move from below {old} to below {new}"
    if (before.closed_until or before.closure_kind) and not (unit.closed_until or unit.closure_kind):
        was = before.access_text or "closed"
        return f"its access conditions would go from {was!r} to {unit.access_text or 'none'!r} (open)"
    return ""


def described(unit: EadUnit, source: str) -> DescribedUnit:
    """A unit of the finding aid as the catalogue keeps it: its date's span, what its access conditions come to."""
    try:
        span = parse_date(unit.date) if unit.date else None
    except NotADate:
        if unit.date != unit.date_text:  # a normalised date must be one; a date only written as text need not
            raise
        span = None
    kind, until = access_of(unit.access)
    return DescribedUnit(
        unit.reference,
        unit.parent,
        unit.level,
        unit.title,
        unit.date,
        unit.date_text,
        span.start.isoformat() if span and span.start else "",
        span.end.isoformat() if span and span.end else "",
        unit.extent,
        unit.scope,
        unit.access,
        kind,
        until,
        unit.creators,
        source,
        timestamp(),
    )


def _stated_day(groups: tuple[str | None, ...]) -> str | None:
    """The ISO day an 'until' names (1 January of a year alone), or None when it is not a day of the calendar."""
    iso_y, iso_m, iso_d, day, month, year, uk_d, uk_m, uk_y, bare = groups
    try:
        if iso_y:
            found = date(int(iso_y), int(iso_m or 0), int(iso_d or 0))
        elif year and month:
            found = date(int(year), MONTHS.get(month[:3].lower(), 0), int(day or 0))
        elif uk_y:  # as UK archives write it: day/month/year
            found = date(int(uk_y), int(uk_m or 0), int(uk_d or 0))
        else:
            found = date(int(bare or 0), 1, 1)
    except ValueError:
        return None
    return found.isoformat()


def access_of(text: str) -> tuple[str, str]:
    """(closure kind, closed until) that access conditions as written come to: a date they state ("Closed until
    1 January 2045"); personal data or the depositor (the closure policy's kinds); nothing for open; anything
    else is pending review — a person must read it."""
    if not text.strip():
        return "", ""
    until = _UNTIL.search(text)
    if until is not None:
        stated = _stated_day(until.groups())
        if stated is None:  # a date that is not one ("30 February"): a person must read it
            return PENDING_REVIEW, ""
        return "", stated
    if _PERSONAL.search(text):
        return "personal-data", ""
    if _DEPOSITOR.search(text):
        return "depositor", ""
    if _OPEN.search(text):
        return "", ""
    return PENDING_REVIEW, ""
