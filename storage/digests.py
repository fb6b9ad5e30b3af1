"""One streaming read feeding every digest algorithm at once."""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

from preservation.errors import FixityError, PreservationError
from storage.base import Readable

CHUNK_SIZE = 1024 * 1024
SUPPORTED = ("md5", "sha1", "sha256", "sha512")


class MultiHasher:
    """Feeds every chunk to each of several hash algorithms and counts the bytes."""

    def __init__(self, algorithms: Iterable[str]):
        self.algorithms = tuple(algorithms)
        for name in self.algorithms:
            if name not in SUPPORTED:
                raise ValueError(f"unsupported digest algorithm {name!r}")
        self._hashes = [hashlib.new(name) for name in self.algorithms]
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        """Add ``chunk`` to every digest."""
        for hasher in self._hashes:
            hasher.update(chunk)
        self.size += len(chunk)

    def hexdigests(self) -> dict[str, str]:
        """The digests so far, by algorithm name."""
        return {name: hasher.hexdigest() for name, hasher in zip(self.algorithms, self._hashes, strict=True)}


class BackgroundHasher(MultiHasher):
    """A MultiHasher whose algorithms each run on their own thread, so hashing overlaps reading and sending.

    Chunks are hashed in the order given; at most ``backlog`` chunks per algorithm wait, so memory
    stays bounded. ``hexdigests`` waits for the work to finish; ``close`` stops the threads.
    """

    def __init__(self, algorithms: Iterable[str], backlog: int = 4):
        super().__init__(algorithms)
        self._threads = [ThreadPoolExecutor(1, thread_name_prefix=f"hash-{name}") for name in self.algorithms]
        self._pending: deque[list[Future[None]]] = deque()
        self._backlog = backlog

    def update(self, chunk: bytes | memoryview) -> None:
        """Queue ``chunk`` for every digest (waiting while the backlog is full).

        A memoryview is copied first: it is hashed later, when its buffer may hold other bytes."""
        if isinstance(chunk, memoryview):
            chunk = chunk.tobytes()
        while len(self._pending) >= self._backlog:
            for future in self._pending.popleft():
                future.result()
        self._pending.append(
            [thread.submit(hasher.update, chunk) for thread, hasher in zip(self._threads, self._hashes, strict=True)]
        )
        self.size += len(chunk)

    def hexdigests(self) -> dict[str, str]:
        """The digests of everything queued so far."""
        while self._pending:
            for future in self._pending.popleft():
                future.result()
        return super().hexdigests()

    def close(self) -> None:
        """Stop the hashing threads (queued work is dropped)."""
        for thread in self._threads:
            thread.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()


def hash_stream(
    stream: Readable,
    algorithms: Iterable[str] = ("sha256", "sha512"),
    *,
    sink: Callable[[bytes | memoryview], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[dict[str, str], int]:
    """Read ``stream`` to its end once, returning ``(digests, size)``; ``sink`` also gets each chunk.

    A chunk may be a memoryview of a buffer that is reused for the next read: a sink that keeps it must copy it."""
    hasher = MultiHasher(algorithms)
    read = stream.readinto if hasattr(stream, "readinto") else None
    if read is not None:
        buffer = bytearray(chunk_size)
        view = memoryview(buffer)
        while True:
            count = read(view)
            if not count:
                break
            chunk = view[:count]
            hasher.update(chunk)
            if sink is not None:
                sink(chunk)
    else:
        while data := stream.read(chunk_size):
            hasher.update(data)
            if sink is not None:
                sink(data)
    return hasher.hexdigests(), hasher.size


class VerifyingReader:
    """A stream that checks what passes through it against a known size and digest: reaching its end with
    other content raises ``FixityError`` before the reader sees the end, so a store's write is abandoned
    (a temporary file never renamed, an upload aborted) and bad bytes never replace anything. ``failure``
    keeps what went wrong on the reading side, whatever the writer turns it into."""

    def __init__(self, stream: BinaryIO, algorithm: str, digest: str, size: int = -1, label: str = ""):
        self.stream, self.algorithm, self.digest, self.size, self.label = stream, algorithm, digest, size, label
        self.hasher = hashlib.new(algorithm)
        self.count = 0
        self.failure: PreservationError | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes; at the end, only once the content is shown to be the expected one."""
        if size == 0:
            return b""
        try:
            chunk = self.stream.read(size)
        except PreservationError as exc:
            self.failure = exc
            raise
        except OSError as exc:
            self.failure = PreservationError(f"{self.label}: unreadable ({exc})")
            raise self.failure from exc
        self.count += len(chunk)
        if 0 <= self.size < self.count:
            self._fail(f"more than the {self.size} bytes recorded")
        if chunk:
            self.hasher.update(chunk)
            return chunk
        if 0 <= self.size != self.count:
            self._fail(f"size {self.count}, expected {self.size}")
        if self.hasher.hexdigest() != self.digest.lower():
            self._fail(f"checksum mismatch ({self.algorithm.upper()})")
        return chunk

    def _fail(self, problem: str) -> None:
        self.failure = FixityError(f"{self.label}: {problem}")
        raise self.failure
