"""Descriptive metadata from a ``metadata.csv``, following Archivematica's convention.

A ``filename`` column names ``objects/…`` paths — files, folders (``objects/letters/``) or the
whole transfer (``objects``) — and the other columns are Dublin Core elements (``dc.title``,
``dc.creator``, …; a repeated column gives several values). Every problem is reported with its row
number, and any problem refuses the transfer before anything is stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from preservation.errors import Problem, TransferError

DC_ELEMENTS = ("title", "creator", "subject", "description", "publisher", "contributor", "date", "type", "format",
               "identifier", "source", "language", "relation", "coverage", "rights")


@dataclass(frozen=True)
class Description:
    """Dublin Core values for one target: '' (the whole AIP), a folder or a file (relative path)."""

    target: str
    values: tuple[tuple[str, str], ...]  # (element, value), in column order

    def first(self, element: str) -> str:
        """The first value of an element ('' if none)."""
        return next((value for name, value in self.values if name == element), "")


def read_csv_text(path: Path) -> str:
    """A spreadsheet saved as CSV: UTF-8 (a byte-order mark is fine); TransferError naming the line if not."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TransferError(f"{path}: line {line} is not UTF-8 text",
                            hint="Save the spreadsheet as CSV UTF-8, then ingest again.") from None


def objects_path(name: str) -> str | None:
    """A spreadsheet's ``objects/…`` name as a path under objects/ ('' for ``objects``; None if not one)."""
    cleaned = name.replace("\\", "/").strip("/")
    if cleaned == "objects":
        return ""
    return cleaned[len("objects/"):] if cleaned.startswith("objects/") else None


def read_metadata_csv(path: Path, files: set[str], folders: set[str]) -> list[Description]:
    """Descriptions from ``path``; ``files`` and ``folders`` are the transfer's relative paths."""
    rows = list(csv.reader(io.StringIO(read_csv_text(path), newline="")))
    if not rows:
        raise TransferError(f"{path}: is empty", hint="It needs a header row with a 'filename' column.")
    header = [column.strip() for column in rows[0]]
    problems: list[Problem] = []
    if "filename" not in header:
        raise TransferError(f"{path}: row 1 has no 'filename' column",
                            hint="The first column names the files and folders described, e.g. objects/letters/1.pdf.")
    elements = []
    for number, column in enumerate(header, start=1):
        name = column.lower()
        if column == "filename":
            elements.append(None)
        elif name.startswith("dc.") and name[3:] in DC_ELEMENTS:
            elements.append(name[3:])
        else:
            problems.append(Problem(f"{path}: row 1", f"column {number} {column!r} is not a Dublin Core element",
                                    expected="filename or dc.title, dc.creator, …"))
            elements.append("")
    index = header.index("filename")
    descriptions: list[Description] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            problems.append(Problem(f"{path}: row {number}", f"{len(row)} cells but {len(header)} columns"))
            continue
        name = row[index].strip() if index < len(row) else ""
        target = _target(name, files, folders)
        if target is None:
            problems.append(Problem(f"{path}: row {number}", f"filename {name!r} is not in the transfer",
                                    expected="objects/… naming a file or folder of the transfer"))
            continue
        if target in seen:
            problems.append(Problem(f"{path}: row {number}", f"{name!r} is described again (row {seen[target]})"))
            continue
        seen[target] = number
        values = tuple((element, cell.strip()) for element, cell in zip(elements, row, strict=False)
                       if element and cell.strip())
        descriptions.append(Description(target, values))
    if problems:
        raise TransferError(f"{path}: {len(problems)} problem(s) in the metadata", details=problems[:50],
                            hint="Correct the spreadsheet; nothing has been stored.")
    return descriptions


def _target(name: str, files: set[str], folders: set[str]) -> str | None:
    relative = objects_path(name)
    return relative if relative == "" or relative in files or relative in folders else None
