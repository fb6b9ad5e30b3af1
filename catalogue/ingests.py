"""The table of ingest runs and its queries: one row per ingest (running, stored, failed, incomplete), written by
ingest.run_records and read by ingest.status."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.models import IngestRow
from preservation.errors import NotFound


@dataclass(frozen=True)
class FailedFile:
    """A file the per-file work could not process, with what went wrong."""

    path: str
    error: str
    traceback: str = ""
    attempts: int = 1


@dataclass(frozen=True)
class IngestRun:
    """One ingest: its transfer id, source, state and, if it stopped, why."""

    transfer_id: str
    aip_id: str
    source: str
    title: str
    state: str  # running, stored, failed (cleaned up), incomplete (kept: run it again to finish)
    executor: str
    host: str
    pid: int
    started: str
    finished: str = ""
    files: int = 0
    bytes: int = 0
    error: str = ""
    hint: str = ""
    traceback: str = ""
    failed_files: tuple[FailedFile, ...] = field(default=())
    timings: dict[str, Any] = field(default_factory=dict)  # where the time went (ingest.timings)


def start_ingest(session: Session, run: IngestRun) -> None:
    """Record that an ingest has started (or resumed: the row of its transfer is reset to running)."""
    row = session.get(IngestRow, run.transfer_id)
    values = _row_values(run)
    if row is None:
        session.add(IngestRow(**values))
        return
    for key, value in values.items():
        setattr(row, key, value)


def finish_ingest(
    session: Session,
    transfer_id: str,
    state: str,
    finished: str,
    *,
    files: int = 0,
    size: int = 0,
    error: str = "",
    hint: str = "",
    traceback: str = "",
    failed_files: tuple[FailedFile, ...] = (),
) -> None:
    """Record how an ingest ended: stored, failed or incomplete, with its error and failed files."""
    row = session.get(IngestRow, transfer_id)
    if row is None:
        return
    row.state, row.finished, row.error, row.hint, row.traceback = state, finished, error, hint, traceback
    row.files, row.bytes = files or row.files, size or row.bytes
    row.failed_files = json.dumps([vars(f) for f in failed_files])


def set_ingest_totals(session: Session, transfer_id: str, files: int, size: int) -> None:
    """Record how many files and bytes the transfer holds, once it has been scanned."""
    row = session.get(IngestRow, transfer_id)
    if row is not None:
        row.files, row.bytes = files, size


def set_ingest_timings(session: Session, transfer_id: str, timings: dict[str, Any]) -> None:
    """Record where the ingest's time has gone so far (JSON, as ingest.timings writes it)."""
    row = session.get(IngestRow, transfer_id)
    if row is not None:
        row.timings = json.dumps(timings)


def list_ingests(session: Session, limit: int = 50, state: str = "") -> list[IngestRun]:
    """The most recent ingests first (optionally only those in ``state``)."""
    query = select(IngestRow).order_by(IngestRow.started.desc()).limit(limit)
    if state:
        query = query.where(IngestRow.state == state)
    return [_run(row) for row in session.scalars(query)]


def get_ingest(session: Session, reference: str) -> IngestRun:
    """The ingest whose transfer id (or AIP id) is, or starts with, ``reference``; NotFound otherwise."""
    rows = list(
        session.scalars(
            select(IngestRow)
            .where(
                IngestRow.transfer_id.startswith(reference, autoescape=True)
                | IngestRow.aip_id.startswith(reference, autoescape=True)
            )
            .limit(2)
        )
    )
    if len(rows) != 1:
        raise NotFound(
            f"{reference}: {'no' if not rows else 'more than one'} ingest has this transfer or AIP id",
            hint="`preserve ingest status` lists recent ingests.",
        )
    return _run(rows[0])


def _row_values(run: IngestRun) -> dict[str, Any]:
    values = {name: getattr(run, name) for name in IngestRun.__dataclass_fields__ if name not in _JSON}
    values["failed_files"] = json.dumps([vars(f) for f in run.failed_files])
    values["timings"] = json.dumps(run.timings)
    return values


def _run(row: IngestRow) -> IngestRun:
    values = {name: getattr(row, name) for name in IngestRun.__dataclass_fields__ if name not in _JSON}
    return IngestRun(
        **values,
        failed_files=tuple(FailedFile(**f) for f in json.loads(row.failed_files or "[]")),
        timings=json.loads(row.timings or "{}"),
    )


_JSON = ("failed_files", "timings")  # kept as JSON text in their columns
