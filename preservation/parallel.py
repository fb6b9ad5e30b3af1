"""Parallel maps that keep results in order and memory bounded, in threads or worker processes."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")
W = TypeVar("W")

# The worker object of a pool process, built once by the pool's initializer (process-local).
_UNSET = object()
_process_worker: Any = _UNSET


def ordered_map(executor: Executor, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """Like ``executor.map`` but submits at most ``window`` tasks ahead of the consumer."""
    iterator = iter(items)
    pending: deque[Future[R]] = deque(executor.submit(fn, item) for item in islice(iterator, window))
    try:
        while pending:
            result = pending.popleft().result()
            for item in islice(iterator, 1):
                pending.append(executor.submit(fn, item))
            yield result
    finally:
        for future in pending:
            future.cancel()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Successive lists of up to ``size`` items."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def worker_map(
    make_worker: Callable[[Any], W],
    setup: Any,
    work: Callable[[W, T], R],
    items: Iterable[T],
    workers: int,
    batch_size: int = 16,
) -> Iterator[R]:
    """Apply ``work(worker, item)`` to every item, in order, with one ``make_worker(setup)`` per process.

    One worker: everything runs here. More: a process pool whose processes each build their worker
    once (expensive set-up such as loading format signatures), fed batches of items with at most
    four batches per process in flight. ``make_worker`` and ``work`` must be importable by name.
    """
    if workers <= 1:
        worker = make_worker(setup)
        try:
            for item in items:
                yield work(worker, item)
        finally:
            if hasattr(worker, "close"):
                worker.close()
        return
    with ProcessPoolExecutor(workers, initializer=_init_process, initargs=(make_worker, setup)) as pool:
        task = _BatchTask(work)
        for results in ordered_map(pool, task, batched(items, batch_size), window=workers * 4):
            yield from results


def _init_process(make_worker: Callable[[Any], Any], setup: Any) -> None:
    global _process_worker
    _process_worker = make_worker(setup)


class _BatchTask:
    """Runs ``work`` over a batch with this process's worker (picklable: holds only ``work``)."""

    def __init__(self, work: Callable[[Any, Any], Any]):
        self.work = work

    def __call__(self, batch: list[Any]) -> list[Any]:
        assert _process_worker is not _UNSET, "worker process was not initialised"
        return [self.work(_process_worker, item) for item in batch]
