"""Executors run the per-file steps: in this process, or in a pool of worker processes.

``LocalExecutor`` is the embedded default (no broker). Results come back in the order the
files were given, with a bounded number of batches in flight, so memory does not grow with
the number of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ingest.journal import FileResult, JournalFile
from ingest.steps import FileWorker, WorkerSetup
from preservation.parallel import worker_map


class LocalExecutor:
    """Runs per-file work on this machine: inline for one worker, else in a process pool."""

    def __init__(self, workers: int = 1, batch_size: int = 16):
        self.workers = max(1, workers)
        self.batch_size = batch_size

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """Process every item, yielding results in input order; the first failure stops the run."""
        return worker_map(FileWorker, setup, FileWorker.run, items, self.workers, self.batch_size)
