"""Export an AIP version from storage as a complete, validated BagIt bag."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import bagit

from preservation.catalogue import Database
from preservation.catalogue import queries as catalogue
from preservation.config import Settings
from preservation.errors import PackageError, PreservationError, Problem, StorageError
from storage import open_location
from storage.digests import hash_stream
from storage.ocfl import read_inventory, version_state


def export_aip(settings: Settings, database: Database, reference: str, dest: Path) -> Path:
    """Write the AIP's bag to ``dest`` (or into it, as ``<slug>-<uuid>``, if it is a folder); return the bag path.

    The bag is assembled under a hidden temporary name, every file is checked against the OCFL
    inventory's SHA-512 as it is copied, the result is validated with ``bagit``, and only then
    renamed into place.
    """
    with database.session() as session:
        aip = catalogue.get_aip(session, reference)
        replicas = [r for r in catalogue.aip_replicas(session, aip.id) if r.status == "ok"]
    if not replicas:
        raise PackageError(f"AIP {aip.id} has no intact copy to export", hint="Run `preserve audit` for details.")
    dest = Path(dest)
    target = dest / aip.bag_name if dest.is_dir() else dest
    if os.path.lexists(target):
        raise PackageError(f"{target}: already exists", hint="Choose another destination.")
    if not target.parent.is_dir():
        raise PackageError(f"{target.parent}: no such folder")
    partial = target.parent / f".{target.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    errors: list[str] = []
    for replica in replicas:
        try:
            _materialise(open_location(settings.location(replica.location)), replica.object_root, partial)
            _validate(partial)
        except PreservationError as exc:
            errors.append(f"{replica.location}: {exc.message}")
            shutil.rmtree(partial, ignore_errors=True)
            continue
        partial.rename(target)
        return target
    raise PackageError(
        f"AIP {aip.id} could not be exported from any location",
        details=[Problem(line.split(":", 1)[0], line.split(":", 1)[1].strip()) for line in errors],
    )


def _materialise(storage, root: str, dest: Path) -> None:
    inventory = read_inventory(storage, root)
    for logical, content, sha512 in version_state(inventory):
        target = dest / logical
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(f"{root}/{content}") as source, target.open("wb") as out:
            digests, _ = hash_stream(source, ("sha512",), sink=out.write)
        if digests["sha512"] != sha512:
            raise StorageError(f"{root}/{content}: does not match the inventory's SHA-512")


def _validate(bag_dir: Path) -> None:
    try:
        bagit.Bag(str(bag_dir)).validate(processes=1)
    except bagit.BagError as exc:
        raise PackageError(f"exported bag is not valid: {exc}") from exc
