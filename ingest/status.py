"""Reading for `preserve ingest status`: each ingest's recorded run (catalogue.ingests) checked against its
staging area (still running, interrupted and resumable, or abandoned)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from catalogue import Database
from catalogue import ingests as runs
from ingest import staging as staging_area
from preservation.config import Settings


@dataclass(frozen=True)
class IngestStatus:
    """An ingest run as recorded, with what its staging area says now."""

    run: runs.IngestRun
    state: str  # running, stored, failed, incomplete, interrupted (its process died), abandoned (cleaned up)
    files_done: int  # files stored so far (while it runs or once it stopped part way)
    resumable: bool  # its staging area is there and no process holds it

    @property
    def transfer_id(self) -> str:
        """The transfer id the ingest runs under."""
        return self.run.transfer_id


def ingest_statuses(settings: Settings, database: Database, limit: int = 50, state: str = "") -> list[IngestStatus]:
    """The most recent ingests, newest first."""
    recorded = {"interrupted": "running", "abandoned": ""}.get(state, state)  # these two are found, not recorded
    with database.session() as session:
        found = runs.list_ingests(session, limit if recorded == state else 100_000, recorded)
    statuses = [_status(settings, run) for run in found]
    return statuses if recorded == state else [s for s in statuses if s.state == state][:limit]


def ingest_status(settings: Settings, database: Database, reference: str) -> IngestStatus:
    """One ingest by its transfer id or AIP id (or the start of either); NotFound otherwise."""
    with database.session() as session:
        return _status(settings, runs.get_ingest(session, reference))


def _status(settings: Settings, run: runs.IngestRun) -> IngestStatus:
    area = settings.staging_dir / run.transfer_id
    journal = area / "journal.sqlite"
    there = journal.is_file()
    held = there and staging_area.held(area)
    state = run.state
    if state == "running" and not held:
        state = "interrupted"
    if state in ("interrupted", "incomplete") and not there:  # removed by `preserve doctor --fix`
        state = "abandoned"
    done = _files_done(journal) if there and state != "stored" else (run.files if state == "stored" else 0)
    return IngestStatus(run, state, done, there and not held and state in ("interrupted", "incomplete"))


def _files_done(journal: Path) -> int:
    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=1) as db:
            (done,) = db.execute("SELECT count(stored_at) FROM files WHERE role = 'original'").fetchone()
    except sqlite3.Error:
        return 0
    return done
