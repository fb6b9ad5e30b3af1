"""The depositor's descriptive and rights metadata for one transfer, read and checked against its files.

Four files, all optional, as Archivematica names them: ``metadata.csv`` and ``metadata.json``
(descriptions; a target described in both is refused), ``rights.csv`` (PREMIS rights) and
``identifiers.json`` (identifiers the depositor already gave). What would make the record wrong refuses
the transfer (TransferError listing every problem); what is merely unusual is kept as given and reported
in ``warnings``, plain sentences naming the file, the row and what was kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.identifiers_json import read_identifiers_json
from ingest.metadata import checked_descriptions, csv_entries, describe
from ingest.metadata_json import json_entries
from ingest.rights import read_rights_csv
from preservation.model import RightsStatement


@dataclass
class TransferMetadata:
    """What the transfer's metadata files say: descriptions and rights by target, identifiers, and warnings."""

    descriptions: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rights: dict[str, list[RightsStatement]] = field(default_factory=dict)
    identifiers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # target -> (type, value)
    warnings: list[str] = field(default_factory=list)


def read_transfer_metadata(
    metadata_csv: Path | None,
    rights_csv: Path | None,
    files: set[str],
    folders: set[str],
    database,
    aip_id: str,
    metadata_json: Path | None = None,
    identifiers_json: Path | None = None,
) -> TransferMetadata:
    """Read the metadata files that came with a transfer (or were given); TransferError naming what is wrong."""
    found = TransferMetadata()
    if rights_csv is not None:
        found.rights = read_rights_csv(Path(rights_csv), files, folders, found.warnings)
    if metadata_csv is not None or metadata_json is not None:
        found.descriptions = read_descriptions(
            metadata_csv, metadata_json, files, folders, database, aip_id, found.warnings
        )
    if identifiers_json is not None:
        found.identifiers = read_identifiers_json(Path(identifiers_json), files, folders, found.warnings)
    return found


def read_descriptions(
    metadata_csv: Path | None,
    metadata_json: Path | None,
    files: set[str],
    folders: set[str],
    database,
    aip_id: str,
    warnings: list[str],
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The descriptions of metadata.csv and metadata.json together (target -> values), checked against the
    transfer's paths, each other and the reference codes the catalogue holds."""
    entries, names = [], []
    if metadata_csv is not None:
        entries += csv_entries(Path(metadata_csv), warnings)
        names.append(str(metadata_csv))
    if metadata_json is not None:
        entries += json_entries(Path(metadata_json), warnings)
        names.append(str(metadata_json))
    name = " and ".join(names)
    return checked_descriptions(name, describe(name, entries, files, folders, warnings), database, aip_id)
