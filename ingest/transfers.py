"""What was handed over: a folder, a BagIt bag (folder, zip or tar), or a zip or tar of files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ingest.archives import extract, is_archive
from ingest.bags import validate_bag
from preservation.errors import Problem, TransferError

FOLDER, BAG = "folder", "bag"


@dataclass(frozen=True)
class Transfer:
    """The files to ingest (``root``), how they came, and metadata that came with them."""

    kind: str  # "folder", "bag", "zip", "tar", "zipped bag", "tarred bag"
    root: Path
    submission: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    metadata_csv: Path | None = None
    rights_csv: Path | None = None

    @property
    def description(self) -> str:
        """How the transfer arrived, for the ingestion event."""
        return self.kind


def open_transfer(source: Path, staging: Path, workers: int = 1) -> Transfer:
    """Prepare a transfer: unpack an archive into ``staging``, validate a bag; refuse what is wrong."""
    source = Path(source)
    kind = FOLDER
    root = source
    if is_archive(source):
        kind = "zip" if source.name.lower().endswith(".zip") else "tar"
        root = extract(source, staging / "extracted")
        entries = list(root.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and not (root / "bagit.txt").exists():
            root = entries[0]  # an archive of one folder: that folder is the transfer
    if root.is_dir() and (root / "bagit.txt").is_file():
        report = validate_bag(root, workers=workers)
        if not report.valid:
            raise TransferError(
                f"{source}: the bag is not valid ({len(report.errors)} problem(s))",
                hint="Ask the depositor for a complete bag; `preserve bag validate` shows the same report. "
                     "Nothing has been stored.",
                details=[Problem(*_split(error)) for error in report.errors[:50]],
            )
        kind = "bag" if kind == FOLDER else f"{'zipped' if kind == 'zip' else 'tarred'} bag"
        submission = tuple(p for p in (root / "bag-info.txt",) if p.is_file())
        return _standard_layout(Transfer(kind, root / "data", submission, tuple(report.warnings)))
    return _standard_layout(Transfer(kind, root))


def _standard_layout(transfer: Transfer) -> Transfer:
    """Archivematica's standard transfer: objects/ holds the records, metadata/ what describes them."""
    root = transfer.root
    names = {entry.name for entry in root.iterdir()} if root.is_dir() else set()
    if not ({"objects", "metadata"} <= names and names <= {"objects", "metadata", "logs"}):
        return transfer
    metadata, rights = root / "metadata" / "metadata.csv", root / "metadata" / "rights.csv"
    return Transfer(transfer.kind, root / "objects", transfer.submission, transfer.warnings,
                    metadata if metadata.is_file() else None, rights if rights.is_file() else None)


def _split(error: str) -> tuple[str, str]:
    path, colon, check = error.partition(": ")
    return (path, check) if colon else ("bag", error)
