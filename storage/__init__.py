"""Archival storage: the Storage interface, its backends, and the OCFL object layout."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from preservation.errors import StorageError
from storage.base import Storage, StoredObject

__all__ = ["LocationLike", "Storage", "StoredObject", "open_location"]


class LocationLike(Protocol):
    """What storage needs to know of a configured location (``preservation.config`` provides it)."""

    name: str
    backend: str
    path: Path | None
    endpoint: str
    bucket: str
    prefix: str


def open_location(location: LocationLike) -> Storage:
    """The backend for a configured location (backends are imported only when used)."""
    if location.backend == "local":
        from storage.local import LocalStorage

        return LocalStorage(location.name, location.path)
    if location.backend == "s3":
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise StorageError(
                f"storage location {location.name!r} needs boto3", hint="pip install 'preserve[s3]'"
            ) from None
        from storage.s3 import S3Storage, make_client

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
