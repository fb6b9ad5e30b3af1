"""Writing the record of an ingest run as the pipeline goes (started, totals, ended, or why it stopped, with the
traceback), in the catalogue's ingest runs (catalogue.ingests); ingest.status reads them."""

from __future__ import annotations

import contextlib
import os
import socket
import traceback
from pathlib import Path
from typing import Any

from catalogue import Database
from catalogue import ingests as runs
from ingest.journal import Journal
from preservation.config import Settings
from preservation.errors import PreservationError
from preservation.identifiers import timestamp


def record_start(
    settings: Settings, database: Database, transfer_id: str, aip_id: str, given: Path, title: str, started: str
) -> None:
    """The ingest is running (again): `preserve ingest status` shows it."""
    run = runs.IngestRun(
        transfer_id,
        aip_id,
        str(given.resolve()),
        title,
        "running",
        settings.executor_kind,
        socket.gethostname(),
        os.getpid(),
        started,
    )
    with database.session() as session:
        runs.start_ingest(session, run)


def record_totals(database: Database, transfer_id: str, files: int, size: int) -> None:
    """How many files and bytes the transfer holds, once it has been scanned."""
    with database.session() as session:
        runs.set_ingest_totals(session, transfer_id, files, size)


def record_timings(database: Database, transfer_id: str, timings: dict[str, Any]) -> None:
    """Where the ingest's time has gone so far (ingest.timings), after each step."""
    with contextlib.suppress(Exception), database.session() as session:  # timings must never stop an ingest
        runs.set_ingest_timings(session, transfer_id, timings)


def record_end(database: Database, transfer_id: str, state: str, **details: Any) -> None:
    """The ingest ended in ``state`` (stored, failed, incomplete), with what it did or why it stopped."""
    with database.session() as session:
        runs.finish_ingest(session, transfer_id, state, timestamp(), **details)


def record_failure(
    database: Database, transfer_id: str, exc: BaseException, kept: bool, journal: Journal | None = None
) -> None:
    """Keep why an ingest stopped, with the traceback (and a worker's, for an error raised on one)."""
    failed = tuple(
        runs.FailedFile(f.relative, f.error, f.traceback, f.attempts)
        for f in (journal.failures() if journal is not None and kept else [])
    )
    message = exc.message if isinstance(exc, PreservationError) else f"{type(exc).__name__}: {exc}".rstrip(": ")
    hint = exc.hint if isinstance(exc, PreservationError) else ""
    text = "".join(traceback.format_exception(exc))
    with contextlib.suppress(Exception):  # the catalogue itself may be what failed: the error still reaches the user
        record_end(
            database,
            transfer_id,
            "incomplete" if kept else "failed",
            error=message,
            hint=hint,
            traceback=text,
            failed_files=failed,
        )
