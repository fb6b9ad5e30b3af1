"""Finding aids kept in storage: every file `preserve catalogue import-ead` imports is written, exactly as given,
to every location that keeps AIPs (purpose "aip" or "replica"), so that the catalogue's own units — and what
the finding aid holds that the catalogue does not read — can be rebuilt from storage alone.

Each is one immutable document under the OCFL storage root's extension folder:
``extensions/preserve-finding-aids/<UTC time>-<SHA-256>.xml`` — the same key in every location, the digest in
its name checked when it is read. A rebuild imports them again in the order they were first imported."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from preservation.config import Settings
from preservation.errors import PreservationError, StorageError
from preservation.identifiers import utc_now
from storage import open_location
from storage.base import Storage
from storage.digests import hash_stream

FOLDER = "extensions/preserve-finding-aids"
NAMED = re.compile(r"(?P<time>[0-9]{8}T[0-9]{12}Z)-(?P<sha256>[0-9a-f]{64})\.xml")
KEEPING = ("aip", "replica")  # the purposes of the locations that keep them (not DIPs' "access")


def keeping_locations(settings: Settings) -> list[str]:
    """The locations finding aids are kept in."""
    return [location.name for location in settings.locations if location.purpose in KEEPING]


def keep_finding_aid(settings: Settings, path: Path) -> str:
    """Write the finding aid at ``path`` to every keeping location (its key returned); StorageError naming the
    location when one cannot be written — the import is then refused, so the catalogue never holds units storage
    could not rebuild. The file is streamed, never held whole."""
    with path.open("rb") as handle:
        digests, size = hash_stream(handle, ("sha256",))
    key = f"{FOLDER}/{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}-{digests['sha256']}.xml"
    for name in keeping_locations(settings):
        try:
            storage = open_location(settings.location(name))
            with path.open("rb") as handle:
                stored = storage.put(key, handle, size=size)
        except PreservationError as exc:
            raise StorageError(
                f"{path}: the finding aid could not be kept in storage location {name}: {exc.message}",
                hint="Nothing was imported. Check the location (`preserve storage status`) and import again.",
            ) from exc
        if stored.digests.get("sha256") not in (None, digests["sha256"]):
            raise StorageError(f"{storage.describe()}: {key} was stored with another SHA-256; nothing was imported")
    return key


@dataclass
class KeptFindingAids:
    """The finding aids storage holds that were read (by key, in the order they were imported), and what could
    not be read or imported."""

    documents: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _copies(settings: Settings) -> dict[str, list[tuple[str, Storage]]]:
    """Each finding aid's key, oldest first, and the keeping locations holding a copy (in preserve.toml's order)."""
    copies: dict[str, list[tuple[str, Storage]]] = {}
    for configured in settings.locations:
        if configured.purpose not in KEEPING:
            continue
        storage = open_location(configured)
        for stored in storage.list(f"{FOLDER}/"):
            if NAMED.fullmatch(stored.key.rsplit("/", 1)[-1]):
                copies.setdefault(stored.key, []).append((configured.name, storage))
    return dict(sorted(copies.items()))


def _fetch(key: str, copies: list[tuple[str, Storage]], target: Path, problems: list[str]) -> bool:
    """Write to ``target`` the first copy whose SHA-256 is the one its name gives (streamed); each bad copy is
    named in ``problems`` only when no location holds a good one."""
    named = NAMED.fullmatch(key.rsplit("/", 1)[-1])
    assert named is not None  # _copies keeps only such keys
    bad = []
    for location, storage in copies:
        with storage.open(key) as source, target.open("wb") as out:
            digests, _ = hash_stream(source, ("sha256",), sink=out.write)
        if digests["sha256"] == named["sha256"]:
            return True
        bad.append(f"{location}: {key} does not match its SHA-256: not read")
    target.unlink(missing_ok=True)
    problems += bad
    return False


def reimport_finding_aids(settings: Settings, work: Path, import_one: Callable[[Path], object]) -> KeptFindingAids:
    """Import again every finding aid storage keeps, oldest first (``import_one`` given each as a file in
    ``work``, one at a time); a finding aid that cannot be read or imported is named in the problems, the rest
    still imported."""
    kept = KeptFindingAids()
    for key, copies in _copies(settings).items():
        path = work / key.rsplit("/", 1)[-1]
        if not _fetch(key, copies, path, kept.problems):
            continue
        kept.documents.append(key)
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
    with tempfile.TemporaryDirectory(prefix="preserve-finding-aids-") as work:
        for key, copies in _copies(settings).items():
            path = Path(work) / key.rsplit("/", 1)[-1]
            if key in present or not _fetch(key, copies, path, []):
                continue
            with path.open("rb") as handle:
                destination.put(key, handle, size=path.stat().st_size)
            path.unlink()
            written += 1
    return written
