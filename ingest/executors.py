"""Executors run the per-file steps: in this process, or in a pool of worker processes.

``LocalExecutor`` is the embedded default (no broker). Results come back in the order the
files were given, with a bounded number of batches in flight, so memory does not grow with
the number of files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor

from ingest.journal import FileResult, JournalFile
from ingest.steps import FileWorker, WorkerSetup
from preservation.parallel import batched, ordered_map

# The FileWorker of a pool process, built once by the pool's initializer (process-local, not shared).
_process_worker: FileWorker | None = None


def _init_process(setup: WorkerSetup) -> None:
    global _process_worker
    _process_worker = FileWorker(setup)


def _process_batch(items: list[JournalFile]) -> list[FileResult]:
    assert _process_worker is not None, "worker process was not initialised"
    return [_process_worker.process(item) for item in items]


class LocalExecutor:
    """Runs per-file work on this machine: inline for one worker, else in a process pool."""

    def __init__(self, workers: int = 1, batch_size: int = 16):
        self.workers = max(1, workers)
        self.batch_size = batch_size

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """Process every item, yielding results in input order; the first failure stops the run."""
        if self.workers == 1:
            worker = FileWorker(setup)
            for item in items:
                yield worker.process(item)
            return
        with ProcessPoolExecutor(self.workers, initializer=_init_process, initargs=(setup,)) as pool:
            batches = batched(items, self.batch_size)
            for results in ordered_map(pool, _process_batch, batches, window=self.workers * 4):
                yield from results
