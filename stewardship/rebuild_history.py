"""What a rebuild works out from an AIP's event log beyond the events themselves: each copy's stored
date, last checks and state, and the history of fixity checks that schedules and reports read.

The event log is read document by document, in the order each document lists its events: one audit
of one AIP is one document, holding for each copy its check, then (if the copy was repaired) the
recovery and the check after repair. A document is written to every location holding the AIP, so
the same check is found once per location; checks are kept by event id, once.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from preservation.model import FIXITY_CHECK, RECOVERY, REPLICATION, SUCCESS, Event, Replica

FULL, METADATA = "full", "metadata"  # as stewardship.audit names the kinds of check
_QUOTED = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"  # a Python repr of a string, as events write names
_REPLICATED_TO = re.compile(rf"to location {_QUOTED}")
# a whole copy repaired (before file-by-file repair), a file of a copy re-written or restored, a repair that failed
_REPAIRED = re.compile(
    rf"(?:in location {_QUOTED} (?:repaired|re-written|restored) from|"
    rf"repair of the copy in location {_QUOTED})"
)
_COUNTS = re.compile(r"(\d+) files, (\d+) bytes(?: read)?")  # "… bytes read" may lead a failed check's list
_MORE = re.compile(r"and (\d+) more$")


@dataclass(frozen=True)
class CheckRecord:
    """One check of one copy, as the catalogue's check history keeps it."""

    event_id: str
    location: str
    kind: str  # full or metadata
    checked_at: str
    files: int  # 0 where the event does not say (a failed check lists its problems, not its counts)
    bytes: int
    problems: int
    outcome: str  # ok, repaired or damaged
    verified: bool  # a full check, or a repair verified by one: it sets the copy's last verified date


@dataclass
class _Open:
    """A copy's check in one document, while its repair (if any) is still to come."""

    check: Event
    repaired: bool = False
    after: Event | None = None


def _name(pattern: re.Pattern, text: str) -> str:
    match = pattern.search(text)
    quoted = next((group for group in match.groups() if group), "") if match else ""
    return ast.literal_eval(quoted) if quoted else ""


def _location(event: Event) -> str:
    """The location a copy-level fixity check event names (``location=NAME``, its last field)."""
    _, found, name = event.detail.rpartition("; location=")
    return name if found else ""


def _problems(check: Event) -> int:
    if check.outcome == SUCCESS:
        return 0
    items = [item for item in check.outcome_detail.split("; ") if item and not _COUNTS.fullmatch(item)]
    more = _MORE.fullmatch(items[-1]) if items else None
    return len(items) - 1 + int(more.group(1)) if more else len(items)


def _record(location: str, state: _Open) -> CheckRecord:
    check = state.check
    counts = _COUNTS.search(check.outcome_detail)
    if check.outcome == SUCCESS:
        outcome = "ok"
    else:
        outcome = "repaired" if state.after is not None and state.after.outcome == SUCCESS else "damaged"
    kind = METADATA if "; metadata only;" in check.detail else FULL
    return CheckRecord(
        check.id,
        location,
        kind,
        check.datetime,
        int(counts.group(1)) if counts else 0,
        int(counts.group(2)) if counts else 0,
        _problems(check),
        outcome,
        kind == FULL or state.after is not None,
    )


def _document_checks(events: Iterable[Event]) -> list[CheckRecord]:
    """The checks one event log document records, one per copy checked."""
    states: dict[str, _Open] = {}
    for event in events:
        if event.type == FIXITY_CHECK and not event.file_id and (location := _location(event)):
            state = states.get(location)
            if state is not None and state.repaired and state.after is None:
                state.after = event  # the check of the repaired copy
            else:
                states[location] = _Open(event)
        elif event.type == RECOVERY and (location := _name(_REPAIRED, event.detail)) in states:
            states[location].repaired = True
    return [_record(location, state) for location, state in states.items()]


def fixity_checks(documents: Iterable[list[Event]]) -> list[CheckRecord]:
    """Every check of every copy the event log documents record, oldest first."""
    found: dict[str, CheckRecord] = {}
    for events in documents:
        for record in _document_checks(events):
            found.setdefault(record.event_id, record)
    return sorted(found.values(), key=lambda r: (r.checked_at, r.location, r.event_id))


def stored_dates(events: Iterable[Event]) -> dict[str, str]:
    """When a copy was first written to each location: its earliest replication event."""
    dates: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.datetime):
        if event.type == REPLICATION and event.outcome == SUCCESS:
            location = _name(_REPLICATED_TO, event.detail)
            if location:
                dates.setdefault(location, event.datetime)
    return dates


def copy_state(replica: Replica, stored_at: str, checks: Iterable[CheckRecord]) -> Replica:
    """A copy as its history leaves it: stored then (and verified by that write), then each check in turn."""
    state = replace(replica, stored_at=stored_at, verified_at=stored_at, status="ok")
    for check in checks:
        if check.location != replica.location or check.checked_at < stored_at:
            continue
        status = "damaged" if check.outcome == "damaged" else "ok"
        if check.verified:
            state = replace(state, status=status, verified_at=check.checked_at)
        else:  # a metadata-only pass does not clear damage a full check found (as an audit records it)
            state = replace(
                state, status="damaged" if state.status == "damaged" else status, metadata_checked_at=check.checked_at
            )
    return state


def aip_status(replicas: Iterable[Replica]) -> str:
    """``stored`` when every copy is intact as last checked, else ``damaged`` (as an audit leaves it)."""
    return "stored" if all(r.status == "ok" for r in replicas) else "damaged"
