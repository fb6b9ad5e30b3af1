"""One streaming read feeding every digest algorithm at once."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import BinaryIO

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

    def update(self, chunk: bytes) -> None:
        """Add ``chunk`` to every digest."""
        for hasher in self._hashes:
            hasher.update(chunk)
        self.size += len(chunk)

    def hexdigests(self) -> dict[str, str]:
        """The digests so far, by algorithm name."""
        return {name: hasher.hexdigest() for name, hasher in zip(self.algorithms, self._hashes, strict=True)}


def hash_stream(
    stream: BinaryIO,
    algorithms: Iterable[str] = ("sha256", "sha512"),
    *,
    sink: Callable[[bytes], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> tuple[dict[str, str], int]:
    """Read ``stream`` to its end once, returning ``(digests, size)``; ``sink`` also gets each chunk."""
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
        while chunk := stream.read(chunk_size):
            hasher.update(chunk)
            if sink is not None:
                sink(chunk)
    return hasher.hexdigests(), hasher.size
