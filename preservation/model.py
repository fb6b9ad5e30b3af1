"""The domain model as plain data: what an AIP, its files, events, agents and replicas are."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# PREMIS event types, from the Library of Congress preservation event-type vocabulary.
INGESTION_START = "ingestion start"
INGESTION_END = "ingestion end"
MESSAGE_DIGEST_CALCULATION = "message digest calculation"
FORMAT_IDENTIFICATION = "format identification"
FIXITY_CHECK = "fixity check"
VALIDATION = "validation"
VIRUS_CHECK = "virus check"
FORENSIC_FEATURE_ANALYSIS = "forensic feature analysis"
PENDING_REVIEW = "pending review"
NORMALIZATION = "normalization"
CREATION = "creation"

# the formats a policy may ask derivatives to be made in (formats.converters makes each of them)
TARGET_FORMATS = ("odt", "ods", "odp", "pdfa", "ffv1-mkv", "mp4", "flac", "wav", "mp3", "tiff", "png", "jpeg")
FILENAME_CHANGE = "filename change"
METADATA_MODIFICATION = "metadata modification"
REPLICATION = "replication"
POLICY_ASSIGNMENT = "policy assignment"
RECOVERY = "recovery"
QUARANTINE = "quarantine"
DISSEMINATION = "dissemination"

# Outcomes
SUCCESS = "success"
FAILURE = "failure"
WARNING = "warning"

# Agent types (PREMIS agentType)
SOFTWARE = "software"
ORGANIZATION = "organization"
PERSON = "person"

# Roles of files within an AIP
ORIGINAL = "original"

ARCHIVAL = "archival."  # prefix of the archival description's elements (reference, level, parent, closure)


# PREMIS agent roles (Library of Congress vocabulary) of the agents linked to an event, by agent type
ROLE_BY_AGENT_TYPE = {SOFTWARE: "executing program", ORGANIZATION: "authorizer", PERSON: "implementer"}


@dataclass(frozen=True)
class Agent:
    """Who or what carried out an event: software (with version), the organisation, a person."""

    id: str
    type: str
    name: str
    version: str = ""
    note: str = ""

    @property
    def label(self) -> str:
        """Name and version, e.g. ``fido 1.6.1``."""
        return f"{self.name} {self.version}".strip()


@dataclass(frozen=True)
class Event:
    """A PREMIS event about an AIP (``file_id`` empty) or one of its files."""

    id: str
    aip_id: str
    type: str
    datetime: str
    outcome: str
    detail: str = ""
    outcome_detail: str = ""
    file_id: str = ""
    agent_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormatInfo:
    """What a file was identified as, and on what basis."""

    puid: str = ""
    name: str = ""
    version: str = ""
    mime_type: str = ""
    basis: str = ""
    warning: str = ""
    tool: str = ""

    @property
    def label(self) -> str:
        """The format in words: its name and version ('' if not identified)."""
        return format_label(self.name, self.version)


def format_label(name: str, version: str) -> str:
    """A format's name with its version, unless the name already says it ("Acrobat PDF 1.3 - Portable Document
    Format", version 1.3, stays as it is)."""
    name, version = (name or "").strip(), (version or "").strip()
    if not version or version in name.replace("-", " ").split():
        return name
    return f"{name} {version}".strip()


@dataclass(frozen=True)
class Validation:
    """The outcome of validating one file: status, messages, the tool, and characteristics found."""

    status: str  # valid, valid with warnings, well-formed, invalid, not checked, failed ('' never validated)
    family: str = ""
    tool: str = ""
    messages: tuple[str, ...] = ()  # warnings, or the problems found; for 'not checked' the reason first
    characteristics: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True unless the file was found invalid or the validator failed (hung or crashed)."""
        return self.status in ("valid", "valid with warnings", "well-formed", "not checked", "")

    @property
    def invalid(self) -> bool:
        """The format is broken: the only verdict a format policy's ``invalid`` setting acts on."""
        return self.status == "invalid"

    def to_json(self) -> str:
        """As JSON text (the journal and the catalogue keep it so)."""
        return json.dumps(
            {
                "status": self.status,
                "family": self.family,
                "tool": self.tool,
                "messages": list(self.messages),
                "characteristics": [list(pair) for pair in self.characteristics],
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> Validation:
        """The inverse of ``to_json`` (an empty Validation for None or '')."""
        if not text:
            return cls("")
        data = json.loads(text)
        return cls(
            data.get("status", ""),
            data.get("family", ""),
            data.get("tool", ""),
            tuple(data.get("messages", ())),
            tuple(tuple(pair) for pair in data.get("characteristics", ())),
        )


@dataclass(frozen=True)
class RightsStatement:
    """A PREMIS rights statement: on what basis, with what status and dates, and what it allows."""

    basis: str  # Copyright, License, Statute, Donor, Policy, Other
    status: str = ""  # for copyright: copyrighted, public domain, unknown
    jurisdiction: str = ""
    determination_date: str = ""
    start_date: str = ""
    end_date: str = ""
    note: str = ""  # for a licence: its terms
    act: str = ""
    restriction: str = ""  # Allow, Disallow, Conditional
    grant_start_date: str = ""
    grant_end_date: str = ""
    grant_note: str = ""
    source_row: int = 0
    terms: str = ""  # a licence's terms (rights.csv's terms column; older sheets gave them in note)
    citation: str = ""  # a statute's citation (older sheets gave it in note)
    doc_id_type: str = ""  # the documentation identifier: type, value and role
    doc_id_value: str = ""
    doc_id_role: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # (column, value) the reader did not know, kept as given

    def __post_init__(self) -> None:
        """Keep ``extra`` a tuple of pairs when it comes back from JSON as lists."""
        object.__setattr__(self, "extra", tuple(tuple(pair) for pair in self.extra))

    def to_dict(self) -> dict[str, Any]:
        """As plain data (for JSON)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class FileRecord:
    """One file in an AIP: where it is in the bag, what it was called, its digests and format."""

    id: str
    aip_id: str
    path: str
    original_name: str
    size: int
    sha256: str
    sha512: str
    format: FormatInfo = field(default_factory=FormatInfo)
    role: str = ORIGINAL
    validation: Validation = field(default_factory=lambda: Validation(""))
    personal_data: str = ""  # what the personal-data scan found, counts by kind ("" when not scanned)
    review: str = ""  # PENDING_REVIEW when the checks policy says a person must look first
    derived_from: str = ""  # a derivative's source file id


@dataclass(frozen=True)
class Replica:
    """One stored copy of an AIP version in a storage location."""

    aip_id: str
    location: str
    version: str
    object_root: str
    status: str = "ok"
    stored_at: str = ""
    verified_at: str = ""
    inventory_sha512: str = ""
    metadata_checked_at: str = ""


@dataclass(frozen=True)
class LostFile:
    """A stored file of an AIP with no intact copy in any location: what each location holds instead."""

    aip_id: str
    path: str  # as the audit names it: its path in the AIP, or its key in the OCFL object
    key: str  # its key under the object root
    states: tuple[tuple[str, str], ...]  # (location, what is wrong with that location's copy)
    found_at: str = ""


COPIES_PENDING, COPIES_MAKING = "pending", "making"  # Aip.copies_state

# What an AIP's files are, in the order they are counted (docs/aip.md, "Counts and sizes")
FILE_ROLES = ("original", "metadata", "preservation", "access")


@dataclass(frozen=True)
class FileCounts:
    """How many files and bytes an AIP holds, in the one vocabulary every command uses (docs/aip.md):
    by role (original files, metadata files, preservation and access copies), catalogued (all of those: the
    files `aip show --files` lists) and stored (every content file of the OCFL object, all versions: the
    catalogued files, the METS and the bag's tag files; None until measured)."""

    by_role: tuple[tuple[str, int, int], ...] = ()  # (role, files, bytes), in FILE_ROLES order, no empty roles
    stored: tuple[int, int] | None = None

    @classmethod
    def of_roles(cls, totals: dict[str, tuple[int, int]], stored: tuple[int, int] | None = None) -> FileCounts:
        """Counts from {role: (files, bytes)} (roles outside FILE_ROLES are kept, after them)."""
        order = [*FILE_ROLES, *sorted(set(totals) - set(FILE_ROLES))]
        return cls(tuple((r, *totals[r]) for r in order if r in totals and totals[r][0]), stored)

    def role(self, role: str) -> tuple[int, int]:
        """(files, bytes) of one role."""
        return next(((files, size) for name, files, size in self.by_role if name == role), (0, 0))

    @property
    def original(self) -> tuple[int, int]:
        """(files, bytes) of the records as the depositor gave them."""
        return self.role("original")

    @property
    def catalogued(self) -> tuple[int, int]:
        """(files, bytes) of every file the catalogue lists for the AIP, whatever its role."""
        return sum(files for _, files, _ in self.by_role), sum(size for _, _, size in self.by_role)

    def added(self, totals: dict[str, tuple[int, int]], stored: tuple[int, int] | None) -> FileCounts:
        """These counts with more files by role (a new version's copies), and the stored files as now measured."""
        merged = {role: (files, size) for role, files, size in self.by_role}
        for role, (files, size) in totals.items():
            before = merged.get(role, (0, 0))
            merged[role] = (before[0] + files, before[1] + size)
        return FileCounts.of_roles(merged, stored)

    def to_json(self) -> dict[str, Any]:
        """{role: {files, bytes}} for every role, with "catalogued" and "stored" (null until measured)."""
        data: dict[str, Any] = {role: _pair(*self.role(role)) for role in FILE_ROLES}
        data |= {role: _pair(files, size) for role, files, size in self.by_role if role not in FILE_ROLES}
        data["catalogued"] = _pair(*self.catalogued)
        data["stored"] = _pair(*self.stored) if self.stored is not None else None
        return data


def role_totals(records: Iterable[FileRecord]) -> dict[str, tuple[int, int]]:
    """{role: (files, bytes)} of these files."""
    totals: dict[str, tuple[int, int]] = {}
    for record in records:
        count, size = totals.get(record.role, (0, 0))
        totals[record.role] = (count + 1, size + record.size)
    return totals


def _pair(files: int, size: int) -> dict[str, int]:
    return {"files": files, "bytes": size}


@dataclass(frozen=True)
class Aip:
    """An Archival Information Package as the catalogue knows it."""

    id: str
    title: str
    slug: str
    transfer_id: str
    ocfl_id: str
    head_version: str
    file_count: int
    total_bytes: int
    mets_path: str
    mets_sha512: str
    created_at: str
    status: str = "stored"
    copies: str = ""  # derivatives ingest left for later: "" none, COPIES_PENDING, or "making:HOST:PID" (a claim)
    counts: FileCounts = field(default_factory=FileCounts)  # files and bytes by role, catalogued, stored

    @property
    def bytes_stored(self) -> int:
        """What one copy of the AIP holds, in bytes: as measured, else its catalogued files' (until measured)."""
        return self.counts.stored[1] if self.counts.stored is not None else self.total_bytes

    @property
    def copies_state(self) -> str:
        """Whether derivatives ingest left for later are owed: '' no, COPIES_PENDING, or COPIES_MAKING."""
        return self.copies.partition(":")[0]

    @property
    def bag_name(self) -> str:
        """The AIP's bag directory name, ``<slug>-<uuid>``."""
        return f"{self.slug}-{self.id}"


OPEN, CLOSED, RESTRICTED = "open", "closed", "restricted"


@dataclass(frozen=True)
class Access:
    """Who may see a record: open; closed until a date ('' = until reviewed); or restricted (needs approval)."""

    status: str
    closed_until: str = ""  # ISO date the closure ends (closed only)
    reason: str = ""  # the rule or decision that says so

    def in_force(self, today: str) -> Access:
        """This access as it stands on ``today`` (ISO date): a closure whose date has come is open."""
        if self.status == CLOSED and self.closed_until and self.closed_until <= today:
            return Access(OPEN, "", f"{self.reason} (closure ended {self.closed_until})")
        return self

    def strictness(self) -> tuple[int, str]:
        """For choosing the strictest: closed for longest, then restricted, then open."""
        rank = {OPEN: 0, RESTRICTED: 1, CLOSED: 2}[self.status]
        return rank, (self.closed_until or "9999-12-31") if self.status == CLOSED else ""


@dataclass(frozen=True)
class Unit:
    """A unit of archival description: what metadata.csv's archival columns and Dublin Core say of a target."""

    id: str
    aip_id: str
    target: str  # '' the whole AIP, else a path under objects/
    reference: str
    level: str = ""
    parent_reference: str = ""
    title: str = ""
    date_text: str = ""
    date_start: str = ""  # ISO dates of the first and last day the date allows ('' at an open end)
    date_end: str = ""
    closure_kind: str = ""  # a closure-policy kind (personal-data, depositor) or ''


@dataclass(frozen=True)
class DescribedUnit:
    """A unit of description from the archive's own catalogue (an imported EAD finding aid): no files of its own;
    AIPs are placed under it by its reference code."""

    reference: str
    parent_reference: str = ""
    level: str = ""
    title: str = ""
    date: str = ""  # EDTF where the finding aid normalised it, else as written
    date_text: str = ""
    date_start: str = ""  # ISO days the date spans ('' when open or not a date)
    date_end: str = ""
    extent: str = ""
    scope: str = ""
    access_text: str = ""  # the access conditions as written
    closure_kind: str = ""  # what they come to: a closure-policy kind, pending-review, or '' (open)
    closed_until: str = ""  # a date they state
    creators: tuple[str, ...] = ()
    source: str = ""  # the file last imported
    changed_at: str = ""

    def differences(self, other: DescribedUnit) -> list[str]:
        """The fields that differ from ``other``'s, besides where and when each was imported."""
        return [
            name
            for name in self.__dataclass_fields__
            if name not in ("source", "changed_at") and getattr(self, name) != getattr(other, name)
        ]
