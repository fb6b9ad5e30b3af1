"""Making BagIt bags for depositors (``preserve bag create``); validation is in preservation.bag_validation."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from ingest.archives import extract
from preservation import SOFTWARE_NAME, software_version
from preservation.bag import BagEntry, write_tag_files
from preservation.bag_validation import (
    INCOMPLETE,
    INVALID,
    VALID,
    BagReport,
    hash_file_job,
    no_worker,
    validate_bag,
)
from preservation.errors import PackageError as BagError
from preservation.identifiers import utc_now
from preservation.parallel import worker_map

__all__ = ["INCOMPLETE", "INVALID", "VALID", "BagReport", "create_bag", "validate_bag", "validate_packed_bag"]


def validate_packed_bag(
    archive: Path, fast: bool = False, workers: int = 1, on_file: Callable[[int], None] | None = None
) -> BagReport:
    """Validate a bag packed in a zip, tar or 7z file (as `preserve aip export --as zip|tar` makes them): unpacked
    with ingest's checks (no path outside the folder, no links, size limits) into a temporary folder that is
    removed afterwards; the bag is the archive's top level, or its one top-level folder."""
    with tempfile.TemporaryDirectory(prefix="preserve-bag-") as work:
        unpacked = extract(archive, Path(work) / "unpacked")
        entries = list(unpacked.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
        report = validate_bag(root, fast=fast, workers=workers, on_file=on_file)
        return replace(report, path=str(archive))


def create_bag(folder: Path, info: list[tuple[str, str]], workers: int = 1) -> BagReport:
    """Turn ``folder`` into a bag in place (its contents move under data/), with SHA-256 and SHA-512
    manifests and tag manifests; on any failure the contents are moved back as they were."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BagError(f"{folder}: not a folder")
    if (folder / "bagit.txt").exists():
        raise BagError(f"{folder}: is a bag already (it has a bagit.txt)")
    links = [
        os.path.join(d, n)
        for d, dirs, files in os.walk(folder)
        for n in dirs + files
        if os.path.islink(os.path.join(d, n))
    ]
    if links:
        raise BagError(f"{links[0]}: is a symbolic link; bags cannot hold links")
    entries = sorted(os.listdir(folder))
    staging = folder / f".preserve-bagging-{uuid.uuid4().hex}"
    staging.mkdir()
    moved: list[str] = []
    try:
        for name in entries:
            os.rename(folder / name, staging / name)
            moved.append(name)
        os.rename(staging, folder / "data")
        files = [os.path.join(d, n) for d, _dirs, names in os.walk(folder / "data") for n in sorted(names)]
        jobs = [(path, ("sha256", "sha512")) for path in sorted(files)]
        results = dict(worker_map(no_worker, None, hash_file_job, jobs, workers, 64))
        failed = [path for path, found in results.items() if isinstance(found, str)]
        if failed:
            raise BagError(f"{failed[0]}: {results[failed[0]]}")
        digests = {path: found for path, found in results.items() if not isinstance(found, str)}  # all of them

        def payload() -> Iterator[BagEntry]:
            for path, found in digests.items():
                relative = os.path.relpath(path, folder).replace(os.sep, "/")
                yield BagEntry(relative, os.path.getsize(path), found["sha256"], found["sha512"])

        fields = [
            ("Bagging-Date", utc_now().date().isoformat()),
            ("Bag-Software-Agent", f"{SOFTWARE_NAME} {software_version()}"),
            *info,
        ]
        write_tag_files(folder, payload, fields)
    except BaseException:
        for name in (
            "bagit.txt",
            "bag-info.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
            "tagmanifest-sha256.txt",
            "tagmanifest-sha512.txt",
        ):
            (folder / name).unlink(missing_ok=True)
        if (folder / "data").is_dir() and not staging.exists():
            os.rename(folder / "data", staging)
        for name in moved:
            os.rename(staging / name, folder / name)
        staging.rmdir()
        raise
    return validate_bag(folder, fast=True)
