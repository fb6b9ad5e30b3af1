"""Checking one stored copy of an AIP against what was recorded when it was verified.

A **full** check re-reads every stored file and compares its size, SHA-256 and SHA-512 with the
catalogue (payload files and the METS) or with the OCFL inventory (everything else the object
holds); a **metadata** check compares only what the store can say without reading the bytes:
which keys exist, their sizes, and the store's own full-object checksum where it keeps one. Both
also find keys the object should not hold, a root inventory that differs from the one recorded
when the copy was sealed, and on versioned stores a recorded version hidden by a delete marker or
a newer version. Running checks, repairs and recording them is ``stewardship.audit_runs``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from preservation.errors import CopyProblem, NotFound, PreservationError
from preservation.parallel import ordered_map
from storage import Storage, StoredObject
from storage.digests import hash_stream
from storage.ocfl import COMMIT_FILES, OBJECT_NAMASTE

FULL, METADATA = "full", "metadata"
WHOLE_COPY = "(whole copy)"
_VERSION_INVENTORY = re.compile(r"v[0-9]+/inventory\.json(\.sha512)?")


@dataclass(frozen=True)
class Expected:
    """A stored file and what was recorded for it at ingest (size -1 or an empty digest: not recorded)."""

    path: str
    size: int
    sha256: str
    sha512: str


@dataclass
class CopyAudit:
    """The result of checking one stored copy of an AIP."""

    location: str
    kind: str = FULL
    files: int = 0
    bytes: int = 0
    bad: list[CopyProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every file of the copy matched."""
        return not self.bad

    @property
    def missing(self) -> bool:
        """True when nothing of the copy is left in its location."""
        return any(bad.path == WHOLE_COPY for bad in self.bad)


@dataclass(frozen=True)
class _Target:
    """One content file to check: its key under the root, the path to report, and what it should be."""

    key: str
    path: str
    size: int
    sha256: str
    sha512: str


def check_file(storage: Storage, root: str, location: str, target: _Target) -> tuple[int, CopyProblem | None]:
    """Stream one stored file and compare its size and digests with the recorded ones; return bytes read."""
    try:
        with storage.open(f"{root}/{target.key}") as handle:
            digests, size = hash_stream(handle, ("sha256", "sha512"))
    except NotFound:
        return 0, CopyProblem(target.path, "missing", location=location, key=target.key)
    except PreservationError as exc:
        return 0, CopyProblem(target.path, f"unreadable: {exc.message}", location=location, key=target.key)
    if target.size >= 0 and size != target.size:
        return size, CopyProblem(target.path, f"size {size}, expected {target.size}", location=location, key=target.key)
    for algorithm in ("sha256", "sha512"):
        recorded = getattr(target, algorithm)
        if recorded and digests[algorithm] != recorded:
            return size, CopyProblem(
                target.path, f"checksum mismatch ({algorithm.upper()})", location=location, key=target.key
            )
    return size, None


def audit_copy(
    storage: Storage,
    root: str,
    location: str,
    files: Iterable[Expected],
    workers: int,
    recorded_versions: dict[str, str] | None = None,
    *,
    inventory_sha512: str = "",
    kind: str = FULL,
    on_file: Callable[[int], None] | None = None,
) -> CopyAudit:
    """Check one copy: its keys against its OCFL inventory, its files against the catalogue (``files``) and
    the inventory, its inventory against ``inventory_sha512``, its versions against ``recorded_versions``."""
    result = CopyAudit(location, kind)
    try:
        listing = {o.key[len(root) + 1 :]: o for o in storage.list(root + "/")}
    except PreservationError as exc:
        result.bad.append(CopyProblem(WHOLE_COPY, f"unreadable: {exc.message}", location=location))
        return result
    if not listing:
        result.bad.append(CopyProblem(WHOLE_COPY, f"missing: nothing is stored at {root}", location=location))
        return result
    inventory, problems = _trusted_inventory(storage, root, location, listing, inventory_sha512)
    result.bad.extend(problems)
    if inventory is None:
        return result
    targets, expected_keys = _targets(inventory, files, location, result)
    if recorded_versions:
        result.bad.extend(_version_changes(storage, root, location, recorded_versions, targets))
    flagged = {bad.key for bad in result.bad if bad.key}
    result.bad.extend(
        CopyProblem(key, "unexpected file (not part of the OCFL object)", location=location, key=key)
        for key in sorted(set(listing) - expected_keys)
    )
    result.bad.extend(
        CopyProblem(key, "missing", location=location, key=key)
        for key in sorted(expected_keys - set(listing) - {t.key for t in targets} - flagged)
    )
    if kind == FULL:
        result.bad.extend(_check_sidecars(storage, root, location, listing, flagged))

    def check(target: _Target) -> tuple[_Target, int, CopyProblem | None]:
        if target.key in flagged:
            return target, 0, None  # already reported (its recorded version is gone)
        stored = listing.get(target.key)
        if stored is None:
            return target, 0, CopyProblem(target.path, "missing", location=location, key=target.key)
        if kind == FULL:
            return target, *check_file(storage, root, location, target)
        return target, stored.size, _check_metadata(storage, root, location, target, stored)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for _target, size, bad in ordered_map(pool, check, targets, window=max(1, workers) * 4):
            result.files += 1
            result.bytes += size
            if bad is not None:
                result.bad.append(bad)
            if on_file is not None:
                on_file(size)
    return result


def _trusted_inventory(
    storage: Storage, root: str, location: str, listing: dict[str, StoredObject], recorded: str
) -> tuple[dict[str, Any] | None, list[CopyProblem]]:
    """The root inventory if it is intact and the one recorded; else the newest intact version inventory
    (so the rest of the copy can still be checked and repaired), with the problems found."""
    problems: list[CopyProblem] = []
    try:
        data, digest = read_checked(storage, f"{root}/inventory.json", f"{root}/inventory.json.sha512")
        if recorded and digest != recorded:
            problems.append(
                CopyProblem(
                    "inventory.json",
                    "changed since the copy was verified (its SHA-512 differs from the one recorded)",
                    location=location,
                    key="inventory.json",
                )
            )
        else:
            return parse_inventory(data), problems
    except PreservationError as exc:
        problems.append(CopyProblem("inventory.json", exc.message, location=location, key="inventory.json"))
    for key in sorted(
        (k for k in listing if _VERSION_INVENTORY.fullmatch(k) and not k.endswith(".sha512")),
        key=lambda k: -int(k.split("/")[0][1:]),
    ):
        try:
            data, _ = read_checked(storage, f"{root}/{key}", f"{root}/{key}.sha512")
            return parse_inventory(data), problems
        except PreservationError:
            continue
    problems.append(CopyProblem(WHOLE_COPY, "no intact OCFL inventory: its files cannot be checked", location=location))
    return None, problems


def read_checked(storage: Storage, key: str, sidecar_key: str) -> tuple[bytes, str]:
    """An inventory's bytes and SHA-512, checked against its sidecar."""
    try:
        with storage.open(key) as handle:
            data = handle.read()
    except NotFound:
        raise PreservationError("missing", hint="`preserve audit` repairs it from a good copy.") from None
    try:
        with storage.open(sidecar_key) as handle:
            sidecar = handle.read().decode("ascii", "replace").split()
    except NotFound:
        raise PreservationError(
            "its .sha512 sidecar is missing", hint="`preserve audit` repairs it from a good copy."
        ) from None
    digest = hashlib.sha512(data).hexdigest()
    if not sidecar or sidecar[0].lower() != digest:
        raise PreservationError(
            "does not match its .sha512 sidecar (either may be the damaged one; repair re-writes both)",
            hint="`preserve audit` repairs it from a good copy.",
        )
    return data, digest


def parse_inventory(data: bytes) -> dict[str, Any]:
    """An OCFL inventory's JSON, refused unless it has a manifest and a head version with a state."""
    try:
        inventory = json.loads(data)
        inventory["manifest"], inventory["versions"][inventory["head"]]["state"]  # noqa: B018 - shape check
        return inventory
    except (ValueError, KeyError, TypeError) as exc:
        raise PreservationError(
            f"not a usable OCFL inventory ({exc})", hint="`preserve audit` repairs it from a good copy."
        ) from None


def _targets(
    inventory: dict[str, Any], files: Iterable[Expected], location: str, result: CopyAudit
) -> tuple[list[_Target], set[str]]:
    """Every content file of the object with what it should be, and every key the object should hold."""
    head_state = inventory["versions"][inventory["head"]]["state"]
    manifest = inventory["manifest"]
    logical: dict[str, str] = {}  # content path -> logical path in the head version
    for digest, paths in head_state.items():
        for path in paths:
            logical.setdefault(manifest[digest][0], path)
    recorded = {}
    content_of = {path: manifest[digest][0] for digest, paths in head_state.items() for path in paths}
    for expected in files:
        content = content_of.get(expected.path)
        if content is None:
            result.bad.append(CopyProblem(expected.path, "missing from the OCFL inventory", location=location))
        else:
            recorded[content] = expected
    targets = []
    for digest, content_paths in manifest.items():
        for content in content_paths:
            known = recorded.get(content)
            targets.append(
                _Target(
                    content,
                    logical.get(content, content),
                    known.size if known else -1,
                    known.sha256 if known else "",
                    digest,
                )
            )
    keys = {t.key for t in targets} | {OBJECT_NAMASTE[0], *COMMIT_FILES}
    keys |= {f"{version}/{name}" for version in inventory["versions"] for name in COMMIT_FILES}
    return sorted(targets, key=lambda t: t.key), keys


def _check_metadata(
    storage: Storage, root: str, location: str, target: _Target, stored: StoredObject
) -> CopyProblem | None:
    """Size from the listing; the store's own full-object SHA-256, where it keeps one, against the catalogue."""
    if target.size >= 0 and stored.size != target.size:
        return CopyProblem(
            target.path, f"size {stored.size}, expected {target.size}", location=location, key=target.key
        )
    if not target.sha256 or not storage.keeps_checksums:
        return None
    try:
        store_sha256 = storage.stat(f"{root}/{target.key}").digests.get("store-sha256", "")
    except PreservationError as exc:
        return CopyProblem(target.path, f"unreadable: {exc.message}", location=location, key=target.key)
    composite = "-" in store_sha256  # a multipart upload's checksum is a composite of its parts
    if store_sha256 and not composite and base64.b64decode(store_sha256).hex() != target.sha256:
        return CopyProblem(
            target.path, "store checksum differs from the SHA-256 recorded at ingest", location=location, key=target.key
        )
    return None


def _check_sidecars(
    storage: Storage, root: str, location: str, listing: dict[str, StoredObject], flagged: set[str]
) -> list[CopyProblem]:
    """Each version's inventory copy against its sidecar (the root inventory was checked already)."""
    bad = []
    for key in sorted(k for k in listing if _VERSION_INVENTORY.fullmatch(k) and not k.endswith(".sha512")):
        if key in flagged:
            continue
        try:
            read_checked(storage, f"{root}/{key}", f"{root}/{key}.sha512")
        except PreservationError as exc:
            bad.append(CopyProblem(key, exc.message, location=location, key=key))
    return bad


def _version_changes(
    storage: Storage, root: str, location: str, recorded: dict[str, str], targets: list[_Target]
) -> list[CopyProblem]:
    """Keys of a copy whose current object version is not the one verified and recorded (newer, or deleted)."""
    try:
        current = storage.current_versions(root + "/")
    except PreservationError as exc:
        return [CopyProblem("(object versions)", f"unreadable: {exc.message}", location=location)]
    logical = {t.key: t.path for t in targets}
    bad = []
    for key, version_id in sorted(recorded.items()):
        if not key.startswith(root + "/"):
            continue  # the event log grows after ingest; its documents are checked by their own digests
        relative = key[len(root) + 1 :]
        path = logical.get(relative, relative)
        if key not in current:
            bad.append(
                CopyProblem(
                    path,
                    "deleted: a delete marker hides the version verified at ingest",
                    location=location,
                    key=relative,
                )
            )
        elif current[key] != version_id:
            bad.append(
                CopyProblem(
                    path, f"replaced: a newer object version hides {version_id}", location=location, key=relative
                )
            )
    return bad
