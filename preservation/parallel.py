"""Ordered parallel map with a bounded number of tasks in flight (memory independent of input size)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future
from itertools import islice
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(executor: Executor, fn: Callable[[T], R], items: Iterable[T], window: int) -> Iterator[R]:
    """Like ``executor.map`` but submits at most ``window`` tasks ahead of the consumer."""
    iterator = iter(items)
    pending: deque[Future] = deque(executor.submit(fn, item) for item in islice(iterator, window))
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
