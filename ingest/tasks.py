"""The Celery adapter for ingest: per-file work as tasks, and the executor that fans it out.

Celery is imported here (and in ``cli/scheduler.py``) only. Tasks carry a batch of journal rows
and the worker set-up as JSON (``preservation.plain``): small plain data, never pickles. Each task is
acknowledged only when done (``acks_late``) and re-queued if its worker dies, and the per-file
work is idempotent (keys are written with overwrite), so a redelivered batch does no harm.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

from ingest.journal import FileResult, JournalFile
from ingest.steps import FileWorker, WorkerSetup
from preservation.errors import QueueError
from preservation.parallel import batched
from preservation.plain import from_plain, to_plain

QUEUE = "preserve.ingest"
_apps: dict[tuple[str, int], object] = {}
_workers: dict[WorkerSetup, FileWorker] = {}


def celery_app(broker: str, visibility_timeout: int = 3600):
    """The archive's Celery app for ``broker`` (results go back through the same Redis); a task a dead worker
    took is handed to another after ``visibility_timeout`` seconds."""
    if (broker, visibility_timeout) in _apps:
        return _apps[(broker, visibility_timeout)]
    try:
        from celery import Celery
    except ImportError:
        raise QueueError("the Celery executor needs Celery", hint="pip install 'preserve[queue]'") from None
    app = Celery("preserve", broker=broker, backend=broker)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=QUEUE, result_expires=3600, broker_connection_retry_on_startup=False,
        broker_transport_options={"visibility_timeout": visibility_timeout}, result_backend_transport_options={},
    )
    app.task(name="preserve.process_batch", acks_late=True, reject_on_worker_lost=True)(process_batch)
    from celery.signals import worker_shutdown

    worker_shutdown.connect(close_workers, weak=False)
    _apps[(broker, visibility_timeout)] = app
    return app


def close_workers(**_) -> None:
    """Stop the FileWorkers' child processes (validators, scanners) as the Celery worker shuts down."""
    while _workers:
        _, worker = _workers.popitem()
        worker.close()


def process_batch(setup: dict, items: list[dict]) -> list[dict]:
    """The per-file steps for a batch of files (one FileWorker per setup, kept by each worker process)."""
    worker_setup = from_plain(WorkerSetup, setup)
    worker = _workers.get(worker_setup)
    if worker is None:
        worker = _workers[worker_setup] = FileWorker(worker_setup)
    return [to_plain(worker.run(from_plain(JournalFile, item))) for item in items]


class CeleryExecutor:
    """Runs per-file work on Celery workers: batches fanned out, results back in input order."""

    def __init__(self, broker: str, batch_size: int = 16, in_flight: int = 32, timeout: float = 3600,
                 visibility_timeout: int = 3600):
        self.broker = broker
        self.visibility_timeout = visibility_timeout
        self.batch_size = batch_size
        self.in_flight = in_flight
        self.timeout = timeout

    def check(self) -> None:
        """QueueError, before anything starts, when the broker cannot be reached."""
        app = celery_app(self.broker, self.visibility_timeout)
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=5)
        except Exception as exc:  # noqa: BLE001 - kombu raises many kinds
            raise QueueError(f"cannot reach the broker at {self.broker}: {exc}",
                             hint="Is Redis running, and [executor] broker in preserve.toml right?") from None

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """Process every item on the workers, yielding results in input order; a failed task stops the run."""
        app = celery_app(self.broker, self.visibility_timeout)
        task = app.tasks["preserve.process_batch"]
        pending: deque = deque()
        plain_setup = to_plain(setup)

        def results(answer) -> Iterator[FileResult]:
            return (from_plain(FileResult, item) for item in answer.get(timeout=self.timeout, propagate=True))

        try:
            for batch in batched(items, self.batch_size):
                pending.append(task.apply_async((plain_setup, [to_plain(item) for item in batch])))
                if len(pending) >= self.in_flight:
                    yield from results(pending.popleft())
            while pending:
                yield from results(pending.popleft())
        finally:
            for result in pending:
                result.revoke()
