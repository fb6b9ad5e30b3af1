"""Archival storage: the Storage interface, its backends, and the OCFL object layout."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from preservation.errors import StorageError
from storage.base import Storage, StoredObject
from storage.local import LocalStorage
from storage.s3 import S3Storage, make_client

__all__ = ["LocationLike", "Storage", "StoredObject", "open_location"]


class LocationLike(Protocol):
    """What storage needs to know of a configured location (``preservation.config`` provides it).

    Read-only: a frozen settings object satisfies it. ``object_lock_days``, ``object_lock_mode``,
    ``server_side_encryption`` and ``storage_class`` are read when present (defaults otherwise).
    """

    @property
    def name(self) -> str:
        """The location's name in preserve.toml."""
        ...

    @property
    def backend(self) -> str:
        """``local`` or ``s3``."""
        ...

    @property
    def path(self) -> Path | None:
        """The folder of a local location."""
        ...

    @property
    def endpoint(self) -> str:
        """The S3 endpoint ('' for AWS itself)."""
        ...

    @property
    def bucket(self) -> str:
        """The S3 bucket."""
        ...

    @property
    def prefix(self) -> str:
        """The key prefix within the bucket."""
        ...


def open_location(location: LocationLike) -> Storage:
    """The backend for a configured location (boto3 is imported only when an S3 location is opened)."""
    if location.backend == "local":
        if location.path is None:  # preservation.config refuses a local location without a path
            raise StorageError(f"storage location {location.name!r}: a local location needs a path")
        return LocalStorage(location.name, location.path)
    if location.backend == "s3":
        try:
            import boto3  # noqa: F401, PLC0415
        except ImportError:
            raise StorageError(
                f"storage location {location.name!r} needs boto3", hint="pip install 'preserve[s3]'"
            ) from None
        client = make_client(location.endpoint)
        return S3Storage(
            location.name,
            client,
            location.bucket,
            location.prefix,
            location.endpoint,
            object_lock_days=getattr(location, "object_lock_days", 0),
            object_lock_mode=getattr(location, "object_lock_mode", "GOVERNANCE"),
            server_side_encryption=getattr(location, "server_side_encryption", ""),
            storage_class=getattr(location, "storage_class", ""),
        )
    raise StorageError(f"storage location {location.name!r}: unknown backend {location.backend!r}")
