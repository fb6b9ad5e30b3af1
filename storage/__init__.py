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


def open_location(location: LocationLike) -> Storage:
    """The backend for a configured location (backends are imported only when used)."""
    if location.backend == "local":
        from storage.local import LocalStorage

        return LocalStorage(location.name, location.path)
    raise StorageError(
        f"storage location {location.name!r}: backend {location.backend!r} is not available yet",
        hint="Use a local location for now.",
    )
