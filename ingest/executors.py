"""Executors run the work ingest and fixity audits hand out: on this machine, or on Celery workers.

``executor_for(settings)`` is the one place that chooses, by ``[executor] kind`` in preserve.toml:
``LocalExecutor``, the embedded default (no broker), or ``ingest.tasks.CeleryExecutor``. Both run an
ingest's per-file steps (``run``: results in the order the files were given, a bounded number of
batches in flight, so memory does not grow with the number of files) and an audit plan (``audit``),
and say before anything starts whether they can (``check_ready``).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from catalogue import Database
from ingest.journal import FileResult, JournalFile
from ingest.steps import FileWorker, WorkerSetup
from ingest.tasks import CeleryExecutor
from preservation.config import Settings
from preservation.model import Aip
from preservation.parallel import worker_map
from stewardship.audit_runs import AipAudit, CopyResult, PlannedCheck, run_audit

OnBytes = Callable[[int], None]
OnCopy = Callable[[Aip, CopyResult], None]


class Executor(Protocol):
    """What ingest and audits ask of an executor."""

    @property
    def reports_progress(self) -> bool:
        """Whether ``audit`` calls its ``on_bytes`` and ``on_copy`` as it goes (worth a progress bar)."""
        ...

    def check_ready(self) -> None:
        """A PreservationError, before anything starts, when the work could not be done."""
        ...

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """An ingest's per-file steps for every item, yielding results in input order."""
        ...

    def audit(
        self,
        settings: Settings,
        database: Database,
        plan: list[PlannedCheck],
        repair: bool,
        on_bytes: OnBytes | None = None,
        on_copy: OnCopy | None = None,
    ) -> list[AipAudit]:
        """Carry out an audit plan as one run, recording every result; the AIPs' audits in plan order."""
        ...

    def make_copies(self, settings: Settings, aip_id: str) -> None:
        """Start making the derivatives ingest left for later for ``aip_id``, in the background; return at once."""
        ...


def executor_for(settings: Settings, workers: int | None = None) -> Executor:
    """The executor ``[executor]`` in preserve.toml asks for: Celery workers (kind "celery") or this machine,
    with ``workers`` processes for per-file work (default: ``settings.workers``)."""
    if settings.executor_kind == "celery":
        return CeleryExecutor.from_settings(settings)
    return LocalExecutor(settings.workers if workers is None else workers)


class LocalExecutor:
    """Runs work on this machine: per-file work inline for one worker, else in a process pool; audits in this
    process."""

    reports_progress = True

    def __init__(self, workers: int = 1, batch_size: int = 16):
        self.workers = max(1, workers)
        self.batch_size = batch_size

    def check_ready(self) -> None:
        """Nothing to check: the pool starts with the run."""

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """Process every item, yielding results in input order; the first failure stops the run."""
        return worker_map(FileWorker, setup, FileWorker.run, items, self.workers, self.batch_size)

    def audit(
        self,
        settings: Settings,
        database: Database,
        plan: list[PlannedCheck],
        repair: bool,
        on_bytes: OnBytes | None = None,
        on_copy: OnCopy | None = None,
    ) -> list[AipAudit]:
        """Audit the plan here, reporting bytes read and copies checked as it goes."""
        return run_audit(settings, database, plan, repair=repair, on_bytes=on_bytes, on_copy=on_copy)

    def make_copies(self, settings: Settings, aip_id: str) -> None:
        """`preserve migrate --pending --aip AIP` in a process of its own that outlives this one (its output in
        the archive's logs/copies-after-ingest.log); if it never runs or stops, the AIP stays pending."""
        logs = settings.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "cli.main", "--home", str(settings.home)]
        command += ["--config", str(settings.config_file)] if settings.config_file else []
        command += ["migrate", "--pending", "--aip", aip_id]
        with (logs / "copies-after-ingest.log").open("ab") as log:
            subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True
            )
