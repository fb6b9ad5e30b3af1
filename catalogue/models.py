"""SQLAlchemy tables of the catalogue. Only ``catalogue`` imports SQLAlchemy."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

UUID_LEN = 36
TIME_LEN = 40
BYTE_ORDER_TEXT = Text().with_variant(Text(collation="C"), "postgresql")  # compared and sorted byte by byte


class Base(DeclarativeBase):
    """Declarative base of every catalogue table."""

    # every model below is declared with a __tablename__, so it is mapped to a Table (never a join or a
    # select), and queries insert into and delete from it with Core statements
    __table__: ClassVar[Table]


class StorageLocationRow(Base):
    """A storage location known to the catalogue (its settings live in preserve.toml)."""

    __tablename__ = "storage_locations"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    backend: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[str] = mapped_column(String(TIME_LEN))


class AgentRow(Base):
    """A PREMIS agent: software, organisation or person."""

    __tablename__ = "agents"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(Text)
    version: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class AipRow(Base):
    """An AIP; a row exists only once the AIP is stored, verified and registered."""

    __tablename__ = "aips"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    slug: Mapped[str] = mapped_column(String(100))
    transfer_id: Mapped[str] = mapped_column(String(UUID_LEN), unique=True)
    ocfl_id: Mapped[str] = mapped_column(String(100))
    head_version: Mapped[str] = mapped_column(String(20))
    file_count: Mapped[int] = mapped_column(BigInteger)
    total_bytes: Mapped[int] = mapped_column(BigInteger)
    mets_path: Mapped[str] = mapped_column(Text)
    mets_sha512: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[str] = mapped_column(String(TIME_LEN))
    # effective access, the AIP's own (catalogue.access_status); closed until it has been worked out
    access: Mapped[str] = mapped_column(String(20), default="closed", server_default="closed")
    closed_until: Mapped[str] = mapped_column(String(10), default="", server_default="")
    # derivatives the format policy asks for and an ingest left for later: "" none, "pending", "making:HOST:PID"
    copies: Mapped[str] = mapped_column(String(300), server_default="")  # no Python default: see _aip_row
    # files and bytes by role ({role: {files, bytes}} as JSON), and what a copy stores (null until measured);
    # no Python defaults: see _aip_row
    counts: Mapped[str] = mapped_column(Text, server_default="")
    stored_files: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    stored_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class FileRow(Base):
    """A file of an AIP with its digests and identified format."""

    __tablename__ = "files"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    sha512: Mapped[str] = mapped_column(String(128))
    puid: Mapped[str] = mapped_column(String(40), default="", index=True)
    format_name: Mapped[str] = mapped_column(Text, default="")
    format_version: Mapped[str] = mapped_column(String(100), default="")
    mime_type: Mapped[str] = mapped_column(String(255), default="")
    id_basis: Mapped[str] = mapped_column(String(20), default="")
    id_warning: Mapped[str] = mapped_column(Text, default="")
    validation: Mapped[str] = mapped_column(Text, default="")
    personal_data: Mapped[str] = mapped_column(Text, default="", server_default="")  # "email 2, uk-phone 1"
    review: Mapped[str] = mapped_column(String(20), default="", server_default="")  # "pending review" or ""
    derived_from: Mapped[str] = mapped_column(String(UUID_LEN), default="", server_default="", index=True)
    # effective access (catalogue.access_status): closed until it has been worked out, never open by mistake
    access: Mapped[str] = mapped_column(String(20), default="closed", server_default="closed")
    closed_until: Mapped[str] = mapped_column(String(10), default="", server_default="")
    access_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class EventRow(Base):
    """A PREMIS event about an AIP or one of its files."""

    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"))
    file_id: Mapped[str] = mapped_column(String(UUID_LEN), default="")
    type: Mapped[str] = mapped_column(String(100))
    datetime: Mapped[str] = mapped_column(String(TIME_LEN))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    outcome_detail: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        Index("ix_events_aip_file", "aip_id", "file_id"),
        Index("ix_events_aip_type", "aip_id", "type", "outcome"),  # aip show's counts, the legal hold (0023)
    )


class EventAgentRow(Base):
    """Which agents took part in an event, and in what role."""

    __tablename__ = "event_agents"
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(50), default="executing program")


class ReplicaRow(Base):
    """A stored copy of an AIP version in a location."""

    __tablename__ = "replicas"
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True)
    location: Mapped[str] = mapped_column(ForeignKey("storage_locations.name"), primary_key=True)
    version: Mapped[str] = mapped_column(String(20))
    object_root: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    stored_at: Mapped[str] = mapped_column(String(TIME_LEN))
    verified_at: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    inventory_sha512: Mapped[str] = mapped_column(String(128), default="", server_default="")
    metadata_checked_at: Mapped[str] = mapped_column(String(TIME_LEN), default="", server_default="")


class FixityCheckRow(Base):
    """One check of one copy: a full re-read or a metadata-only pass, and what it found."""

    __tablename__ = "fixity_checks"
    __table_args__ = (Index("ix_fixity_checks_location_time", "location", "checked_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True)
    location: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "full" or "metadata"
    checked_at: Mapped[str] = mapped_column(String(TIME_LEN))
    files: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    problems: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))  # "ok", "damaged", "repaired", "unrepaired"


class StoredVersionRow(Base):
    """The object-store VersionId of one key of a copy, as verified and locked after registration."""

    __tablename__ = "stored_versions"
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True)
    location: Mapped[str] = mapped_column(ForeignKey("storage_locations.name"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    version_id: Mapped[str] = mapped_column(String(1024))


class DescriptionRow(Base):
    """One Dublin Core value describing an AIP (target '') or a file or folder in it."""

    __tablename__ = "descriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    element: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class RightsRow(Base):
    """A PREMIS rights statement about an AIP (target '') or one of its files."""

    __tablename__ = "rights"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(Text, default="")
    basis: Mapped[str] = mapped_column(String(20))
    statement: Mapped[str] = mapped_column(Text)


class IngestRow(Base):
    """One ingest run: where it came from, how far it got, and why it stopped if it did."""

    __tablename__ = "ingests"
    transfer_id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    aip_id: Mapped[str] = mapped_column(String(UUID_LEN), index=True)
    source: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20))  # running, stored, failed, incomplete
    executor: Mapped[str] = mapped_column(String(20))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started: Mapped[str] = mapped_column(String(TIME_LEN), index=True)
    finished: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    hint: Mapped[str] = mapped_column(Text, default="")
    traceback: Mapped[str] = mapped_column(Text, default="")
    failed_files: Mapped[str] = mapped_column(Text, default="[]")  # JSON: [{path, error, traceback, attempts}]
    timings: Mapped[str] = mapped_column(Text, default="{}")  # JSON: where the time went (ingest.timings)


class UnitRow(Base):
    """A unit of archival description (collection, series, file, item) given by metadata.csv."""

    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(Text)  # '' the whole AIP, else a path under objects/
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    level: Mapped[str] = mapped_column(String(20), default="")
    parent_reference: Mapped[str] = mapped_column(String(255), default="", index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    date_text: Mapped[str] = mapped_column(String(100), default="")
    date_start: Mapped[str] = mapped_column(String(10), default="")
    date_end: Mapped[str] = mapped_column(String(10), default="")
    closure_kind: Mapped[str] = mapped_column(String(40), default="")


class DescribedUnitRow(Base):
    """A unit of description from the archive's catalogue (an EAD finding aid imported from CALM or AtoM), which
    AIPs can be placed under: it holds no files itself, and is changed only by importing again."""

    __tablename__ = "described_units"
    reference: Mapped[str] = mapped_column(String(255), primary_key=True)
    parent_reference: Mapped[str] = mapped_column(String(255), default="", index=True)
    level: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    date: Mapped[str] = mapped_column(String(100), default="")  # EDTF where the finding aid normalised it
    date_text: Mapped[str] = mapped_column(Text, default="")  # as written
    date_start: Mapped[str] = mapped_column(String(10), default="")
    date_end: Mapped[str] = mapped_column(String(10), default="")
    extent: Mapped[str] = mapped_column(Text, default="")
    scope: Mapped[str] = mapped_column(Text, default="")
    access_text: Mapped[str] = mapped_column(Text, default="")  # accessrestrict as written
    closure_kind: Mapped[str] = mapped_column(String(40), default="")  # a closure-policy kind, or pending-review
    closed_until: Mapped[str] = mapped_column(String(10), default="")  # a date the access conditions state
    creators: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    source: Mapped[str] = mapped_column(Text, default="")  # the file it was last imported from
    changed_at: Mapped[str] = mapped_column(String(TIME_LEN), default="")


class OaiItemRow(Base):
    """A record the OAI-PMH provider has ever exposed: a unit of description anyone may find, kept when it is
    closed or removed (then deleted, with the time it went) so harvesters learn of it."""

    __tablename__ = "oai_items"
    reference: Mapped[str] = mapped_column(String(255), primary_key=True)
    aip_id: Mapped[str] = mapped_column(String(UUID_LEN), default="", index=True)  # '' for a catalogue unit
    collection: Mapped[str] = mapped_column(String(255), default="")  # its set
    datestamp: Mapped[str] = mapped_column(String(20), index=True)  # YYYY-MM-DDThh:mm:ssZ: when it last changed
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    digest: Mapped[str] = mapped_column(String(64), default="")  # of ``fields``: a change moves the datestamp
    fields: Mapped[str] = mapped_column(Text, default="{}")  # what the metadata formats are written from (JSON)
    # a set is harvested in reference order, a page at a time
    __table_args__ = (Index("ix_oai_items_collection_reference", "collection", "reference"),)


class AccessDecisionRow(Base):
    """An archivist's decision on access to an AIP, a folder or a file (the latest one counts)."""

    __tablename__ = "access_decisions"
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    closed_until: Mapped[str] = mapped_column(String(10), default="")
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[str] = mapped_column(String(TIME_LEN))


class UserRow(Base):
    """A person who signs in to the portal: researcher, archivist or administrator."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(Text)  # Argon2id, in its own encoded form
    created_at: Mapped[str] = mapped_column(String(TIME_LEN))
    disabled: Mapped[int] = mapped_column(Integer, default=0)
    last_login: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    # when its sessions were last ended all at once: device cookies signed before then no longer count
    sessions_reset_at: Mapped[float] = mapped_column(Float, default=0, server_default="0")


class AttemptRow(Base):
    """One sign-in or registration attempt, counted against a key (an account, a client, both) before it is tried."""

    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), index=True)
    at: Mapped[float] = mapped_column(Float, index=True)  # seconds since the epoch


class PortalSessionRow(Base):
    """A signed-in portal session; the cookie carries a random id whose SHA-256 is this row's id."""

    __tablename__ = "portal_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    ended_why: Mapped[str] = mapped_column(Text, default="", server_default="")
    client: Mapped[str] = mapped_column(String(64), default="", server_default="")
    agent: Mapped[str] = mapped_column(Text, default="", server_default="")


class RegistrationRow(Base):
    """An account asked for in the portal, waiting for its owner to follow the link sent to the address."""

    __tablename__ = "registrations"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)


class RecordRow(Base):
    """A searchable record — a file, or a unit of description — with its facets and its words."""

    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # NULL for a unit of the archive's own catalogue (an imported finding aid's), which no AIP holds
    aip_id: Mapped[str | None] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), index=True, nullable=True)
    file_id: Mapped[str] = mapped_column(String(UUID_LEN), default="")  # '' for a unit that is not a file
    kind: Mapped[str] = mapped_column(String(10))  # "file" or "unit"
    reference: Mapped[str] = mapped_column(String(255), default="")
    # where the record sits in the hierarchy: its reference code, or that of the nearest unit above it, as
    # catalogue.references.hierarchy_key (byte order on both databases: 'C' collation on PostgreSQL)
    reference_key: Mapped[str] = mapped_column(BYTE_ORDER_TEXT, default="", server_default="", index=True)
    level: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(Text)
    collection: Mapped[str] = mapped_column(String(255), default="", index=True)
    year_start: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    year_end: Mapped[int | None] = mapped_column(Integer, nullable=True)
    puid: Mapped[str] = mapped_column(String(40), default="", index=True)
    format_name: Mapped[str] = mapped_column(Text, default="")
    access: Mapped[str] = mapped_column(String(20), index=True)
    closed_until: Mapped[str] = mapped_column(String(10), default="")
    path: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


class RequestRow(Base):
    """A researcher's request for records: a basket while open, then submitted, approved or refused."""

    __tablename__ = "requests"
    id: Mapped[str] = mapped_column(String(UUID_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), index=True)  # open, submitted, approved, refused
    created_at: Mapped[str] = mapped_column(String(TIME_LEN))
    submitted_at: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    decided_at: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    decided_by: Mapped[str] = mapped_column(Text, default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # delivery of an approved request (access.delivery): the DIP's place, size and the end of its link
    dip_location: Mapped[str] = mapped_column(Text, default="", server_default="")
    dip_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    dip_files: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered_at: Mapped[str] = mapped_column(Text, default="", server_default="")
    expires_at: Mapped[str] = mapped_column(Text, default="", server_default="")
    delivery_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # what could not be delivered
    revoked_at: Mapped[str] = mapped_column(Text, default="", server_default="")  # downloads stopped by an archivist
    revoked_reason: Mapped[str] = mapped_column(Text, default="", server_default="")


class RequestItemRow(Base):
    """One record in a request: an AIP, or a folder or file in it."""

    __tablename__ = "request_items"
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True)
    target: Mapped[str] = mapped_column(Text, primary_key=True)


class OutboxRow(Base):
    """A message to a person, kept until sent (by SMTP when configured)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(TIME_LEN))
    sent_at: Mapped[str] = mapped_column(String(TIME_LEN), default="")
    failure: Mapped[str] = mapped_column(Text, default="", server_default="")  # why it could not be sent
    failed_at: Mapped[str] = mapped_column(String(TIME_LEN), default="", server_default="")


class LostFileRow(Base):
    """A stored file of an AIP with no intact copy in any location, as the last audit of every copy found it."""

    __tablename__ = "lost_files"
    aip_id: Mapped[str] = mapped_column(ForeignKey("aips.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)  # under the object root: v1/content/data/objects/x
    path: Mapped[str] = mapped_column(Text)  # as the audit names it: its path in the AIP or its key in the object
    states: Mapped[str] = mapped_column(Text)  # JSON: [[location, what is wrong with that location's copy], ...]
    found_at: Mapped[str] = mapped_column(String(TIME_LEN), default="", server_default="")
