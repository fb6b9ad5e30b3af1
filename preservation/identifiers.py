"""Identifiers and timestamps, decided once: UUIDs everywhere, deterministic event ids, UTC times.

* AIPs, transfers and AIP versions get random UUIDs (``new_uuid``).
* A file's UUID is derived from its AIP and its original relative path, so it is stable across
  AIP versions and a resumed ingest finds the same one.
* An event's UUID is derived from the transfer, the subject and the step, so repeating a step
  can never record a second event.
* METS ``ID`` attributes are ``xs:ID`` values and may not start with a digit: ``xml_id`` prefixes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

# Namespace for every name-based UUID preserve derives (a fixed, random UUID).
PRESERVE_NAMESPACE = uuid.UUID("6f1b0c8e-6a43-4c0e-9b7e-2f1d4b9e5a10")


def new_uuid() -> str:
    """A new random UUID as a string."""
    return str(uuid.uuid4())


def file_uuid(aip_id: str, original_path: str) -> str:
    """The stable UUID of the file at ``original_path`` (relative, '/'-separated) in an AIP."""
    return str(uuid.uuid5(PRESERVE_NAMESPACE, f"file:{aip_id}:{original_path}"))


def event_uuid(scope: str, subject: str, step: str) -> str:
    """The deterministic UUID of ``step`` done to ``subject`` within ``scope`` (a transfer or run)."""
    return str(uuid.uuid5(PRESERVE_NAMESPACE, f"event:{scope}:{subject}:{step}"))


def agent_uuid(kind: str, name: str, version: str = "") -> str:
    """The UUID of an agent, derived from what it is so the same agent always has the same id."""
    return str(uuid.uuid5(PRESERVE_NAMESPACE, f"agent:{kind}:{name}:{version}"))


def name_uuid(scope: str, name: str) -> str:
    """A UUID derived from a name within a scope (e.g. a described folder within an AIP)."""
    return str(uuid.uuid5(PRESERVE_NAMESPACE, f"name:{scope}:{name}"))


def urn(uuid_text: str) -> str:
    """The ``urn:uuid:`` form of a UUID, used as OCFL object id and METS OBJID."""
    return f"urn:uuid:{uuid_text}"


def xml_id(prefix: str, uuid_text: str) -> str:
    """An ``xs:ID``-safe identifier such as ``file-<uuid>``."""
    return f"{prefix}-{uuid_text}"


def utc_now() -> datetime:
    """The current time in UTC, with its offset (never a naive datetime)."""
    return datetime.now(UTC)


def timestamp(moment: datetime | None = None) -> str:
    """An ISO 8601 timestamp in UTC with an explicit offset, e.g. ``2026-11-26T04:14:36.123456+00:00``."""
    moment = moment or utc_now()
    if moment.tzinfo is None:
        raise ValueError("naive datetimes are not allowed; use UTC")
    return moment.astimezone(UTC).isoformat()
