"""The PREMIS side of one transfer: its agents, and the records and events of its files."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from formats.identify import identifier_description
from ingest.journal import JournalFile
from ingest.sources import RENAMING_RULE, logical_name
from preservation.agents import login_name, person_agent, software_agent
from preservation.identifiers import agent_uuid, event_uuid
from preservation.model import (
    CREATION,
    FAILURE,
    FILENAME_CHANGE,
    FIXITY_CHECK,
    FORENSIC_FEATURE_ANALYSIS,
    FORMAT_IDENTIFICATION,
    INGESTION_END,
    INGESTION_START,
    MESSAGE_DIGEST_CALCULATION,
    NORMALIZATION,
    ORGANIZATION,
    ORIGINAL,
    PENDING_REVIEW,
    REPLICATION,
    SOFTWARE,
    SUCCESS,
    VALIDATION,
    VIRUS_CHECK,
    WARNING,
    Agent,
    Event,
    FileRecord,
)

IDENTIFIED = ("signature", "container", "text")


def make_agents(archive_name: str, archivist: str, signature_file: Path | None = None) -> dict[str, Agent]:
    """The agents of an ingest: preserve, the identification tool, the organisation, the archivist."""
    tool, tool_version, signatures = identifier_description(signature_file)
    person = archivist or login_name()
    return {
        "software": software_agent(),
        "identifier": Agent(
            agent_uuid(SOFTWARE, tool, tool_version + signatures),
            SOFTWARE,
            tool,
            tool_version,
            f"signatures: {signatures}",
        ),
        "organization": Agent(agent_uuid(ORGANIZATION, archive_name), ORGANIZATION, archive_name),
        "person": person_agent(person),
    }


DERIVED = ("preservation", "access")  # roles of the copies normalisation makes


def _renamed(item: JournalFile) -> bool:
    """True when a file of the transfer is stored under a name other than the one it was given."""
    if item.role == ORIGINAL:
        return item.logical.removeprefix("data/objects/") != item.relative
    name = item.relative.rsplit("/", 1)[-1]
    return logical_name(item.relative) != item.relative or not item.logical.endswith("/" + logical_name(name))


@dataclass(frozen=True)
class TransferRecords:
    """Builds the FileRecords and Events of one transfer; event ids are derived, so rebuilding is safe."""

    transfer_id: str
    aip_id: str
    source_name: str
    locations: tuple[str, ...]
    agents: dict[str, Agent]
    kind: str = "folder"  # how the transfer arrived
    review_kinds: tuple[str, ...] = ()  # personal data that puts a file "pending review" (checks policy)

    def review(self, item: JournalFile) -> str:
        """PENDING_REVIEW when the personal-data scan found a kind the policy flags."""
        scan = item.personal_data
        return PENDING_REVIEW if scan and scan.scanned and set(scan.found) & set(self.review_kinds) else ""

    def ingest_agents(self) -> tuple[str, ...]:
        """The program, the organisation and the archivist: the agents of the AIP-level ingest events."""
        return (self.agents["software"].id, self.agents["organization"].id, self.agents["person"].id)

    def program(self, tool: str) -> tuple[str, ...]:
        """Per-file events name only the program that did the work; who ingested on whose behalf is on
        the AIP's ingestion events (keeps the METS and the catalogue lean at 100,000 files)."""
        return (self.agents[tool].id,)

    def file_record(self, item: JournalFile) -> FileRecord:
        """The PREMIS object of a journalled file."""
        original = item.role == ORIGINAL
        return FileRecord(
            id=item.file_id,
            aip_id=self.aip_id,
            path=item.logical,
            original_name="objects/" + item.relative if original else item.relative,
            role=item.role,
            derived_from=item.derived_from,
            size=item.size,
            sha256=item.sha256,
            sha512=item.sha512,
            format=item.format,
            validation=item.validation,
            personal_data=item.personal_data.summary() if item.personal_data else "",
            review=self.review(item),
        )

    def tool_agent(self, label: str) -> Agent:
        """The software agent for a tool named like ``Pillow 13.0.0`` (recorded once per transfer)."""
        key = f"tool:{label}"
        if key not in self.agents:
            found = re.match(r"(.*?)\s+(\d.*)$", label)
            name, version = (found.group(1), found.group(2)) if found else (label, "")
            self.agents[key] = Agent(agent_uuid(SOFTWARE, name, version), SOFTWARE, name, version)
        return self.agents[key]

    def file_events(self, item: JournalFile) -> tuple[Event, ...]:
        """Every event of one file: how it came to be (derived, renamed), the depositor's checksums, digests,
        identification and read-back, the virus check, failed conversions, the personal-data scan, validation."""
        return (
            *self._origin_events(item),
            *self._depositor_fixity_events(item),
            *self._storing_events(item),
            *self._virus_events(item),
            *self._conversion_failures(item),
            *self._personal_data_events(item),
            *self._validation_events(item),
        )

    def _origin_events(self, item: JournalFile) -> list[Event]:
        """A derivative's normalization or creation, or the filename change of a renamed original."""
        stored = item.logical.removeprefix("data/objects/")
        if item.role in DERIVED:
            tool, _, target = item.derivation.rpartition("|")
            kind = NORMALIZATION if item.role == "preservation" else CREATION
            return [
                Event(
                    event_uuid(self.transfer_id, item.file_id, kind),
                    self.aip_id,
                    kind,
                    item.derived_at,
                    SUCCESS,
                    f"program={tool}; {item.role} copy as {target}",
                    f"made from {item.derived_from} under the format policy; the original is kept",
                    item.file_id,
                    (self.tool_agent(tool).id,),
                )
            ]
        if _renamed(item):
            return [
                self._event(
                    item,
                    FILENAME_CHANGE,
                    item.hashed_at,
                    SUCCESS,
                    f"program=preserve; rule: {RENAMING_RULE}",
                    f"stored as {stored!r}; original name {item.relative!r} (\\xNN marks bytes that were not UTF-8)",
                    "software",
                )
            ]
        return []

    def _depositor_fixity_events(self, item: JournalFile) -> list[Event]:
        """A fixity check for each checksum the depositor gave for the file."""
        return [
            Event(
                event_uuid(self.transfer_id, item.file_id, f"{FIXITY_CHECK}:depositor:{algorithm}"),
                self.aip_id,
                FIXITY_CHECK,
                item.hashed_at,
                SUCCESS,
                f"program=preserve; the depositor's {algorithm.upper()} checksum ({where}) compared "
                "with the file as received",
                f"{algorithm}:{digest} matches (the depositor's assertion)",
                item.file_id,
                self.program("software"),
            )
            for algorithm, digest, where in item.asserted
        ]

    def _storing_events(self, item: JournalFile) -> list[Event]:
        """Digest calculation, format identification and the read-back fixity check."""
        fmt = item.format
        outcome_detail = f"{fmt.puid or 'no PUID'} ({fmt.name or 'unknown format'}); basis: {fmt.basis}"
        if fmt.warning:
            outcome_detail += f"; {fmt.warning}"
        return [
            self._event(
                item,
                MESSAGE_DIGEST_CALCULATION,
                item.hashed_at,
                SUCCESS,
                "program=preserve; algorithms=SHA-256, SHA-512",
                f"sha256:{item.sha256}",
                "software",
            ),
            self._event(
                item,
                FORMAT_IDENTIFICATION,
                item.identified_at,
                SUCCESS if fmt.basis in IDENTIFIED else WARNING,
                f"program={fmt.tool}",
                outcome_detail,
                "identifier",
            ),
            self._event(
                item,
                FIXITY_CHECK,
                item.stored_at,
                SUCCESS,
                "stored copy read back and its SHA-256 compared with the original's",
                f"verified in: {', '.join(self.locations)}",
                "software",
            ),
        ]

    def _virus_events(self, item: JournalFile) -> list[Event]:
        """The virus check, where one was made."""
        if not item.virus:
            return []
        clean = item.virus == "clean"
        return [
            Event(
                event_uuid(self.transfer_id, item.file_id, VIRUS_CHECK),
                self.aip_id,
                VIRUS_CHECK,
                item.virus_at,
                SUCCESS if clean else WARNING,
                f"program={self.agents['virus'].name}",
                "clean" if clean else f"not scanned: {item.virus_detail}",
                item.file_id,
                (self.agents["virus"].id,),
            )
        ]

    def _conversion_failures(self, item: JournalFile) -> list[Event]:
        """A failed normalization or creation for each derivative the policy asked for and could not be made."""
        return [
            Event(
                event_uuid(self.transfer_id, item.file_id, f"{NORMALIZATION}:{role}:{target}"),
                self.aip_id,
                NORMALIZATION if role == "preservation" else CREATION,
                when,
                FAILURE,
                f"program={tool}; {role} copy as {target}",
                f"not made: {message}; the original is kept",
                item.file_id,
                (self.tool_agent(tool).id,),
            )
            for role, target, tool, message, when in item.conversion_problems
        ]

    def _personal_data_events(self, item: JournalFile) -> list[Event]:
        """The personal-data scan (forensic feature analysis), where one was made."""
        scan = item.personal_data
        if scan is None:
            return []
        flagged = self.review(item)
        return [
            self._event(
                item,
                FORENSIC_FEATURE_ANALYSIS,
                item.personal_at,
                WARNING if flagged or not scan.scanned else SUCCESS,
                "program=preserve; personal-data scan: UK National Insurance and NHS numbers, payment cards, "
                "e-mail addresses, UK telephone numbers and postcodes (counts only, never the values)",
                scan.summary() + (f"; {flagged}" if flagged else ""),
                "software",
            )
        ]

    def _validation_events(self, item: JournalFile) -> list[Event]:
        """Validation, unless no validator knows the format."""
        validation = item.validation
        if not validation.status or validation.messages[:1] == ("no validator for this format",):
            return []
        outcome = {"valid": SUCCESS, "well-formed": SUCCESS, "invalid": FAILURE}.get(validation.status, WARNING)
        notes = "; ".join(validation.messages)  # at most MAX_MESSAGES, the validators cap them
        traits = ", ".join(f"{key}: {value}" for key, value in validation.characteristics)
        detail = f"{validation.status}" + (f"; {notes}" if notes else "") + (f"; {traits}" if traits else "")
        agent = self.tool_agent(validation.tool).id if validation.tool else self.agents["software"].id
        return [
            Event(
                event_uuid(self.transfer_id, item.file_id, VALIDATION),
                self.aip_id,
                VALIDATION,
                item.validated_at,
                outcome,
                f"program={validation.tool or 'preserve'}; checks for {validation.family or 'this format'}",
                detail,
                item.file_id,
                (agent,),
            )
        ]

    def _event(
        self, item: JournalFile, kind: str, when: str, outcome: str, detail: str, outcome_detail: str, tool: str
    ) -> Event:
        return Event(
            event_uuid(self.transfer_id, item.file_id, kind),
            self.aip_id,
            kind,
            when,
            outcome,
            detail,
            outcome_detail,
            item.file_id,
            self.program(tool),
        )

    def start_event(self, when: str) -> Event:
        """The AIP's ingestion start."""
        return Event(
            event_uuid(self.transfer_id, self.aip_id, INGESTION_START),
            self.aip_id,
            INGESTION_START,
            when,
            SUCCESS,
            f"transfer {self.transfer_id}: {self.kind} {self.source_name!r}",
            "",
            "",
            self.ingest_agents(),
        )

    def replication_event(self, when: str, location: str, description: str, version: str = "v1") -> Event:
        """One copy of the AIP written to a location and verified there."""
        return Event(
            event_uuid(self.transfer_id, self.aip_id, f"{REPLICATION}:{location}:{version}"),
            self.aip_id,
            REPLICATION,
            when,
            SUCCESS,
            f"program=preserve; copy {version} to location {location!r}",
            f"stored in {description}; every file read back and its SHA-256 verified",
            "",
            self.ingest_agents(),
        )

    def end_event(self, when: str, ocfl_id: str, files: int, size: int, duplicates: int = 0) -> Event:
        """The AIP's ingestion end: stored, verified and about to be registered."""
        note = f"; {duplicates} file(s) with content the archive already held" if duplicates else ""
        return Event(
            event_uuid(self.transfer_id, self.aip_id, INGESTION_END),
            self.aip_id,
            INGESTION_END,
            when,
            SUCCESS,
            f"AIP stored as OCFL object {ocfl_id} v1 and verified",
            f"{files} files, {size} bytes; locations: {', '.join(self.locations)}{note}",
            "",
            self.ingest_agents(),
        )
