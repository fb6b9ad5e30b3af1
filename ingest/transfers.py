"""What was handed over: a folder, a BagIt bag (folder, zip, tar or 7z), or a zip, tar or 7z of files.

Everything a transfer holds goes into the AIP. Its records (the payload) go under ``data/objects/``;
whatever came with them goes into the AIP's metadata area, each as it was given:

- Archivematica's ``metadata/`` folder → ``data/metadata/submission/`` (metadata.csv, rights.csv,
  metadata.json, identifiers.json, checksum files, submissionDocumentation/, anything else);
- a transfer's own ``logs/`` → ``data/logs/transfer/``;
- an incoming bag's tag files (bagit.txt, bag-info.txt, manifests, other tag files) → ``data/metadata/bag/``;
- anything else beside ``objects/`` in a standard transfer → ``data/metadata/transfer/`` (with a warning).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ingest.archives import archive_kind, extract, is_archive
from ingest.bags import BagReport, validate_bag
from preservation.errors import Problem, TransferError

FOLDER, BAG = "folder", "bag"
SUBMISSION = "data/metadata/submission"
TRANSFER_LOGS = "data/logs/transfer"
BAG_TAGS = "data/metadata/bag"
BESIDE = "data/metadata/transfer"
METADATA_FILES = ("metadata.csv", "rights.csv", "metadata.json", "identifiers.json")
ARCHIVEMATICA_METADATA = (*METADATA_FILES, "submissionDocumentation", "directory_tree.txt")
_ALGORITHM = "(md5|sha1|sha256|sha512)"
# Archivematica's names for the depositor's checksums, and their common variants (any case): checksum.md5,
# CHECKSUM.MD5, checksum.md5.txt, checksums.sha256 … Enough to take a metadata/ folder for Archivematica's, or a
# file at the top whose lines name objects/… for metadata rather than a record.
ARCHIVEMATICA_CHECKSUMS = re.compile(rf"checksums?\.{_ALGORITHM}(?:\.txt)?", re.IGNORECASE)
# Every name read as a list of checksums where the depositor's checksums are read (the top of metadata/, or
# beside objects/): the above, <anything>.md5 (or .md5.txt), MD5SUMS (or md5sums.txt), manifest-md5.txt.
CHECKSUM_LIST = re.compile(
    rf".*\.{_ALGORITHM}(?:\.txt)?|{_ALGORITHM}sums(?:\.txt)?|manifest-{_ALGORITHM}\.txt", re.IGNORECASE
)
# Names that look like a checksum list but are never read as the depositor's: a bag's tag manifest (it lists a
# bag's tag files, which a transfer that is not that bag does not have).
TAG_MANIFEST = re.compile(rf"tagmanifest-{_ALGORITHM}\.txt", re.IGNORECASE)
METADATA_PATHS = ("metadata_csv", "rights_csv", "metadata_json", "identifiers_json")  # Transfer's fields
HEAD_BYTES = 65536  # how much of a loose metadata file is read to tell whether it is Archivematica's


@dataclass(frozen=True)
class MetadataSource:
    """Part of a transfer that is not its records, and where it goes in the AIP."""

    path: str  # a folder or a file on disk
    stored_as: str  # its logical path in the AIP (a folder's files go beneath it)
    given_as: str  # its path in the transfer as given ('' for the transfer's own root), for original names
    exclude: tuple[str, ...] = ()  # names at its top that belong elsewhere (a bag's data/)


@dataclass(frozen=True)
class Transfer:
    """The records to ingest (``root``, less ``exclude``), how they came, and what came with them."""

    kind: str  # "folder", "bag", "zip", "tar", "7z", "zipped bag", "tarred bag", "7z bag"
    root: Path
    exclude: tuple[str, ...] = ()  # names at the top of ``root`` that are not records (metadata/ …)
    metadata: tuple[MetadataSource, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    layout: str = "plain folder"  # how the records were told from the metadata
    metadata_csv: Path | None = None
    rights_csv: Path | None = None
    metadata_json: Path | None = None
    identifiers_json: Path | None = None
    checksums: tuple[Path, ...] = ()  # the depositor's checksum files (see ``checksum_algorithm``), in reading order

    @property
    def description(self) -> str:
        """How the transfer arrived, for the ingestion event."""
        return self.kind

    def to_json(self) -> str:
        """As JSON text (a resumed ingest carries on with it)."""
        return json.dumps(asdict(self), default=str)  # paths as text

    @classmethod
    def from_json(cls, text: str) -> Transfer:
        """The inverse of ``to_json``."""
        data = json.loads(text)
        paths = {key: Path(data[key]) if data[key] else None for key in METADATA_PATHS}
        return cls(
            data["kind"],
            Path(data["root"]),
            tuple(data["exclude"]),
            tuple(MetadataSource(**{**m, "exclude": tuple(m["exclude"])}) for m in data["metadata"]),
            tuple(data["warnings"]),
            data["layout"],
            **paths,
            checksums=tuple(Path(p) for p in data["checksums"]),
        )

    @property
    def top(self) -> Path:
        """The folder the transfer was given as: its records' folder, or the one holding them and their metadata."""
        for part in self.metadata:
            if part.given_as:
                return Path(part.path).parents[len(Path(part.given_as).parts) - 1]
        return self.root

    @property
    def records_given_as(self) -> str:
        """The records' folder within the transfer as given: ``objects``, ``data/objects``, or '' (the top)."""
        try:
            inner = self.root.relative_to(self.top).as_posix()
        except ValueError:
            return ""
        return "" if inner == "." else inner

    def given_as(self, path: Path) -> str:
        """A metadata file's path within the transfer as given (for messages), e.g. ``metadata/checksum.md5``."""
        for part in self.metadata:
            base = Path(part.path)
            if path == base or base in path.parents:
                inner = path.relative_to(base).as_posix()
                return "/".join(p for p in (part.given_as, "" if inner == "." else inner) if p)
        return path.name


def open_transfer(source: Path, staging: Path, workers: int = 1) -> Transfer:
    """Prepare a transfer: unpack an archive into ``staging``, validate a bag; refuse what is wrong."""
    source = Path(source)
    kind = FOLDER
    root = source
    if is_archive(source):
        kind = archive_kind(source)
        root = extract(source, staging / "extracted")
        entries = list(root.iterdir())
        if len(entries) == 1 and entries[0].is_dir() and not (root / "bagit.txt").exists():
            root = entries[0]  # an archive of one folder: that folder is the transfer
    if root.is_dir() and (root / "bagit.txt").is_file():
        report = validate_bag(root, workers=workers)
        _refuse_bad_bag(source, report)
        kind = "bag" if kind == FOLDER else {"zip": "zipped bag", "tar": "tarred bag"}.get(kind, f"{kind} bag")
        tags = MetadataSource(str(root), BAG_TAGS, "", ("data",))
        return layout_of(root / "data", kind, (tags,), tuple(report.warnings), given_prefix="data/")
    return layout_of(root, kind)


def _refuse_bad_bag(source: Path, report: BagReport) -> None:
    """TransferError naming every problem of a bag that is not valid, or the files an incomplete bag lacks."""
    incomplete = report.incomplete
    if report.state == "valid":
        return
    if report.state == "incomplete":
        raise TransferError(
            f"{source}: the bag is incomplete: {len(incomplete)} file(s) listed in fetch.txt are not in it",
            hint="preserve never fetches files from the network: ask the depositor for the complete bag. "
            "Nothing has been stored.",
            details=[Problem(path, "listed in fetch.txt, not present") for path in incomplete],
        )
    raise TransferError(
        f"{source}: the bag is not valid ({len(report.errors)} problem(s))",
        hint="Ask the depositor for a complete bag; `preserve bag validate` shows the same report. "
        "Nothing has been stored.",
        details=[Problem(*_split(error)) for error in report.errors],
    )


def layout_of(
    root: Path,
    kind: str = FOLDER,
    metadata: tuple[MetadataSource, ...] = (),
    warnings: tuple[str, ...] = (),
    given_prefix: str = "",
) -> Transfer:
    """Tell the records of a transfer from what came with them, by Archivematica's conventions:

    - ``objects/`` with ``metadata/`` (and ``logs/``) beside it, or ``objects/`` alone: the standard
      transfer; ``objects/`` holds the records;
    - a ``metadata/`` folder holding what Archivematica reads (metadata.csv, checksum files,
      submissionDocumentation/ …) beside the records: the records are everything else;
    - a ``metadata.csv`` (or rights.csv …) at the top whose rows name ``objects/…``: the same;
    - anything else: every file is a record.
    """
    names = sorted(os.listdir(root)) if root.is_dir() else []
    folders = {name for name in names if _is_folder(root / name)}
    if "objects" in folders and ("metadata" in folders or set(names) <= {"objects", "logs"}):
        beside = [n for n in names if n not in ("objects", "metadata", "logs") or n not in folders]
        sources = [
            *metadata,
            *_folder_source(root, "metadata", SUBMISSION, given_prefix),
            *_folder_source(root, "logs", TRANSFER_LOGS, given_prefix),
        ]
        notes = list(warnings)
        listing = []
        for name in beside:
            sources.append(MetadataSource(str(root / name), f"{BESIDE}/{name}", given_prefix + name))
            read = checksum_algorithm(name) and _is_file(root / name)
            listing += [root / name] if read else []
            notes.append(
                f"{given_prefix}{name}: beside objects/ and metadata/, so not a record; kept in the AIP "
                f"as {BESIDE}/{name}" + (" and read as the depositor's checksums" if read else "")
            )
        return _with_metadata_files(
            Transfer(
                kind,
                root / "objects",
                (),
                tuple(sources),
                tuple(notes),
                "Archivematica standard transfer (objects/ and metadata/)",
            ),
            root / "metadata",
            beside=tuple(listing),
        )
    if "metadata" in folders and _archivematica_folder(root / "metadata"):
        found = (*metadata, *_folder_source(root, "metadata", SUBMISSION, given_prefix))
        return _with_metadata_files(
            Transfer(kind, root, ("metadata",), found, warnings, "records with a metadata/ folder (Archivematica)"),
            root / "metadata",
        )
    loose = tuple(
        name
        for name in names
        if (name in METADATA_FILES or ARCHIVEMATICA_CHECKSUMS.fullmatch(name))
        and name not in folders
        and _names_objects(root / name)
    )
    if loose:
        found = (*metadata, *(MetadataSource(str(root / n), f"{SUBMISSION}/{n}", given_prefix + n) for n in loose))
        return _with_metadata_files(
            Transfer(kind, root, loose, found, warnings, "records with Archivematica metadata files at the top"),
            root,
            loose,
        )
    return Transfer(kind, root, (), metadata, warnings)


def _is_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _folder_source(root: Path, name: str, stored_as: str, given_prefix: str) -> list[MetadataSource]:
    return [MetadataSource(str(root / name), stored_as, given_prefix + name)] if _is_folder(root / name) else []


def _is_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _archivematica_folder(folder: Path) -> bool:
    """True when a ``metadata/`` folder holds something Archivematica reads there (a checksum file's name in any
    case)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return any(name in ARCHIVEMATICA_METADATA or ARCHIVEMATICA_CHECKSUMS.fullmatch(name) for name in names)


def checksum_algorithm(name: str) -> str:
    """``md5`` … when a file of this name is read as a list of checksums where the depositor's are read (the top of
    ``metadata/``, or beside ``objects/``): ``checksum.md5`` in any case, ``checksum.md5.txt``, ``checksums.md5``,
    ``<anything>.md5``, ``MD5SUMS``, ``manifest-md5.txt`` …; '' for any other name."""
    found = CHECKSUM_LIST.fullmatch(name)
    return next((group.lower() for group in found.groups() if group), "") if found else ""


def looks_like_checksums(name: str) -> str:
    """The algorithm when a file's name says it is a list of checksums (``checksum_algorithm``'s names and a bag's
    ``tagmanifest-<algorithm>.txt``), '' when it does not."""
    found = TAG_MANIFEST.fullmatch(name)
    return found.group(1).lower() if found else checksum_algorithm(name)


def _with_metadata_files(
    transfer: Transfer, folder: Path, only: tuple[str, ...] | None = None, beside: tuple[Path, ...] = ()
) -> Transfer:
    """The transfer, knowing which metadata files to read: Archivematica's at the top of ``folder`` (only those
    named in ``only``, when given) and every file there whose name says it lists checksums, then ``beside``."""

    def present(name: str) -> Path | None:
        path = folder / name
        return path if (only is None or name in only) and _is_file(path) else None

    names = sorted(os.listdir(folder)) if _is_folder(folder) else []
    if only is not None:
        names = [name for name in names if name in only and ARCHIVEMATICA_CHECKSUMS.fullmatch(name)]
    listing = tuple(folder / name for name in names if checksum_algorithm(name) and _is_file(folder / name))
    return replace(
        transfer,
        metadata_csv=present("metadata.csv"),
        rights_csv=present("rights.csv"),
        metadata_json=present("metadata.json"),
        identifiers_json=present("identifiers.json"),
        checksums=listing + beside,
    )


def _names_objects(path: Path) -> bool:
    """True when a loose metadata file at the top of a transfer is Archivematica's: its rows name ``objects…``."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES).decode("utf-8-sig", "replace")
    except OSError:
        return False
    name = path.name
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(head)))
        column = "filename" if name == "metadata.csv" else "file"
        if not rows or column not in [c.strip().lower() for c in rows[0]]:
            return False
        index = [c.strip().lower() for c in rows[0]].index(column)
        return any(len(row) > index and row[index].strip().startswith("objects") for row in rows[1:])
    if name.endswith(".json"):
        return '"objects' in head and ('"filename"' in head or '"file"' in head)
    return any(line.split(None, 1)[-1].lstrip("*./(").startswith("objects/") for line in head.splitlines() if line)


def _split(error: str) -> tuple[str, str]:
    path, colon, check = error.partition(": ")
    return (path, check) if colon else ("bag", error)
