"""Writing the AIP around its stored files: METS, bag tag files and the OCFL inventory."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.journal import Journal
from ingest.premis_records import TransferRecords
from ingest.steps import verify_read_back
from preservation import SOFTWARE_NAME, software_version
from preservation.bag import BagEntry, write_tag_files
from preservation.identifiers import timestamp, urn
from preservation.mets import MetsFile, MetsHeader, write_mets
from preservation.model import Event, RightsStatement
from storage.digests import hash_stream
from storage.ocfl import InventoryEntry, NewObject, read_inventory, write_inventory

EMPTY_FOLDER_PLACEHOLDER = ".preserve-empty-folder"  # zero bytes; marks a folder given empty (docs/aip.md)


@dataclass
class Package:
    """The AIP being written: its identity, its staging folder, its journal and its OCFL objects."""

    aip_id: str
    title: str
    created: str
    archive_name: str
    staging: Path
    journal: Journal
    objects: list[NewObject]
    records: TransferRecords
    submission: list[BagEntry] = field(default_factory=list)
    descriptions: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    rights: dict[str, list[RightsStatement]] = field(default_factory=dict)
    identifiers: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # target -> (type, value)
    aip_events: list[Event] = field(default_factory=list)  # about the whole AIP, besides ingestion start

    @property
    def bag_name(self) -> str:
        """``<slug>-<aip uuid>``."""
        return f"{slugify(self.title)}-{self.aip_id}"

    @property
    def mets_path(self) -> str:
        """Where the METS document sits in the bag."""
        return f"data/metadata/METS.{self.aip_id}.xml"

    def store_mets(self) -> BagEntry:
        """Write the METS from the journal into staging, then store it in every location."""
        path = self.staging / "bag" / self.mets_path
        path.parent.mkdir(parents=True, exist_ok=True)  # a resumed ingest writes it again
        header = MetsHeader(
            self.aip_id,
            self.title,
            timestamp(),
            self.archive_name,
            f"{SOFTWARE_NAME} {software_version()}",
            self.bag_name,
            self.descriptions,
            tuple(self.rights.get("", ())),
            tuple(logical for logical, _ in self.journal.empty_folders()),
            {target: tuple(ids) for target, ids in self.identifiers.items()},
        )

        def files() -> Iterator[MetsFile]:
            for item in self.journal.files():
                target = item.logical.removeprefix("data/objects/")
                yield MetsFile(
                    self.records.file_record(item),
                    self.records.file_events(item),
                    tuple(self.rights.get(target, ())),
                    tuple(self.identifiers.get(target, ())),
                )

        with path.open("wb") as out:
            write_mets(
                out,
                header,
                self.records.agents.values(),
                [self.records.start_event(self.created), *self.aip_events],
                files,
                lambda roles: (self.records.file_record(item) for item in self.journal.files(roles)),
            )
        return self._store_staged(path, self.mets_path)

    def store_tag_files(self, mets: BagEntry, transfer_id: str) -> None:
        """Write bagit.txt, bag-info.txt, manifests and tag manifests from the journal's digests; store them."""

        def payload() -> Iterator[BagEntry]:
            for path, size, sha256, sha512 in self.journal.bag_entries():
                yield BagEntry(path, size, sha256 or "", sha512 or "")
            yield from self.submission
            yield mets

        info = [
            ("Source-Organization", self.archive_name),
            ("Bagging-Date", self.created[:10]),
            ("Bag-Software-Agent", f"{SOFTWARE_NAME} {software_version()}"),
            ("External-Identifier", self.bag_name),
            ("External-Description", self.title),
            ("Internal-Sender-Identifier", self.aip_id),
            ("Internal-Sender-Description", f"transfer {transfer_id}"),
        ]
        bag_dir = self.staging / "bag"
        for tag in write_tag_files(bag_dir, payload, info):
            self._store_staged(bag_dir / tag.path, tag.path)

    def commit(self, user_name: str) -> None:
        """Write the OCFL inventory and commit version v1 in every location, then read each back."""
        inventory = self.staging / "inventory.json"
        with inventory.open("wb") as out:
            write_inventory(
                out,
                urn(self.aip_id),
                (InventoryEntry(digest, _content(paths), tuple(paths)) for digest, paths in self.journal.by_sha512()),
                created=_ocfl_time(self.created),
                message=f"Ingest of {self.title}",
                user_name=user_name,
                user_address=f"urn:preserve:archivist:{_uri_safe(user_name)}",
                fixity_sha256=((digest, _content(paths)) for digest, paths in self.journal.by_sha256()),
            )
        for obj in self.objects:
            obj.commit(inventory, self.journal.logical_paths())
            read_inventory(obj.storage, obj.root)

    def store_empty_folders(self) -> None:
        """Keep each empty folder of the transfer: a placeholder file in it (the bag and OCFL hold only files)."""
        placeholder = self.staging / "empty-folder"
        placeholder.write_bytes(b"")
        for logical, _ in self.journal.empty_folders():
            self.submission.append(self._store_staged(placeholder, f"{logical}/{EMPTY_FOLDER_PLACEHOLDER}"))

    def _store_staged(self, path: Path, logical: str) -> BagEntry:
        """Put a file written in staging into every location, read it back, and journal it."""
        with path.open("rb") as handle:
            digests, size = hash_stream(handle, ("sha256", "sha512"))
        for obj in self.objects:
            with path.open("rb") as handle:
                stored = obj.put_file(logical, handle, size=size)
            verify_read_back(obj.storage, stored.key, digests["sha256"], size)
        self.journal.add_content(logical, size, digests["sha256"], digests["sha512"])
        return BagEntry(logical, size, digests["sha256"], digests["sha512"])


def slugify(title: str) -> str:
    """A short ASCII name for folders and bag names, e.g. ``parish-council-minutes``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:40].rstrip("-") or "aip"


def _content(paths: list[str]) -> tuple[str, ...]:
    return tuple(f"v1/content/{path}" for path in paths)


def _ocfl_time(iso: str) -> str:
    return iso.split(".")[0] + "Z" if iso.endswith("+00:00") else iso


def _uri_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._~-]", "_", text) or "unknown"
