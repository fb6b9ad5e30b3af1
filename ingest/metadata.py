"""Descriptive metadata from a ``metadata.csv``, following Archivematica's convention.

A ``filename`` column names ``objects/…`` paths — files, folders (``objects/letters/``) or the
whole transfer (``objects``) — and the other columns are Dublin Core elements (``dc.title``,
``dc.creator``, …; a repeated column gives several values) or the archival description's own:
``reference`` (the reference code, unique in the archive), ``level`` (collection, series, file or
item), ``parent`` (the reference code of the unit above, in this spreadsheet or already held) and
``closure`` (a kind of record the closure policy has a rule for). ``dc.date`` is EDTF. Every problem
is reported with its row number, and any problem refuses the transfer before anything is stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from preservation.errors import Problem, TransferError
from preservation.model import ARCHIVAL

ARCHIVAL_COLUMNS = {"reference": "reference", "reference code": "reference", "level": "level",
                    "level of description": "level", "parent": "parent", "parent reference": "parent",
                    "closure": "closure"}
LEVELS = ("collection", "series", "file", "item")
CLOSURE_KINDS = ("personal-data", "depositor")  # the closure policy's rules an archivist can name
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
        elif " ".join(name.replace("_", " ").split()) in ARCHIVAL_COLUMNS:
            elements.append(ARCHIVAL + ARCHIVAL_COLUMNS[" ".join(name.replace("_", " ").split())])
        else:
            problems.append(Problem(f"{path}: row 1", f"column {number} {column!r} is not a Dublin Core element "
                                    "or an archival column", expected="filename, dc.title, dc.creator, …, "
                                    "reference, level, parent, closure"))
            elements.append("")
    for element in {e for e in elements if e and e.startswith(ARCHIVAL)}:
        if elements.count(element) > 1:
            problems.append(Problem(f"{path}: row 1", f"the {element.removeprefix(ARCHIVAL)} column is given twice"))
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
        given = [(element, cell.strip()) for element, cell in zip(elements, row, strict=False)
                 if element and cell.strip()]
        values = canonical(given)
        problems += _archival_problems(f"{path}: row {number}", values)
        descriptions.append(Description(target, values))
    problems += _hierarchy_problems(path, descriptions, [seen[d.target] for d in descriptions])
    if problems:
        raise TransferError(f"{path}: {len(problems)} problem(s) in the metadata", details=problems[:50],
                            hint="Correct the spreadsheet; nothing has been stored.")
    return descriptions


def canonical(values) -> tuple[tuple[str, str], ...]:
    """Dublin Core values in the order given, then the archival ones in a fixed order (as METS keeps them)."""
    order = {ARCHIVAL + key: n for n, key in enumerate(("reference", "level", "parent", "closure"))}
    return (*((e, v) for e, v in values if not e.startswith(ARCHIVAL)),
            *sorted(((e, v) for e, v in values if e.startswith(ARCHIVAL)), key=lambda pair: order[pair[0]]))


def archival(values: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A target's archival description (reference, level, parent, closure) from its values."""
    return {element.removeprefix(ARCHIVAL): value for element, value in values if element.startswith(ARCHIVAL)}


def descriptions_from_csv(path: Path, files: set[str], folders: set[str], database, aip_id: str
                          ) -> dict[str, tuple[tuple[str, str], ...]]:
    """The descriptions a metadata.csv gives for AIP ``aip_id`` (target -> values), checked against the
    reference codes the catalogue ``database`` holds; TransferError naming rows and problems."""
    from preservation.catalogue.references import held_references

    described = read_metadata_csv(path, files, folders)
    with database.session() as session:
        held = held_references(session, references_named(described))
    check_references(path, described, held, aip_id)
    return {d.target: d.values for d in described}


def check_references(path: Path, descriptions: list[Description], held: dict[str, str], aip_id: str) -> None:
    """TransferError if a reference code is another AIP's already, or a parent is neither in the spreadsheet
    nor held (``held``: reference code -> AIP, from the catalogue)."""
    problems = []
    for description in descriptions:
        unit = archival(description.values)
        where = f"{path}: {'objects/' + description.target if description.target else 'objects'}"
        if unit.get("reference") and held.get(unit["reference"], aip_id) != aip_id:
            problems.append(Problem(where, f"reference {unit['reference']!r} is already used by AIP "
                                    f"{held[unit['reference']]}"))
    for parent in sorted(parents_elsewhere(descriptions) - set(held)):
        problems.append(Problem(f"{path}", f"parent {parent!r} is not described in the spreadsheet or the archive",
                                expected="the reference code of a unit above, described here or ingested before"))
    if problems:
        raise TransferError(f"{path}: {len(problems)} problem(s) in the archival description", details=problems[:50],
                            hint="Correct the spreadsheet (or ingest the parent collection first); nothing has been "
                                 "stored.")


def references_named(descriptions: list[Description]) -> set[str]:
    """Every reference code the spreadsheet gives or names as a parent."""
    units = [archival(d.values) for d in descriptions]
    return {u[key] for u in units for key in ("reference", "parent") if u.get(key)}


def parents_elsewhere(descriptions: list[Description]) -> set[str]:
    """Parent reference codes the spreadsheet names but does not describe (they must be held already)."""
    units = [archival(d.values) for d in descriptions]
    own = {unit["reference"] for unit in units if unit.get("reference")}
    return {unit["parent"] for unit in units if unit.get("parent") and unit["parent"] not in own}


def _archival_problems(where: str, values: tuple[tuple[str, str], ...]) -> list[Problem]:
    from preservation.dates import NotADate, parse_date

    problems = []
    unit = archival(values)
    if unit and not unit.get("reference"):
        problems.append(Problem(where, "a level, parent or closure needs a reference code",
                                expected="a reference column value"))
    if unit.get("level") and unit["level"].lower() not in LEVELS:
        problems.append(Problem(where, f"level {unit['level']!r} is not a level of description",
                                expected=", ".join(LEVELS)))
    if unit.get("closure") and unit["closure"] not in CLOSURE_KINDS:
        problems.append(Problem(where, f"closure {unit['closure']!r} is not a kind the closure policy knows",
                                expected=", ".join(CLOSURE_KINDS)))
    if unit.get("parent") and unit.get("parent") == unit.get("reference"):
        problems.append(Problem(where, f"{unit['reference']!r} is its own parent"))
    for element, value in values:
        if element == "date":
            try:
                parse_date(value)
            except NotADate as exc:
                problems.append(Problem(where, f"dc.date: {exc}"))
    return problems


def _hierarchy_problems(path: Path, descriptions: list[Description], rows: list[int]) -> list[Problem]:
    """Reference codes used twice, and parents that form a loop."""
    problems, row_of, parent_of = [], {}, {}
    for description, number in zip(descriptions, rows, strict=True):
        unit = archival(description.values)
        reference = unit.get("reference")
        if not reference:
            continue
        if reference in row_of:
            problems.append(Problem(f"{path}: row {number}", f"reference {reference!r} is used again "
                                    f"(row {row_of[reference]})"))
            continue
        row_of[reference], parent_of[reference] = number, unit.get("parent", "")
    for reference, number in row_of.items():
        seen, current = {reference}, parent_of.get(reference, "")
        while current in parent_of:
            if current in seen:
                problems.append(Problem(f"{path}: row {number}", f"reference {reference!r} is its own ancestor"))
                break
            seen.add(current)
            current = parent_of[current]
    return problems


def _target(name: str, files: set[str], folders: set[str]) -> str | None:
    relative = objects_path(name)
    return relative if relative == "" or relative in files or relative in folders else None
