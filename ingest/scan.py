"""Journalling a transfer: its records under ``data/objects/``, what came with them under its metadata areas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from ingest.journal import Journal
from ingest.sources import DirectorySource, EmptyFolder, SourceFile, logical_name
from ingest.transfers import MetadataSource, Transfer
from preservation.errors import TransferError
from preservation.identifiers import file_uuid

OBJECTS = "data/objects/"


def journal_transfer(journal: Journal, transfer: Transfer, aip_id: str) -> tuple[int, int]:
    """Record every file and empty folder of the transfer; returns the records' (files, bytes)."""
    source = DirectorySource(transfer.root, transfer.exclude, within=transfer.top)
    refusals: list[TransferError] = []
    found = (0, 0)
    try:
        found = journal.add_sources(
            source.scan(), lambda rel: OBJECTS + logical_name(rel), lambda rel: file_uuid(aip_id, rel)
        )
    except TransferError as exc:
        refusals.append(exc)
    for part in transfer.metadata:  # scanned though the records were refused: every problem is named at once
        try:
            _journal_metadata(journal, part, aip_id, transfer.top)
        except TransferError as exc:
            refusals.append(exc)
    if len(refusals) > 1 and all(exc.details for exc in refusals):
        problems = [problem for exc in refusals for problem in exc.details]
        raise TransferError(
            f"{transfer.top}: {len(problems)} file(s) cannot be ingested as they are",
            hint=refusals[0].hint,
            details=problems,
        )
    if refusals:
        raise refusals[0]
    return found


def _journal_metadata(journal: Journal, part: MetadataSource, aip_id: str, top: Path) -> None:
    """Journal the files of a part of the transfer that came with the records (role ``metadata``), each
    named by its path in the transfer and stored beneath ``part.stored_as``."""
    path = Path(part.path)
    prefix = f"{part.given_as}/" if part.given_as else ""
    if not path.is_dir():
        info = path.stat()
        found: Iterable = [SourceFile(str(path), "", info.st_size, info.st_mtime_ns)]
    elif any(path.iterdir()):
        found = DirectorySource(path, part.exclude, within=top).scan(require_files=False)
    else:
        found = [EmptyFolder(str(path), "")]  # the folder itself was given empty

    def logical_of(relative: str) -> str:
        inner = relative.removeprefix(prefix) if relative != part.given_as else ""
        return f"{part.stored_as}/{logical_name(inner)}" if inner else part.stored_as

    named = (replace(item, relative=f"{prefix}{item.relative}" if item.relative else part.given_as) for item in found)
    journal.add_sources(named, logical_of, lambda rel: file_uuid(aip_id, f"metadata:{rel}"), role="metadata")
