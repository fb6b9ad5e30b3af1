"""Which checks are due: every copy fully re-read within its location's period, spread evenly over the runs.

Each run of ``preserve audit --due`` takes, per location, the copies whose last full check is
oldest: all that are overdue, then more until the run has read its even share of the location's
bytes (the location's total divided by the runs in one period) — but never a copy fully checked
more recently than one run's spacing (the period divided by the runs in it) — never beyond the run's byte
budget — except that one copy larger than the whole budget is still taken on its own, or it would
never be checked. Copies not re-read in this run get a metadata-only check when theirs is due.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from catalogue import Database
from catalogue import queries as catalogue
from policies.fixity import Cadence
from preservation.identifiers import utc_now
from preservation.model import Aip, Replica
from stewardship.audit import FULL, METADATA
from stewardship.audit_runs import PlannedCheck

NEVER = datetime.min.replace(tzinfo=utc_now().tzinfo)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text) if text else NEVER


def select_full(
    copies: list[tuple[Aip, Replica]], cadence: Cadence, now: datetime, budget_bytes: int | None = None
) -> list[tuple[Aip, Replica]]:
    """The copies of one location to re-read in full in this run (oldest check first)."""
    budget = budget_bytes if budget_bytes is not None else cadence.budget_bytes
    limit = budget if budget > 0 else float("inf")
    runs = max(cadence.full_every_days * cadence.runs_per_day, 1)
    share = sum(aip.bytes_stored for aip, _ in copies) / runs
    period = timedelta(days=cadence.full_every_days)
    spacing = period / runs  # how often an even spread re-reads any one copy, at the most
    chosen: list[tuple[Aip, Replica]] = []
    used = 0
    for aip, replica in sorted(copies, key=lambda c: (_when(c[1].verified_at), c[0].id)):
        age = now - _when(replica.verified_at)
        overdue = age >= period
        if not overdue and (used >= share or age < spacing):  # oldest first: the rest are younger still
            break
        if used + aip.bytes_stored > limit and chosen:
            break
        chosen.append((aip, replica))
        used += aip.bytes_stored
        if used >= limit:
            break
    return chosen


def plan_due(
    database: Database,
    cadences: dict[str, Cadence],
    *,
    location: str | None = None,
    aip_ref: str | None = None,
    budget_bytes: int | None = None,
    now: datetime | None = None,
) -> list[PlannedCheck]:
    """One scheduled slice: full checks chosen by ``select_full`` and the metadata checks that are due."""
    now = now or utc_now()
    plan = []
    with database.session() as session:
        only = catalogue.get_aip(session, aip_ref).id if aip_ref else None
        for name, cadence in cadences.items():
            if location is not None and name != location:
                continue
            copies = [
                (aip, replica)
                for aip, replica in catalogue.copies_in_location(session, name)
                if only is None or aip.id == only
            ]
            full = select_full(copies, cadence, now, budget_bytes)
            plan += [PlannedCheck(aip, (name,), FULL) for aip, _ in full]
            if cadence.metadata_every_days > 0:
                taken = {aip.id for aip, _ in full}
                period = timedelta(days=cadence.metadata_every_days)
                plan += [
                    PlannedCheck(aip, (name,), METADATA)
                    for aip, replica in copies
                    if aip.id not in taken
                    and now - max(_when(replica.verified_at), _when(replica.metadata_checked_at)) >= period
                ]
    return plan


def due_summary(database: Database, cadences: dict[str, Cadence], now: datetime | None = None) -> dict[str, dict]:
    """Per location: copies and bytes held, and how many are overdue for a full check."""
    now = now or utc_now()
    summary = {}
    with database.session() as session:
        for name, cadence in cadences.items():
            copies = catalogue.copies_in_location(session, name)
            period = timedelta(days=cadence.full_every_days)
            overdue = [(a, r) for a, r in copies if now - _when(r.verified_at) >= period]
            summary[name] = {
                "aips": len(copies),
                "bytes": sum(a.bytes_stored for a, _ in copies),
                "overdue_aips": len(overdue),
                "overdue_bytes": sum(a.bytes_stored for a, _ in overdue),
                "full_every_days": cadence.full_every_days,
            }
    return summary
