"""Finding aids kept in storage: every file `preserve catalogue import-ead` imports is written, exactly as given,
to every location that keeps AIPs (purpose "aip" or "replica"), so that the catalogue's own units — and what
the finding aid holds that the catalogue does not read — can be rebuilt from storage alone.

Each is one immutable document under the OCFL storage root's extension folder:
``extensions/preserve-finding-aids/<UTC time>-<SHA-256>.xml`` — the same key in every location, the digest in
its name checked when it is read. A rebuild imports them again in the order they were first imported."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from preservation.config import Settings
from preservation.errors import PreservationError, StorageError
from preservation.identifiers import utc_now
from storage import open_location
from storage.base import Storage

FOLDER = "extensions/preserve-finding-aids"
NAMED = re.compile(r"(?P<time>[0-9]{8}T[0-9]{12}Z)-(?P<sha256>[0-9a-f]{64})\.xml")
KEEPING = ("aip", "replica")  # the purposes of the locations that keep them (not DIPs' "access")


def keeping_locations(settings: Settings) -> list[str]:
    """The locations finding aids are kept in."""
    return [location.name for location in settings.locations if location.purpose in KEEPING]


def keep_finding_aid(settings: Settings, path: Path) -> str:
    """Write the finding aid at ``path`` to every keeping location (its key returned); StorageError naming the
    location when one cannot be written — the import is then refused, so the catalogue never holds units storage
    could not rebuild."""
    data = path.read_bytes()
    key = f"{FOLDER}/{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}-{hashlib.sha256(data).hexdigest()}.xml"
    for name in keeping_locations(settings):
        try:
            storage = open_location(settings.location(name))
            stored = storage.put(key, io.BytesIO(data), size=len(data))
        except PreservationError as exc:
            raise StorageError(
                f"{path}: the finding aid could not be kept in storage location {name}: {exc.message}",
                hint="Nothing was imported. Check the location (`preserve storage status`) and import again.",
            ) from exc
        if stored.digests.get("sha256") not in (None, hashlib.sha256(data).hexdigest()):
            raise StorageError(f"{storage.describe()}: {key} was stored with another SHA-256; nothing was imported")
    return key


@dataclass
class KeptFindingAids:
    """The finding aids storage holds, in the order they were imported, and what could not be read."""

    documents: dict[str, bytes] = field(default_factory=dict)  # key -> content, by key (time) order
    problems: list[str] = field(default_factory=list)


def kept_finding_aids(settings: Settings) -> KeptFindingAids:
    """Every finding aid kept in any location (each once, the first copy whose digest is its name's)."""
    kept = KeptFindingAids()
    found: dict[str, bytes] = {}
    for configured in settings.locations:
        if configured.purpose not in KEEPING:
            continue
        storage: Storage = open_location(configured)
        for stored in storage.list(f"{FOLDER}/"):
            name = stored.key.rsplit("/", 1)[-1]
            match = NAMED.fullmatch(name)
            if match is None or stored.key in found:
                continue
            with storage.open(stored.key) as handle:
                data = handle.read()
            if hashlib.sha256(data).hexdigest() != match["sha256"]:
                kept.problems.append(f"{configured.name}: {stored.key} does not match its SHA-256: not read")
                continue
            found[stored.key] = data
    kept.documents = dict(sorted(found.items()))
    for key in kept.documents:
        for problem in list(kept.problems):
            if key in problem:
                kept.problems.remove(problem)  # another location held a good copy
    return kept


def reimport_finding_aids(settings: Settings, work: Path, import_one: Callable[[Path], object]) -> KeptFindingAids:
    """Import again every finding aid storage keeps, oldest first (``import_one`` given each as a file in
    ``work``); a finding aid that cannot be imported is named in the problems, the rest still imported."""
    kept = kept_finding_aids(settings)
    for key, data in kept.documents.items():
        path = work / key.rsplit("/", 1)[-1]
        path.write_bytes(data)
        try:
            import_one(path)
        except PreservationError as exc:
            kept.problems.append(f"{key}: not imported again: {exc.message}")
        finally:
            path.unlink(missing_ok=True)
    return kept


def copy_finding_aids(settings: Settings, location: str) -> int:
    """Write to ``location`` every finding aid another location keeps and it does not (a location added after
    imports, or one that lost them); how many were written."""
    destination = open_location(settings.location(location))
    present = {stored.key for stored in destination.list(f"{FOLDER}/")}
    written = 0
    for key, data in kept_finding_aids(settings).documents.items():
        if key not in present:
            destination.put(key, io.BytesIO(data), size=len(data))
            written += 1
    return written
