"""`preserve catalogue import-ead`: the units of an EAD finding aid (as CALM and AtoM export them) into the
archive's catalogue, created or updated by reference code — never deleted, and the same file imported twice
changes nothing. A file with any problem is refused whole, every problem named with its line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from catalogue import Database
from catalogue.access_status import refresh_access, sync_catalogue
from catalogue.described_units import add_described_units, described_units, replace_described_unit
from catalogue.units import aips_below, units_by_reference
from policies.closure import ClosurePolicy
from preservation.dates import NotADate, parse_date
from preservation.ead import EadUnit, read_ead
from preservation.errors import Problem, TransferError
from preservation.identifiers import timestamp
from preservation.model import DescribedUnit

PENDING_REVIEW = "pending-review"
_UNTIL = re.compile(
    r"\b(?:closed|closure|restricted|not available)\b[^.;]*?\buntil\s+"
    r"(?:(\d{4})-(\d{2})-(\d{2})|(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\s+(\d{4})|(\d{4}))",
    re.IGNORECASE,
)
_OPEN = re.compile(r"^\s*(?:open|no restrictions?|unrestricted|available to all|none)\b", re.IGNORECASE)
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


def import_ead(database: Database, path: Path, closure: ClosurePolicy, dry_run: bool = False) -> EadImport:
    """Import the finding aid at ``path`` (with ``dry_run``, only say what would change); the access of AIPs
    placed below a unit that is new or changed is worked out again (``closure``: the archive's policy)."""
    document = read_ead(path)
    problems = [Problem(f"{path}:{line}", text) for line, text in document.problems]
    units: list[DescribedUnit] = []
    for given in document.units:
        try:
            units.append(described(given, path.name))
        except NotADate as exc:
            problems.append(Problem(f"{path}:{given.line}", f"{given.reference}: its date {exc}"))
    if problems:
        raise TransferError(
            f"{path}: {len(problems)} problem(s) in the finding aid; nothing was imported",
            details=problems,
            hint="Correct the finding aid (or its export from CALM or AtoM) and import it again.",
        )
    report = EadImport(str(path), dry_run)
    references = [unit.reference for unit in units]
    with database.session() as session:
        held = described_units(session, references)
        by_aips = units_by_reference(session, references)
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
        with database.session() as session:
            below = aips_below(session, [*report.created, *(reference for reference, _ in report.updated)])
        report.aips_refreshed = len(below)
        refresh_access(database, closure.evaluate, closure.default(), sorted(below))
        sync_catalogue(database, closure.evaluate, closure.default())  # what OAI-PMH harvesters see of it
    return report


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


def access_of(text: str) -> tuple[str, str]:
    """(closure kind, closed until) that access conditions as written come to: a date they state ("Closed until
    1 January 2045"); personal data or the depositor (the closure policy's kinds); nothing for open; anything
    else is pending review — a person must read it."""
    if not text.strip():
        return "", ""
    until = _UNTIL.search(text)
    if until is not None:
        iso_y, iso_m, iso_d, day, month, year, bare = until.groups()
        if iso_y:
            return "", f"{iso_y}-{iso_m}-{iso_d}"
        if year and month[:3].lower() in MONTHS:
            return "", f"{year}-{MONTHS[month[:3].lower()]:02}-{int(day):02}"
        if bare:
            return "", f"{bare}-01-01"
    if _PERSONAL.search(text):
        return "personal-data", ""
    if _DEPOSITOR.search(text):
        return "depositor", ""
    if _OPEN.search(text):
        return "", ""
    return PENDING_REVIEW, ""
