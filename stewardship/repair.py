"""Repairing the copies of an AIP file by file, so a file is lost only when every copy of *that file* is bad.

For each damaged or missing file of a copy (payload files, the METS, bag tag files, the OCFL
inventories and their sidecars), the content is streamed from any other location whose copy of that
same file verifies as it is read — against the catalogue's digests, the trusted inventory's, or the
recorded inventory digest — and written through a reader that refuses to end the write unless the
bytes were the expected ones; the written file is then read back. Content goes first, the root
inventory (the OCFL commit point) last. Keys that do not belong to the object are moved aside into a
quarantine folder of the location, never deleted. A file no location holds intact is reported as lost,
with what each location holds instead; everything else is still repaired.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import BinaryIO, Protocol, cast

from preservation.errors import FixityError, NotFound, PreservationError, StorageError
from preservation.identifiers import utc_now
from preservation.model import LostFile
from stewardship.audit import WHOLE_COPY, CopyAudit, Expected
from storage import Storage
from storage.digests import VerifyingReader, hash_stream
from storage.ocfl import COMMIT_FILES, OBJECT_NAMASTE

QUARANTINE = "extensions/preserve-quarantine"
UNEXPECTED = "unexpected file"
SIDECAR = ".sha512"
EVENT_LOG = "event log: "  # how an audit names a document of the event log beside the object


class _KeepsVersions(Protocol):
    """A store that keeps object versions (S3): ``open`` reads a version that a newer one or a delete marker hides."""

    def open(self, key: str, version_id: str = "") -> BinaryIO:
        """A streaming binary reader for one version of ``key`` (the current one when ``version_id`` is '')."""
        ...


@dataclass(frozen=True)
class Wanted:
    """A key the object must hold and what it must be (``sha512`` empty: only its own sidecar can vouch)."""

    key: str
    path: str  # as an audit names it
    size: int = -1
    sha512: str = ""


@dataclass(frozen=True)
class Side:
    """One location's copy of the object."""

    name: str
    storage: Storage
    root: str
    versions: dict[str, str] = field(default_factory=dict)  # key -> VersionId recorded when the copy was sealed

    def key(self, key: str) -> str:
        """The location's key of a key under the object root (a root of '' takes whole keys, as the event log)."""
        return f"{self.root}/{key}" if self.root else key


@dataclass(frozen=True)
class FileRepair:
    """One file of one copy re-written from another location's copy, verified as read and once written."""

    key: str
    path: str
    source: str
    target: str
    sha512: str


@dataclass
class RepairOutcome:
    """Everything a repair of one AIP did and could not do."""

    repaired: list[FileRepair] = field(default_factory=list)
    lost: list[LostFile] = field(default_factory=list)
    quarantined: dict[str, list[str]] = field(default_factory=dict)  # location -> keys moved aside
    problems: dict[str, str] = field(default_factory=dict)  # location -> why writing to it failed

    def rewritten(self, location: str) -> list[str]:
        """The keys re-written in one location."""
        return [r.key for r in self.repaired if r.target == location]


def quarantine_prefix(aip_id: str) -> str:
    """Where keys found inside an AIP's object that do not belong to it are moved (one folder per repair)."""
    return f"{QUARANTINE}/{aip_id}/{utc_now().strftime('%Y%m%dT%H%M%S%fZ')}/"


def wanted_files(inventory: dict, files: Iterable[Expected], inventory_sha512: str) -> dict[str, Wanted]:
    """Every key of the object as the trusted ``inventory`` and the catalogue (``files``) say it must be."""
    head = inventory["head"]
    state = inventory["versions"][head]["state"]
    logical = {inventory["manifest"][digest][0]: path for digest, paths in state.items() for path in paths}
    known = {expected.path: expected for expected in files}
    wanted = {}
    for digest, contents in inventory["manifest"].items():
        for content in contents:
            path = logical.get(content, content)
            size = known[path].size if path in known else -1
            wanted[content] = Wanted(content, path, size, digest)
    namaste, text = OBJECT_NAMASTE
    wanted[namaste] = Wanted(namaste, namaste, len(text), hashlib.sha512(text.encode()).hexdigest())
    sidecar = hashlib.sha512(f"{inventory_sha512}  inventory.json\n".encode()).hexdigest() if inventory_sha512 else ""
    for version in inventory["versions"]:
        current = version == head and inventory_sha512
        for base in (f"{version}/", ""):
            if base or version == head:
                wanted[f"{base}inventory.json"] = Wanted(
                    f"{base}inventory.json", f"{base}inventory.json", -1, inventory_sha512 if current else ""
                )
                wanted[f"{base}inventory.json{SIDECAR}"] = Wanted(
                    f"{base}inventory.json{SIDECAR}", f"{base}inventory.json{SIDECAR}", -1, sidecar if current else ""
                )
    return wanted


def damage_by_key(check: CopyAudit) -> tuple[dict[str, str], str, list[str]]:
    """What a check found, by key: (problem by key, why every key is in doubt or '', stray keys)."""
    problems: dict[str, str] = {}
    doubt = ""
    stray = []
    for bad in check.bad:
        if bad.key and bad.problem.startswith(UNEXPECTED):
            stray.append(bad.key)
        elif bad.key:
            problems.setdefault(bad.key, bad.problem)
        elif bad.path == WHOLE_COPY:
            doubt = bad.problem
        elif bad.path.startswith(EVENT_LOG):
            continue  # the event log beside the object: repaired by its own rule (stewardship.event_log_audit)
        elif bad.path != "(object versions)":  # the catalogue names a file the inventory does not: the inventory
            for key in ("inventory.json", f"inventory.json{SIDECAR}"):
                problems.setdefault(key, bad.problem)
    return problems, doubt, sorted(stray)


def repair_files(
    aip_id: str, sides: list[Side], wanted: dict[str, Wanted], checks: dict[str, CopyAudit]
) -> RepairOutcome:
    """Re-write every damaged file of every checked copy from any location whose copy of it verifies."""
    outcome = RepairOutcome()
    known_bad: dict[str, dict[str, str]] = {side.name: {} for side in sides}
    doubt: dict[str, str] = {}
    for side in sides:
        if side.name in checks:
            problems, doubt[side.name], stray = damage_by_key(checks[side.name])
            known_bad[side.name].update(problems)
            if stray:
                outcome.quarantined[side.name] = _quarantine(side, aip_id, stray)
    verified = {name for name, check in checks.items() if check.kind == "full"}
    unrepaired: set[str] = set()
    for target in sides:
        suspects = set(wanted) if doubt.get(target.name) else _partners(known_bad[target.name])
        keys = (set(known_bad[target.name]) | suspects) & set(wanted)
        unrepaired |= _repair_copy(
            target,
            sorted(keys, key=_commit_order),
            sides,
            wanted,
            known_bad,
            suspects,
            doubt.get(target.name) or "checked with its pair",
            verified,
            outcome,
        )
    for key in sorted(unrepaired):
        states = tuple((name, bad[key]) for name, bad in sorted(known_bad.items()) if key in bad)
        if len(states) == len(sides):  # no location holds it intact: lost, not merely left unrepaired
            outcome.lost.append(LostFile(aip_id, wanted[key].path, key, states))
    return outcome


def _partners(damaged: dict[str, str]) -> set[str]:
    """An inventory and its sidecar vouch for each other: when one is found wrong, either may be the bad one."""
    found = set()
    for key in damaged:
        inventory = key.removesuffix(SIDECAR)
        if inventory.rsplit("/", 1)[-1] == "inventory.json":
            found |= {inventory, inventory + SIDECAR}
    return found - set(damaged)


def _repair_copy(
    target: Side,
    keys: list[str],
    sides: list[Side],
    wanted: dict[str, Wanted],
    known_bad: dict[str, dict[str, str]],
    suspects: set[str],
    doubt: str,
    verified: set[str],
    outcome: RepairOutcome,
) -> set[str]:
    """Repair one copy's damaged keys in commit order (``suspects`` only if they do not verify where they are);
    returns the keys no other location could supply."""
    content: list[str] = []
    synced = False
    unrepaired = set()
    for key in keys:
        if target.name in outcome.problems:
            break
        if not synced and _commit_order(key)[0] > 0:
            _sync(target, content)  # everything the inventories describe is durable before they are written
            synced = True
        if key in suspects and key not in known_bad[target.name]:
            if intact(target, wanted[key]) or (not wanted[key].sha512 and _self_consistent(target, key)):
                continue  # only suspected (the copy as a whole, or its pair); this file is sound
            known_bad[target.name][key] = doubt
        if _repair_key(wanted[key], target, sides, known_bad, verified, outcome):
            content += [key] if _commit_order(key)[0] == 0 else []
        elif target.name not in outcome.problems:
            unrepaired.add(key)
    if not synced:
        _sync(target, content)
    return unrepaired


def _commit_order(key: str) -> tuple[int, str]:
    """Content first, then earlier versions' inventories, then the root inventory and its sidecar."""
    if key in COMMIT_FILES:
        return 2, key
    return (1 if key.split("/", 1)[-1] in COMMIT_FILES else 0), key


def _repair_key(
    want: Wanted,
    target: Side,
    sides: list[Side],
    known_bad: dict[str, dict[str, str]],
    verified: set[str],
    outcome: RepairOutcome,
) -> bool:
    """Re-write one key of ``target`` from the first other location whose copy verifies; False if none does."""
    candidates = [s for s in sides if s.name != target.name and want.key not in known_bad[s.name]]
    candidates.sort(key=lambda s: s.name not in verified)  # copies verified in this run first
    for source in candidates:
        try:
            expected = want if want.sha512 else _vouched(source, want)
            _copy_verified(source, target, expected)
        except WriteFailed as exc:
            outcome.problems[target.name] = exc.message
            return False
        except NotFound:
            known_bad[source.name][want.key] = "missing"
            continue
        except PreservationError as exc:  # the source's copy is not the one recorded, or cannot be read
            known_bad[source.name][want.key] = exc.message.removeprefix(f"{source.name}: {want.path}: ")
            continue
        outcome.repaired.append(FileRepair(want.key, want.path, source.name, target.name, expected.sha512))
        known_bad[target.name].pop(want.key, None)
        return True
    return _from_recorded_version(want, target, sides, outcome, known_bad)


def _from_recorded_version(
    want: Wanted, target: Side, sides: list[Side], outcome: RepairOutcome, known_bad: dict[str, dict[str, str]]
) -> bool:
    """On a versioned store the version verified when a copy was sealed is kept (Object Lock retains it) even
    when a newer one or a delete marker hides it: re-write from it, verified like any other source."""
    for source in sorted(sides, key=lambda s: s.name != target.name):
        version = source.versions.get(source.key(want.key), "")
        if not version or not want.sha512:
            continue
        label = f"{source.name} (its version {version})"
        store = cast(_KeepsVersions, source.storage)  # only a store that keeps versions has versions recorded
        try:
            copy_verified(partial(store.open, source.key(want.key), version_id=version), label, target, want)
        except WriteFailed as exc:
            outcome.problems[target.name] = exc.message
            return False
        except PreservationError:
            continue
        outcome.repaired.append(FileRepair(want.key, want.path, label, target.name, want.sha512))
        known_bad[target.name].pop(want.key, None)
        return True
    return False


class WriteFailed(StorageError):
    """Writing to the copy being repaired failed (not the source's fault)."""


def _copy_verified(source: Side, target: Side, want: Wanted) -> None:
    """Stream one key across from another location's copy (see ``copy_verified``)."""
    copy_verified(lambda: source.storage.open(source.key(want.key)), f"{source.name}: {want.path}", target, want)


def copy_verified(opener: Callable[[], BinaryIO], label: str, target: Side, want: Wanted) -> None:
    """Write one key of ``target`` from a stream through a verifying reader, then read the written copy back;
    bad source content raises FixityError with nothing replaced, a failed write ``WriteFailed``."""
    with opener() as stream:
        reader = VerifyingReader(stream, "sha512", want.sha512, want.size, label)
        try:
            target.storage.put(
                target.key(want.key),
                reader,
                size=want.size if want.size >= 0 else None,
                durable=_commit_order(want.key)[0] > 0,
                overwrite=True,
            )
        except PreservationError as exc:
            if reader.failure is not None:
                raise reader.failure from None
            raise WriteFailed(exc.message) from None
    if not intact(target, want):
        raise WriteFailed(f"{target.storage.describe()}: {want.key}: the re-written copy does not verify")


def intact(side: Side, want: Wanted) -> bool:
    """Whether a location's copy of a key is exactly what is wanted (read in full)."""
    if not want.sha512:
        return False
    try:
        with side.storage.open(side.key(want.key)) as stream:
            digests, size = hash_stream(stream, ("sha512",))
    except PreservationError:
        return False
    return digests["sha512"] == want.sha512 and (want.size < 0 or size == want.size)


def _vouched(source: Side, want: Wanted) -> Wanted:
    """An earlier version's inventory (or its sidecar) as the source's own sidecar vouches for it."""
    inventory_key = want.key.removesuffix(SIDECAR)
    with source.storage.open(source.key(inventory_key + SIDECAR)) as stream:
        token = (stream.read(1024).decode("ascii", "replace").split() or [""])[0].lower()
    with source.storage.open(source.key(inventory_key)) as stream:
        digests, _ = hash_stream(stream, ("sha512",))
    if digests["sha512"] != token:
        raise FixityError(
            f"{source.name}: {inventory_key} does not match its sidecar",
            hint="This copy's inventory cannot be trusted: `preserve audit --aip ID` repairs it from another copy.",
        )
    if want.key == inventory_key:
        return Wanted(want.key, want.path, -1, token)
    sidecar = f"{token}  {inventory_key.rsplit('/', 1)[-1]}\n".encode()
    return Wanted(want.key, want.path, len(sidecar), hashlib.sha512(sidecar).hexdigest())


def _self_consistent(side: Side, key: str) -> bool:
    """Whether an earlier version's inventory and its sidecar in one location agree."""
    try:
        _vouched(side, Wanted(key, key))
    except PreservationError:
        return False
    return True


def _sync(side: Side, keys: list[str]) -> None:
    side.storage.sync(side.key(key) for key in keys)


def _quarantine(side: Side, aip_id: str, stray: list[str]) -> list[str]:
    """Move keys that do not belong to the object into the location's quarantine folder."""
    folder = quarantine_prefix(aip_id)
    for key in stray:
        stored = side.storage.stat(side.key(key))
        with side.storage.open(side.key(key)) as stream:
            side.storage.put(folder + side.key(key), stream, size=stored.size, overwrite=False)
        side.storage.delete(side.key(key))
    return stray
