"""Check an AIP's event log in every location holding it, and repair each damaged or missing document from
a location whose copy verifies — the same rule, document by document, as for the files of the AIP.

A document named ``<UTC time>-<SHA-256>.xml`` verifies itself: it is intact when its bytes have the
SHA-256 its name carries, and every location holding the AIP must hold it. A document named before
keys carried a digest (``<UTC time>-<uuid>.xml``) cannot prove itself; see ``audit_event_log`` for the
rule that judges it. Repair writes (a new version, on versioned stores) and never deletes.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from lxml import etree

from preservation.errors import CopyProblem, PreservationError, StorageError
from preservation.premis import PREMIS_NS
from stewardship.event_log import event_log_prefix, named_digest
from stewardship.repair import quarantine_prefix
from storage.base import Storage

CHUNK = 1024 * 1024
SPOOL = 8 * 1024 * 1024  # a document larger than this is spooled to a temporary file, not kept in memory
MISSING = "missing"
UNEXPECTED = "unexpected file (not an event log document)"
# <UTC time>-<SHA-256>.xml, or <UTC time>-<uuid>.xml as documents were named before December 2026
DOCUMENT_NAME = re.compile(r"\d{8}T\d{6,12}Z-(?:[0-9a-f]{64}|[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})\.xml")


@dataclass
class EventLogAudit:
    """What each location's copy of an AIP's event log holds and which of its documents are not intact."""

    aip_id: str
    # location -> its documents that are damaged or missing (path and key: the document's key; check: "missing",
    # "damaged: …", "disputed: …" or UNEXPECTED)
    problems: dict[str, list[CopyProblem]] = field(default_factory=dict)
    held: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> location -> SHA-256 of its bytes
    expected: dict[str, str] = field(default_factory=dict)  # key -> SHA-256 of an intact copy ('' if none)
    unreadable: dict[str, str] = field(default_factory=dict)  # location -> why its log could not be listed

    @property
    def ok(self) -> bool:
        """Whether every location's every document is intact."""
        return not self.unreadable and not any(self.problems.values())


@dataclass(frozen=True)
class EventLogRepair:
    """One document re-written in one location from another location's intact copy, and verified."""

    key: str
    source: str
    target: str
    sha256: str
    version_id: str = ""  # the new object version, where the target keeps versions


@dataclass(frozen=True)
class LostDocument:
    """A document with no intact copy in any location: what each location holds instead (left as it is)."""

    key: str
    states: tuple[tuple[str, str], ...]  # (location, what is wrong with its copy)


@dataclass
class EventLogRepairs:
    """What a repair did: documents re-written, documents lost, and writes that failed."""

    repaired: list[EventLogRepair] = field(default_factory=list)
    lost: list[LostDocument] = field(default_factory=list)
    failed: list[CopyProblem] = field(default_factory=list)  # documents that could not be written, and why
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (location, key) moved out of the log


def audit_event_log(stores: Mapping[str, Storage], aip_id: str) -> EventLogAudit:
    """Check each location's event log documents; ``stores`` are the locations holding the AIP.

    A new-style document (its name carries a SHA-256) is intact where its bytes have that digest, and
    missing in every other location that holds the AIP. An old-style document (a uuid in its name,
    written to one location, or copied across by replication under the same key) is damaged where it
    does not parse as XML with a PREMIS root. Where several locations hold the same old-style key and
    the copies that parse differ: the content that an intact new-style document names (its twin, same
    bytes) wins; else the content of a strict majority of the copies that parse wins (a copy that alone
    parses is its own majority); the others are damaged. With no twin and no majority (one against one)
    no copy can be trusted: every copy that parses is reported as disputed and none is repaired. An
    old-style document absent from a location is not missing there: such documents were written to
    each location under its own name.
    """
    audit = EventLogAudit(aip_id)
    named: dict[str, set[str]] = {}  # key -> locations whose copy parses (old-style) / verifies (new-style)
    for location, storage in stores.items():
        try:
            keys = [stored.key for stored in storage.list(event_log_prefix(aip_id))]
        except PreservationError as exc:
            audit.unreadable[location] = exc.message
            continue
        audit.problems[location] = []
        for key in keys:
            digest, problem = _examine(storage, key)
            if problem == UNEXPECTED:
                audit.problems[location].append(CopyProblem(key, UNEXPECTED, location=location, key=key))
                continue
            audit.held.setdefault(key, {})[location] = digest
            if problem:
                audit.problems[location].append(CopyProblem(key, f"damaged: {problem}", location=location, key=key))
            else:
                named.setdefault(key, set()).add(location)
    twins = {named_digest(key) for key, places in named.items() if named_digest(key) and places}
    for key, copies in sorted(audit.held.items()):
        good = {location: copies[location] for location in named.get(key, ())}
        audit.expected[key] = named_digest(key) or _decide(good, twins)
        if named_digest(key) or not good:
            continue
        trusted = sorted(location for location, digest in good.items() if digest == audit.expected[key])
        for location, digest in sorted(good.items()):
            if not audit.expected[key]:
                others = ", ".join(sorted(set(good) - {location}))
                audit.problems[location].append(
                    CopyProblem(
                        key,
                        f"disputed: differs from the copy in {others} and nothing decides which is intact",
                        location=location,
                        key=key,
                    )
                )
            elif digest != audit.expected[key]:
                audit.problems[location].append(
                    CopyProblem(
                        key,
                        "damaged: differs from the intact copy in " + ", ".join(trusted),
                        location=location,
                        key=key,
                    )
                )
    for location, problems in audit.problems.items():
        problems.extend(
            CopyProblem(key, MISSING, location=location, key=key)
            for key in sorted(audit.held)
            if named_digest(key) and location not in audit.held[key]
        )
        problems.sort(key=lambda p: p.key)
    return audit


def repair_event_log(stores: Mapping[str, Storage], aip_id: str, audit: EventLogAudit) -> EventLogRepairs:
    """Re-write each damaged or missing document from a location whose copy verifies, read it back, and
    list what was done; documents with no intact copy anywhere are returned as lost and left as they are."""
    if audit.aip_id != aip_id:
        raise PreservationError(
            f"the event log audit given is of AIP {audit.aip_id}, not {aip_id}",
            hint="Audit the AIP's event log again and repair with that audit.",
        )
    result = EventLogRepairs()
    damaged: dict[str, list[tuple[str, str]]] = {}
    for location, problems in sorted(audit.problems.items()):
        for problem in problems:
            if problem.check == UNEXPECTED:
                _quarantine(stores[location], aip_id, problem.key, location, result)
            else:
                damaged.setdefault(problem.key, []).append((location, problem.check))
    for key, states in sorted(damaged.items()):
        if not _repair_document(stores, audit, key, states, result):
            result.lost.append(LostDocument(key, tuple(states)))
    return result


def _repair_document(
    stores: Mapping[str, Storage],
    audit: EventLogAudit,
    key: str,
    states: list[tuple[str, str]],
    result: EventLogRepairs,
) -> bool:
    """Write one document to each location in ``states`` from the first intact copy; False if there is none."""
    expected = audit.expected.get(key, "")
    targets = [location for location, _ in states]
    sources = sorted(
        location
        for location, digest in audit.held.get(key, {}).items()
        if expected and digest == expected and location not in targets and location in stores
    )
    for source in sources:
        # a binary file (its default mode is w+b), which typeshed calls only IO[bytes]
        with cast(BinaryIO, tempfile.SpooledTemporaryFile(max_size=SPOOL)) as spool:
            if _fetch(stores[source], key, spool) != expected:
                continue  # unreadable, or changed since the audit: try the next location
            for target in targets:
                try:
                    version = _write_verified(stores[target], key, spool, expected)
                except PreservationError as exc:
                    result.failed.append(CopyProblem(key, exc.message, location=target, key=key))
                    continue
                result.repaired.append(EventLogRepair(key, source, target, expected, version))
            return True
    return False


def _quarantine(storage: Storage, aip_id: str, key: str, location: str, result: EventLogRepairs) -> None:
    """Move a file that is not an event log document out of the log, into the location's quarantine folder."""
    folder = quarantine_prefix(aip_id)  # the same folder an object's strays go to
    try:
        with storage.open(key) as handle:
            storage.put(folder + key, handle, size=storage.stat(key).size, overwrite=False)
        storage.delete(key)
    except PreservationError as exc:
        result.failed.append(CopyProblem(key, exc.message, location=location, key=key))
        return
    result.quarantined.append((location, key))


def _examine(storage: Storage, key: str) -> tuple[str, str]:
    """The SHA-256 of a stored document and what is wrong with it ('' when nothing this copy alone shows)."""
    if not DOCUMENT_NAME.fullmatch(key.rsplit("/", 1)[-1]):
        return "", UNEXPECTED
    named = named_digest(key)
    parser = None if named else _Parser()  # an old-style document is judged by parsing it
    try:
        with storage.open(key) as handle:
            digest = _hash(handle, parser.feed if parser is not None else None)
    except PreservationError as exc:
        return "", f"unreadable: {exc.message}"
    if parser is None:
        return digest, "" if digest == named else f"its content has changed (SHA-256 {digest}, its name says {named})"
    return digest, parser.verdict()


class _Parser:
    """An XML parser fed chunk by chunk that remembers the first error instead of raising it."""

    def __init__(self) -> None:
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True)
        self.error = ""

    def feed(self, chunk: bytes) -> None:
        """Parse one more chunk, unless the document is already known not to be well formed."""
        if not self.error:
            try:
                self.parser.feed(chunk)
            except etree.XMLSyntaxError as exc:
                self.error = f"not well-formed XML ({exc})"

    def verdict(self) -> str:
        """What is wrong with the whole document ('' when it is a PREMIS document)."""
        if self.error:
            return self.error
        try:
            root = self.parser.close()
        except etree.XMLSyntaxError as exc:
            return f"not well-formed XML ({exc})"
        return "" if root.tag == f"{{{PREMIS_NS}}}premis" else f"not a PREMIS document (root {root.tag})"


def _decide(copies: dict[str, str], twins: set[str]) -> str:
    """The content an old-style document should have: a twin's, else a strict majority's, else ''."""
    counts = Counter(copies.values())
    twin = sorted(digest for digest in counts if digest in twins)
    if twin:
        return twin[0]
    digest, count = counts.most_common(1)[0] if counts else ("", 0)
    return digest if count * 2 > len(copies) else ""


def _hash(handle: BinaryIO, also: Callable[[bytes], object] | None = None) -> str:
    """The SHA-256 of a stream, read in chunks (each also handed to ``also``)."""
    hasher = hashlib.sha256()
    while chunk := handle.read(CHUNK):
        hasher.update(chunk)
        if also is not None:
            also(chunk)
    return hasher.hexdigest()


def _fetch(storage: Storage, key: str, spool: BinaryIO) -> str:
    """Copy ``key`` into ``spool``; return the SHA-256 of what was read ('' if it could not be read)."""
    try:
        with storage.open(key) as handle:
            return _hash(handle, spool.write)
    except PreservationError:
        return ""


def _write_verified(storage: Storage, key: str, spool: BinaryIO, expected: str) -> str:
    """Write the spooled document under ``key``, read it back, and return the new version (if any)."""
    spool.seek(0, 2)
    size = spool.tell()
    spool.seek(0)
    stored = storage.put(key, spool, size=size)
    with storage.open(key) as handle:
        digest = _hash(handle)
    if stored.digests.get("sha256") != expected or digest != expected:
        raise StorageError(f"{storage.describe()}: {key} reads back with SHA-256 {digest}, not {expected}")
    return stored.version_id
