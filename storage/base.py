"""The storage interface every backend implements, and what it says about stored objects."""

from __future__ import annotations

import builtins
import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

from preservation.errors import StorageError


@dataclass(frozen=True)
class StoredObject:
    """What a location knows about one stored object."""

    key: str
    size: int
    digests: dict[str, str] = field(default_factory=dict)
    version_id: str = ""
    modified: float = 0.0


class Readable(Protocol):
    """What ``put`` reads from: anything with ``read(size)`` giving bytes (a file, a response body, a reader that
    verifies what passes through it)."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; b"" at the end."""
        ...


class Storage(Protocol):
    """A place that keeps bytes under keys: local disk, an S3 bucket, …"""

    name: str
    keeps_checksums: bool  # whether ``stat`` reports the store's own checksum of an object

    def put(
        self,
        key: str,
        stream: Readable,
        *,
        size: int | None = None,
        algorithms: tuple[str, ...] = ("sha256",),
        durable: bool = True,
        overwrite: bool = True,
    ) -> StoredObject:
        """Store ``stream`` under ``key`` atomically, returning the digests computed while streaming.

        ``durable=False`` lets a backend defer making the bytes durable until ``sync``;
        ``overwrite=False`` refuses a key that already exists.
        """
        ...

    def sync(self, keys: Iterable[str]) -> None:
        """Make keys stored with ``durable=False`` durable (a no-op where every put is durable)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A streaming binary reader for ``key``."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Size, store-side digests and version of ``key``."""
        ...

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every object whose key starts with ``prefix``, in key order."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (missing keys are not an error)."""
        ...

    def describe(self) -> str:
        """Where this location keeps its bytes, for messages."""
        ...

    def current_versions(self, prefix: str) -> dict[str, str]:
        """The current VersionId of every key under ``prefix`` (empty where the store keeps no versions)."""
        ...

    def retain(self, prefix: str) -> dict[str, str]:
        """Apply the location's retention to the current version of every key under ``prefix``; return them."""
        ...

    def abandoned_writes(self, older_than: float, remove: bool = False, prefix: str = "") -> builtins.list[str]:
        """Writes under ``prefix`` started more than ``older_than`` seconds ago and never finished (temp files,
        multipart uploads): describe them, and remove them when ``remove`` is true."""
        ...

    def legal_hold(self, versions: dict[str, str], on: bool) -> None:
        """Place (or release) a legal hold on these versions of keys; StorageError where the store has none."""
        ...


def check_key(key: str) -> str:
    """Refuse keys that are empty, absolute, or step out of the location; return the key."""
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise StorageError(f"unsafe storage key {key!r}")
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts) or posixpath.normpath(key) != key:
        raise StorageError(f"unsafe storage key {key!r}")
    return key


def copy_key(
    source: Storage,
    destination: Storage,
    key: str,
    *,
    size: int | None = None,
    algorithms: tuple[str, ...] = ("sha256", "sha512"),
    durable: bool = True,
    overwrite: bool = True,
) -> StoredObject:
    """Stream ``key`` from one location to another (same key), returning the digests of what was written."""
    with source.open(key) as stream:
        return destination.put(key, stream, size=size, algorithms=algorithms, durable=durable, overwrite=overwrite)
