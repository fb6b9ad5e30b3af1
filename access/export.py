"""Export an AIP version from storage as a complete, validated BagIt bag (a folder, tar or zip)."""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from catalogue import Database
from catalogue import queries as catalogue
from preservation.bag_validation import validate_bag
from preservation.config import Settings
from preservation.errors import NotFound, PackageError, PreservationError, Problem, StorageError
from preservation.progress import NO_PROGRESS, Progress
from storage import open_location
from storage.digests import hash_stream
from storage.ocfl import read_inventory, version_state

FORMATS = ("dir", "tar", "zip")
SUFFIX = {"dir": "", "tar": ".tar", "zip": ".zip"}
PACKED = (".zip", ".tar", ".tar.gz", ".tgz", ".7z")  # a destination ending so says how the bag is packed


def export_aip(
    settings: Settings,
    database: Database,
    reference: str,
    dest: Path,
    as_: str = "dir",
    version: str | None = None,
    into: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Path:
    """Write the AIP's bag to ``dest`` — a new path (``.zip``/``.tar`` added when packing and it lacks it), or,
    as ``<slug>-<uuid>[.tar|.zip]``, into ``dest`` if it is an empty folder or ``into`` is given.

    The bag is assembled under a hidden temporary name, every file is checked against the OCFL
    inventory's SHA-512 as it is copied, the whole bag is validated (RFC 8493), and only then is
    it packed (for tar and zip) and given its final name. ``progress`` follows it: copying, validating and
    packing, each to its total in bytes.
    """
    if as_ not in FORMATS:
        raise PackageError(f"cannot export as {as_!r}", hint=f"Choose one of {', '.join(FORMATS)}.")
    with database.session() as session:
        aip = catalogue.get_aip(session, reference)
        replicas = [r for r in catalogue.aip_replicas(session, aip.id) if r.status == "ok"]
    if not replicas:
        raise PackageError(f"AIP {aip.id} has no intact copy to export", hint="Run `preserve audit` for details.")
    head = int(aip.head_version.lstrip("v"))
    if version is not None and not (re.fullmatch(r"v[1-9][0-9]*", version) and int(version[1:]) <= head):
        raise NotFound(
            f"AIP {aip.id} has no version {version}",
            hint=f"Its versions are v1 to {aip.head_version} (`preserve aip show {aip.id[:8]} --versions` says what "
            "each holds); without --version the latest is exported.",
        )
    name = aip.bag_name + (f"-{version}" if version and version != aip.head_version else "")
    target = _target(Path(dest), name, as_, into)
    if os.path.lexists(target):
        raise PackageError(f"{target}: already exists", hint="Choose another destination.")
    if not target.parent.is_dir():
        raise PackageError(
            f"{target.parent}: no such folder", hint="Create the folder first, or export into one that exists."
        )
    partial = target.parent / f".{aip.bag_name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    errors: list[str] = []
    for replica in replicas:
        try:
            storage = open_location(settings.location(replica.location))
            size = _materialise(storage, replica.object_root, partial, version, progress)
            progress.stage("Validating the bag", size)
            _validate(partial, progress.advance)
        except PreservationError as exc:
            errors.append(f"{replica.location}: {exc.message}")
            shutil.rmtree(partial, ignore_errors=True)
            continue
        try:
            if as_ != "dir":
                progress.stage(f"Packing the bag as {as_}", size)
            _finish(partial, target, aip.bag_name, as_, progress.advance)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return target
    raise PackageError(
        f"AIP {aip.id} could not be exported from any location",
        details=[Problem(line.split(":", 1)[0], line.split(":", 1)[1].strip()) for line in errors],
        hint="`preserve audit --aip ID` checks and repairs the copies; then export again.",
    )


def _target(dest: Path, name: str, as_: str, into: bool) -> Path:
    """Where the bag goes: into an existing folder only if it is empty or ``into`` says so (a second export to
    the same path must not land inside the first bag); a new path as given, with the packing's extension."""
    if dest.is_dir():
        if into and (dest / "bagit.txt").is_file():
            raise PackageError(
                f"{dest}: is a bag itself (it has a bagit.txt): a bag put inside it would make it invalid",
                hint="Give the folder the bag is in, or a new path for this bag.",
            )
        if not into and any(dest.iterdir()):
            bag = (dest / "bagit.txt").is_file()
            raise PackageError(
                f"{dest}: is a folder that is not empty" + (" (a bag: an earlier export?)" if bag else ""),
                hint="Give a new path for the bag."
                if bag
                else f"Add --into to put the bag inside it (as {name}{SUFFIX[as_]}), or give a new path for the bag.",
            )
        return dest / (name + SUFFIX[as_])
    if into:
        raise PackageError(f"{dest}: no such folder", hint="With --into, give a folder that exists.")
    packed = [end for end in PACKED if dest.name.lower().endswith(end) and end != SUFFIX[as_]]
    if packed:
        raise PackageError(
            f"{dest}: ends in {packed[0]}, but the bag is written as {'a folder' if as_ == 'dir' else as_}",
            hint=f"Leave the extension off (it is added) or choose --as to fit: {', '.join(FORMATS)}.",
        )
    if as_ != "dir" and not dest.name.lower().endswith(SUFFIX[as_]):
        return dest.with_name(dest.name + SUFFIX[as_])
    return dest


def _materialise(storage, root: str, dest: Path, version: str | None, progress: Progress) -> int:
    """Copy the version's files out of storage, each checked against its SHA-512; return the bytes copied."""
    inventory = read_inventory(storage, root)
    files = list(version_state(inventory, version))
    sizes = {o.key[len(root) + 1 :]: o.size for o in storage.list(root + "/")}
    progress.stage(f"Copying from {storage.describe()}", sum(sizes.get(content, 0) for _, content, _ in files))
    copied = 0
    for logical, content, sha512 in files:
        target = dest / logical
        target.parent.mkdir(parents=True, exist_ok=True)
        with storage.open(f"{root}/{content}") as source, target.open("wb") as out:

            def write(chunk: bytes | memoryview) -> None:
                out.write(chunk)
                progress.advance(len(chunk))

            digests, size = hash_stream(source, ("sha512",), sink=write)
        copied += size
        if digests["sha512"] != sha512:
            raise StorageError(f"{root}/{content}: does not match the inventory's SHA-512")
    return copied


def _validate(bag_dir: Path, on_file: Callable[[int], None]) -> None:
    report = validate_bag(bag_dir, on_file=on_file)
    if not report.valid:
        raise PackageError(
            f"exported bag is not valid: {'; '.join(report.errors[:5])}",
            hint="Nothing was left at the destination; `preserve audit --aip ID` checks the stored copies.",
        )


def _finish(partial: Path, target: Path, bag_name: str, as_: str, on_bytes: Callable[[int], None]) -> None:
    """Rename the bag folder into place, or pack it into a tar or zip under a temporary name first."""
    if as_ == "dir":
        partial.rename(target)
        return
    packing = target.with_name(f".{target.name}.partial")
    try:
        if as_ == "tar":
            with tarfile.open(packing, "w", format=tarfile.PAX_FORMAT) as archive:
                archive.add(partial, arcname=bag_name, filter=lambda member: _counted(member, on_bytes))
        else:
            with zipfile.ZipFile(packing, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
                for path in sorted(partial.rglob("*")):
                    if path.is_file():
                        archive.write(path, f"{bag_name}/{path.relative_to(partial).as_posix()}")
                        on_bytes(path.stat().st_size)
        packing.rename(target)
    except BaseException:
        packing.unlink(missing_ok=True)
        raise


def _counted(member: tarfile.TarInfo, on_bytes: Callable[[int], None]) -> tarfile.TarInfo:
    """A tar member as it is added, its size counted (tarfile's filter sees each one just before it is written)."""
    on_bytes(member.size if member.isfile() else 0)
    return member
