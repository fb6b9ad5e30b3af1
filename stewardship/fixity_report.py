"""The fixity report: per location, what is held, what was checked, what is due, failures and repairs by month, and
the files lost (no intact copy in any location) from the AIPs held there."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.lost import every_lost_file, lost_file_dict
from policies.fixity import Cadence
from preservation.identifiers import timestamp, utc_now
from stewardship.schedule import due_summary


@dataclass
class Month:
    """Checks of one location in one calendar month."""

    month: str  # "2026-11"
    full_checks: int = 0
    metadata_checks: int = 0
    bytes_read: int = 0
    failures: int = 0
    repairs: int = 0


@dataclass
class LostInAip:
    """The files of one AIP that have no intact copy in any location."""

    aip_id: str
    title: str
    files: list[dict]  # lost_file_dict: path, key, states by location, found_at; by path


@dataclass
class LocationReport:
    """One location's holdings, schedule position and history."""

    name: str
    aips: int
    bytes: int
    full_every_days: float
    checked_aips: int  # copies fully checked within the last period
    checked_bytes: int
    overdue_aips: int
    overdue_bytes: int
    damaged_copies: int
    last_check: str
    months: list[Month] = field(default_factory=list)
    lost_files: list[LostInAip] = field(default_factory=list)  # of the AIPs with a copy here, by AIP


def fixity_report(
    database: Database, cadences: dict[str, Cadence], months: int = 12, now: datetime | None = None
) -> list[LocationReport]:
    """The report for every location with a cadence, over the last ``months`` months of history."""
    now = now or utc_now()
    since = timestamp(now - timedelta(days=31 * months))
    due = due_summary(database, cadences, now)
    with database.session() as session:
        history = catalogue.fixity_history(session, since)
        held = {name: catalogue.copies_in_location(session, name) for name in cadences}
        lost: dict[str, list[dict]] = {}
        for file in every_lost_file(session):
            lost.setdefault(file.aip_id, []).append(lost_file_dict(file))
    reports = []
    for name, cadence in cadences.items():
        period_start = timestamp(now - timedelta(days=cadence.full_every_days))
        recent = [r for _, r in held[name] if r.verified_at >= period_start]
        sizes = {a.id: a.bytes_stored for a, _ in held[name]}
        by_month: dict[str, Month] = {}
        last = ""
        for location, kind, checked_at, size, problems, outcome in history:
            if location != name:
                continue
            month = by_month.setdefault(checked_at[:7], Month(checked_at[:7]))
            if kind == "full":
                month.full_checks += 1
                month.bytes_read += size
            else:
                month.metadata_checks += 1
            month.failures += problems > 0
            month.repairs += outcome == "repaired"
            last = checked_at
        reports.append(
            LocationReport(
                name,
                due[name]["aips"],
                due[name]["bytes"],
                cadence.full_every_days,
                len(recent),
                sum(sizes[r.aip_id] for r in recent),
                due[name]["overdue_aips"],
                due[name]["overdue_bytes"],
                sum(r.status != "ok" for _, r in held[name]),
                last,
                sorted(by_month.values(), key=lambda m: m.month),
                [
                    LostInAip(a.id, a.title, lost[a.id])
                    for a, _ in sorted(held[name], key=lambda pair: pair[0].id)
                    if a.id in lost
                ],
            )
        )
    return reports
