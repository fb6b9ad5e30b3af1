"""The Celery adapter: ingest's per-file work and fixity audits as tasks, and the executor that fans them out.

Celery is imported here (and in ``cli/scheduler.py`` and ``ingest/celery_backend.py``) only. Tasks
carry small plain data as JSON (``preservation.plain``): a batch of journal rows with the worker
set-up, or one AIP's audit plan; never pickles. Each task is acknowledged only when done
(``acks_late``) and re-queued if its worker dies, and the work is idempotent (keys are written with
overwrite; an audit checks again), so a redelivered task does no harm.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from catalogue import Database
from ingest.journal import FileResult, JournalFile
from ingest.migrate import make_pending_copies
from ingest.steps import FileWorker, WorkerSetup
from preservation.config import Settings, load_settings
from preservation.errors import IngestIncomplete, PreservationError, QueueError
from preservation.identifiers import new_uuid, timestamp
from preservation.model import Aip, FormatInfo
from preservation.parallel import batched
from preservation.plain import from_plain, to_plain
from stewardship.audit_runs import AipAudit, CopyResult, PlannedCheck, run_audit

QUEUE = "preserve.ingest"
AUDIT_IN_FLIGHT = 8  # audits (one per AIP) on their way to the workers at once
HEARTBEAT_KEY = "preserve:workers:"  # + a worker's name: set while it runs, expiring unless renewed
HEARTBEAT_SECONDS = 5
HEARTBEAT_TTL = 20
_apps: dict[tuple[str, int, str], object] = {}
_workers: dict[WorkerSetup, FileWorker] = {}
_archives: dict[tuple[str, str], tuple[Settings, Database]] = {}


def celery_app(broker: str, visibility_timeout: int = 3600, results: str = ""):
    """The archive's Celery app for ``broker``, results kept in ``results`` (default: the broker's Redis); a task
    a dead worker took is handed to another after ``visibility_timeout`` seconds."""
    if (broker, visibility_timeout, results) in _apps:
        return _apps[(broker, visibility_timeout, results)]
    try:  # here, not at the top: Celery is optional (preserve[queue]) and takes ~40 ms to import
        from celery import Celery  # noqa: PLC0415
        from celery.signals import worker_shutdown  # noqa: PLC0415
    except ImportError:
        raise QueueError("the Celery executor needs Celery", hint="pip install 'preserve[queue]'") from None
    app = Celery("preserve", broker=broker, backend=results or broker)
    polling = "ingest.celery_backend:PollingRedisBackend"  # results are polled: see ingest/celery_backend.py
    app.loader.override_backends = {"redis": polling, "rediss": polling}
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        result_expires=3600,
        broker_connection_retry_on_startup=False,
        # look for a dead worker's unacknowledged batches every few seconds (kombu's default: ~100 s)
        broker_transport_options={
            "visibility_timeout": visibility_timeout,
            "unacked_restore_throttle": 1,
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 2)),
        },
        # a lost result store is noticed in about a second (Celery's default keeps retrying for ~20 s)
        result_backend_transport_options={
            "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
        },
    )
    app.task(name="preserve.process_batch", bind=True, acks_late=True, reject_on_worker_lost=True)(process_batch)
    app.task(name="preserve.audit_aip", acks_late=True, reject_on_worker_lost=True)(audit_aip)
    app.task(name="preserve.make_copies", acks_late=True, reject_on_worker_lost=True)(make_copies)
    worker_shutdown.connect(close_workers, weak=False)
    _apps[(broker, visibility_timeout, results)] = app
    return app


def close_workers(**_) -> None:
    """Stop the FileWorkers' child processes (validators, scanners) as the Celery worker shuts down."""
    while _workers:
        worker = _workers.popitem()[1]
        worker.close()


def process_batch(task, setup: dict, items: list[dict]) -> list[dict]:
    """The per-file steps for a batch of files (one FileWorker per setup, kept by each worker process).

    A batch delivered again because the worker doing it died is done one file at a time, each in a
    child process of its own: a file that kills its process is then reported as failed, not handed
    from worker to worker for ever."""
    deliveries = _count_delivery(task)
    if deliveries > 1:
        return [_in_own_process(setup, item, deliveries) for item in items]
    worker_setup = from_plain(WorkerSetup, setup)
    worker = _workers.get(worker_setup)
    if worker is None:
        worker = _workers[worker_setup] = FileWorker(worker_setup)
    return [to_plain(worker.run(from_plain(JournalFile, item))) for item in items]


def audit_aip(home: str, config: str, run_id: str, planned: dict, repair: bool) -> dict:
    """Audit one AIP's copies (what `preserve audit` does for it) and record the results; a re-delivered
    audit simply checks again."""
    settings, database = _archive(home, config)
    [result] = run_audit(settings, database, [from_plain(PlannedCheck, planned)], repair=repair, run_id=run_id)
    return to_plain(result)


def make_copies(home: str, config: str, aip_id: str) -> int:
    """Make the derivatives ingest left for later for one AIP (what `preserve migrate --pending` does for it);
    how many files were made. A re-delivered task finds them made, or the AIP claimed, and does nothing."""
    settings, database = _archive(home, config)
    return sum(len(result.made) for result in make_pending_copies(settings, database, [aip_id]))


def _archive(home: str, config: str) -> tuple[Settings, Database]:
    """The settings and catalogue of the archive at ``home`` (kept by the worker process)."""
    if (home, config) not in _archives:
        settings = load_settings(Path(home), Path(config) if config else None)
        _archives[(home, config)] = (settings, Database(settings.catalogue_url))
    return _archives[(home, config)]


def _count_delivery(task) -> int:
    """How many times this task has been started, counted in the result store (1 if it cannot count)."""
    client = getattr(task.backend, "client", None)
    if client is None or not task.request.id:
        return 1
    key = f"preserve:deliveries:{task.request.id}"
    count = int(client.incr(key))
    client.expire(key, 7 * 86400)
    return count


def _in_own_process(setup: dict, item: dict, deliveries: int) -> dict:
    """One file's steps in a forked child; a child that dies or overruns becomes the file's failure."""
    worker_setup = from_plain(WorkerSetup, setup)
    journal_file = from_plain(JournalFile, item)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_run_one, args=(send, receive, worker_setup, journal_file))
    child.start()
    send.close()
    attempts = 1 + worker_setup.file_retries
    limit = worker_setup.file_time_limit * attempts + 60 if worker_setup.file_time_limit else None
    try:
        if receive.poll(limit):
            outcome, value = receive.recv()
            if outcome == "raise":
                raise value
            return value
    except EOFError:
        pass
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    why = f"exit code {child.exitcode}" if child.exitcode and child.exitcode > 0 else f"signal {-(child.exitcode or 9)}"
    return to_plain(
        FileResult(
            journal_file.idx,
            journal_file.size,
            "",
            "",
            FormatInfo(),
            "",
            "",
            "",
            error=f"the process working on this file died ({why}), on {deliveries} deliveries",
            traceback="",
            attempts=deliveries,
        )
    )


def _run_one(send, receive, setup: WorkerSetup, item: JournalFile) -> None:
    receive.close()
    worker = FileWorker(setup)
    try:
        send.send(("ok", to_plain(worker.run(item))))
    except PreservationError as exc:
        send.send(("raise", exc))
    finally:
        worker.close()


@dataclass
class _Sent:
    """A task on its way: its arguments (to send it again) and the handle of its result."""

    args: tuple
    answer: Any


class CeleryExecutor:
    """Runs per-file work on Celery workers: batches fanned out, results back in input order.

    Results are polled in the result store (not awaited by subscription, which a broker restart
    silently breaks). If the broker goes away, the run waits up to ``broker_wait`` seconds for it,
    then sends every unfinished batch again (a restarted Redis may have lost them; the work is
    idempotent); if the broker does not come back, or a worker raises, the ingest stops keeping
    what was done (IngestIncomplete), with the worker's traceback.
    """

    reports_progress = False  # the workers read the copies: an audit has no bytes to report as it goes

    def __init__(
        self,
        broker: str,
        batch_size: int = 64,
        in_flight: int = 32,
        timeout: float = 3600,
        visibility_timeout: int = 3600,
        broker_wait: float = 300,
        results: str = "",
    ):
        self.broker = broker
        self.results = results
        self.visibility_timeout = visibility_timeout
        self.batch_size = batch_size
        self.in_flight = in_flight
        self.timeout = timeout
        self.broker_wait = broker_wait

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> CeleryExecutor:
        """The executor ``[executor]`` in preserve.toml describes."""
        return cls(
            settings.executor_broker,
            visibility_timeout=settings.executor_visibility_timeout,
            broker_wait=settings.executor_broker_wait,
            results=settings.executor_results,
            **options,
        )

    @property
    def app(self):
        """The Celery app for this broker and result store."""
        return celery_app(self.broker, self.visibility_timeout, self.results)

    def check(self) -> None:
        """QueueError, before anything starts, when the broker cannot be reached."""
        check_broker(self.app, self.broker)

    def require_workers(self, wait: float = 10) -> None:
        """QueueError, before anything is sent, when no `preserve worker` has been alive within ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while live_workers(self.app) == 0:
            if time.monotonic() > deadline:
                raise QueueError(
                    f"no `preserve worker` is running for the broker at {self.broker}",
                    hint="Start one or more with `preserve worker` (on any machine that reaches the "
                    "broker, the storage and the staging area), then try again.",
                )
            time.sleep(0.2)

    def check_ready(self) -> None:
        """QueueError, before anything starts, when the broker cannot be reached or no worker is alive."""
        self.check()
        self.require_workers()

    def run(self, setup: WorkerSetup, items: Iterable[JournalFile]) -> Iterator[FileResult]:
        """Process every item on the workers, yielding results in input order."""
        plain_setup = to_plain(replace(setup, resuming=True))  # a redelivered task may find its keys written already
        messages = ((plain_setup, [to_plain(item) for item in batch]) for batch in batched(items, self.batch_size))
        for answer in self.map("preserve.process_batch", messages):
            yield from (from_plain(FileResult, item) for item in answer)

    def audit(
        self,
        settings: Settings,
        database: Database,
        plan: list[PlannedCheck],
        repair: bool,
        on_bytes: Callable[[int], None] | None = None,
        on_copy: Callable[[Aip, CopyResult], None] | None = None,
    ) -> list[AipAudit]:
        """Run an audit plan on the workers as one run, one task per AIP (each worker opens the archive's own
        settings and catalogue, so ``database`` is not used, and progress is not reported); the AIPs' audits
        in plan order."""
        self.check_ready()
        run_id = new_uuid()
        messages = (
            (str(settings.home), str(settings.config_file or ""), run_id, to_plain(planned), repair) for planned in plan
        )
        return [from_plain(AipAudit, answer) for answer in self.map("preserve.audit_aip", messages, AUDIT_IN_FLIGHT)]

    def make_copies(self, settings: Settings, aip_id: str) -> None:
        """Send the making of an AIP's pending derivatives to the workers, and return at once."""
        self.app.tasks["preserve.make_copies"].apply_async(
            (str(settings.home), str(settings.config_file or ""), aip_id), retry=False
        )

    def map(self, task_name: str, messages: Iterable[tuple], in_flight: int = 0) -> Iterator[Any]:
        """Send one task per message (its arguments), at most ``in_flight`` (default: the executor's) at once;
        yield answers in order."""
        in_flight = in_flight or self.in_flight
        app = self.app
        task = app.tasks[task_name]
        pending: deque[_Sent] = deque()
        self._server, self._lost = self._server_id(app), False

        def send(args: tuple):
            while True:
                try:
                    return task.apply_async(args, retry=False)
                except _connection_errors() as exc:
                    self._await_broker(app, exc, pending)

        try:
            for args in messages:
                pending.append(_Sent(args, send(args)))
                if len(pending) >= in_flight:
                    yield self._answer(app, pending, send)
            while pending:
                yield self._answer(app, pending, send)
        finally:
            with contextlib.suppress(Exception):
                for sent in pending if not self._lost else ():  # revoking needs the broker too
                    sent.answer.revoke()

    def _answer(self, app, pending: deque[_Sent], send) -> Any:
        """The first pending task's answer, once it is done."""
        head = pending[0]
        waited, pause, last_check, workerless_since = 0.0, 0.005, time.monotonic(), None
        while True:
            try:
                if head.answer.ready():
                    break
                if time.monotonic() - last_check > 2:  # a restarted broker has forgotten what it was given
                    last_check = time.monotonic()
                    if self._server_id(app) != self._server:
                        self._send_again(app, pending, send)
                    workerless_since = None if live_workers(app) != 0 else workerless_since or time.monotonic()
                    if workerless_since is not None and time.monotonic() - workerless_since > self.broker_wait:
                        raise IngestIncomplete(
                            f"no `preserve worker` has been running for {self.broker_wait:g} s",
                            hint="Start workers, then run the same command again (an ingest finishes what it started).",
                        )
            except _connection_errors() as exc:
                self._await_broker(app, exc, pending)
                self._send_again(app, pending, send)
            time.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.2)
            if waited > self.timeout:
                raise IngestIncomplete(
                    f"no answer from the workers for {self.timeout:g} s",
                    hint="Are `preserve worker` processes running and reaching the broker? "
                    "Then run the same ingest again to finish it.",
                )
        pending.popleft()
        if head.answer.failed():
            raise _worker_failure(head.answer)
        answer = head.answer.get(propagate=True)
        head.answer.forget()
        return answer

    def _send_again(self, app, pending: deque[_Sent], send) -> None:
        """Send every unfinished batch again: the broker was restarted and may have lost them."""
        self._server = self._server_id(app)
        for sent in pending:
            if not sent.answer.ready():
                sent.answer = send(sent.args)

    def _await_broker(self, app, exc: BaseException, pending: deque[_Sent]) -> None:
        """Wait for a lost broker to come back; IngestIncomplete once ``broker_wait`` has passed."""
        deadline = time.monotonic() + self.broker_wait
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                with app.connection_for_write() as connection:
                    connection.ensure_connection(max_retries=1, timeout=2)
                app.backend.client.ping() if hasattr(app.backend, "client") else None
                return
            except Exception:  # noqa: BLE001 - still away
                continue
        self._lost = True
        raise IngestIncomplete(
            f"lost the broker at {self.broker} ({exc}) and it did not come back within {self.broker_wait:g} s",
            hint="The files stored so far are kept: start the broker, then run the same ingest again.",
        )

    @staticmethod
    def _server_id(app) -> str:
        """The Redis server's run id, which changes when it restarts ('' if it cannot be told)."""
        client = getattr(app.backend, "client", None)
        return str(client.info("server").get("run_id", "")) if client is not None else ""


def start_heartbeat(app, name: str) -> Callable[[], None]:
    """Say every few seconds, from a thread of its own (a task in progress does not stop it), that worker
    ``name`` is alive; returns the function that stops saying so."""
    client = getattr(app.backend, "client", None)
    if client is None:
        return lambda: None
    key, stop = HEARTBEAT_KEY + name, threading.Event()

    def beat() -> None:
        while not stop.is_set():
            with contextlib.suppress(Exception):  # a broker away for a moment: try again at the next beat
                client.set(key, timestamp(), ex=HEARTBEAT_TTL)
            stop.wait(HEARTBEAT_SECONDS)

    threading.Thread(target=beat, name="preserve-heartbeat", daemon=True).start()

    def end() -> None:
        stop.set()
        with contextlib.suppress(Exception):
            client.delete(key)

    return end


def live_workers(app) -> int | None:
    """How many `preserve worker` processes said they were alive in the last few seconds (None: cannot tell)."""
    client = getattr(app.backend, "client", None)
    if client is None:
        return None
    return sum(1 for _ in client.scan_iter(match=HEARTBEAT_KEY + "*", count=100))


def check_broker(app, broker: str) -> None:
    """QueueError when the broker of ``app`` cannot be reached (asked before anything starts)."""
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=5)
    except Exception as exc:  # noqa: BLE001 - kombu raises many kinds
        raise QueueError(
            f"cannot reach the broker at {broker}: {exc}",
            hint="Is Redis running, and [executor] broker in preserve.toml right?",
        ) from None


def _connection_errors() -> tuple[type[BaseException], ...]:
    # imported here, not at the top: kombu and redis come with the optional Celery (preserve[queue]; ~90 ms)
    from kombu.exceptions import OperationalError  # noqa: PLC0415
    from redis.exceptions import ConnectionError as RedisConnectionError  # noqa: PLC0415
    from redis.exceptions import TimeoutError as RedisTimeoutError  # noqa: PLC0415

    return OSError, OperationalError, RedisConnectionError, RedisTimeoutError


def _worker_failure(answer) -> PreservationError:
    """The error a worker raised, with the worker's traceback; an unexpected one stops the ingest resumably."""
    try:
        answer.get(propagate=True)
    except PreservationError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - anything else went wrong on the worker, not in the transfer
        error = IngestIncomplete(
            f"a worker failed: {type(exc).__name__}: {exc}",
            hint="Fix the worker, then run the same command again (an ingest finishes what "
            "it started; `preserve ingest status` shows the worker's traceback).",
        )
    else:
        error = IngestIncomplete("a worker failed without saying why")
    if answer.traceback:
        error.add_note(f"On the worker:\n{answer.traceback}")
    return error
