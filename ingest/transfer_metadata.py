"""The depositor's descriptive and rights metadata for one transfer, read and checked against its files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.metadata import descriptions_from_csv
from ingest.rights import read_rights_csv
from preservation.model import RightsStatement


@dataclass
class TransferMetadata:
    """What the transfer's metadata files say: descriptions and rights by target, and warnings."""

    descriptions: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rights: dict[str, list[RightsStatement]] = field(default_factory=dict)
    identifiers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # target -> (type, value)
    warnings: list[str] = field(default_factory=list)


def read_transfer_metadata(
    metadata_csv: Path | None, rights_csv: Path | None, files: set[str], folders: set[str], database, aip_id: str
) -> TransferMetadata:
    """Read the metadata files that came with a transfer (or were given); TransferError naming what is wrong."""
    found = TransferMetadata()
    if rights_csv is not None:
        found.rights = read_rights_csv(Path(rights_csv), files, folders)
    if metadata_csv is not None:
        found.descriptions = descriptions_from_csv(Path(metadata_csv), files, folders, database, aip_id)
    return found
