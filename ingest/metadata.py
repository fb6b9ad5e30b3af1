"""Descriptive metadata from a ``metadata.csv`` (or ``metadata.json``), following Archivematica's convention.

A ``filename`` column names ``objects/…`` paths — files, folders (``objects/letters/``) or the
whole transfer (``objects``) — and the other columns are Dublin Core elements (``dc.title``,
``dc.creator``, …), DCMI terms (``dcterms.isPartOf``, ``dcterms.extent``, …) or the archival
description's own: ``reference`` (the reference code, unique in the archive), ``level`` (collection,
series, file or item), ``parent`` (the reference code of the unit above, in this spreadsheet or already
held) and ``closure`` (a kind of record the closure policy has a rule for). A repeated column gives
several values. Any other column is kept as given (element ``other.<column>``) with a warning.

``dc.date`` should be EDTF. A date that is not is kept as given (searched as text) with a warning — except
on a row with a reference code: that unit's date is what closure periods count from, for it and for what
is below it, so there an unreadable date refuses the transfer. Every problem is reported with its row,
and any problem refuses the transfer before anything is stored.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from catalogue.described_units import described_units
from catalogue.references import held_references
from preservation.dates import NotADate, parse_date
from preservation.errors import Problem, TransferError
from preservation.model import ARCHIVAL

ARCHIVAL_COLUMNS = {
    "reference": "reference",
    "reference code": "reference",
    "level": "level",
    "level of description": "level",
    "parent": "parent",
    "parent reference": "parent",
    "closure": "closure",
}
LEVELS = ("collection", "series", "file", "item")
CLOSURE_KINDS = ("personal-data", "depositor")  # the closure policy's rules an archivist can name
DC_ELEMENTS = (
    "title",
    "creator",
    "subject",
    "description",
    "publisher",
    "contributor",
    "date",
    "type",
    "format",
    "identifier",
    "source",
    "language",
    "relation",
    "coverage",
    "rights",
)
DCTERMS = "dcterms."  # prefix of DCMI terms (written in the dcterms namespace)
OTHER = "other."  # prefix of columns that are neither Dublin Core nor archival, kept as given
DCMI_TERMS = (
    "abstract",
    "accessRights",
    "accrualMethod",
    "accrualPeriodicity",
    "accrualPolicy",
    "alternative",
    "audience",
    "available",
    "bibliographicCitation",
    "conformsTo",
    "contributor",
    "coverage",
    "created",
    "creator",
    "date",
    "dateAccepted",
    "dateCopyrighted",
    "dateSubmitted",
    "description",
    "educationLevel",
    "extent",
    "format",
    "hasFormat",
    "hasPart",
    "hasVersion",
    "identifier",
    "instructionalMethod",
    "isFormatOf",
    "isPartOf",
    "isReferencedBy",
    "isReplacedBy",
    "isRequiredBy",
    "issued",
    "isVersionOf",
    "language",
    "license",
    "mediator",
    "medium",
    "modified",
    "provenance",
    "publisher",
    "references",
    "relation",
    "replaces",
    "requires",
    "rights",
    "rightsHolder",
    "source",
    "spatial",
    "subject",
    "tableOfContents",
    "temporal",
    "title",
    "type",
    "valid",
)
_TERMS_BY_LOWER = {term.lower(): term for term in DCMI_TERMS}
WINDOWS_ABSOLUTE = re.compile(r"^([A-Za-z]:([\\/]|$)|\\)")  # C:\…, C:/…, \…, \\server\…


@dataclass(frozen=True)
class Description:
    """Dublin Core values for one target: '' (the whole AIP), a folder or a file (relative path)."""

    target: str
    values: tuple[tuple[str, str], ...]  # (element, value), in column order

    def first(self, element: str) -> str:
        """The first value of an element ('' if none)."""
        return next((value for name, value in self.values if name == element), "")


@dataclass(frozen=True)
class Entry:
    """One row of a metadata.csv or one object of a metadata.json, before it is checked."""

    path: Path  # the file, as given (problems name it)
    source: str  # its name within the transfer, e.g. metadata/metadata.csv (warnings name it)
    label: str  # "row 3", "object 2"
    filename: str
    cells: tuple[tuple[str, str], ...]  # (column as given, value), blanks left out, in order

    @property
    def problem_at(self) -> str:
        """Where a problem is, for a refusal."""
        return f"{self.path}: {self.label}"

    @property
    def warning_at(self) -> str:
        """Where something kept as given is, for a warning."""
        return f"{self.source}: {self.label}"


def display_name(path: Path) -> str:
    """A metadata file's name within the transfer (``metadata/rights.csv``), or its path if given apart."""
    return f"metadata/{path.name}" if path.parent.name == "metadata" else str(path)


def read_csv_text(path: Path) -> str:
    """A spreadsheet saved as CSV: UTF-8 (a byte-order mark is fine); TransferError naming the line if not."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TransferError(
            f"{path}: line {line} is not UTF-8 text", hint="Save the spreadsheet as CSV UTF-8, then ingest again."
        ) from None


def unsafe_path(path: str, windows: bool = True) -> str:
    """Why a path a depositor's file gives cannot name a file within the transfer ('' when it can): it is
    absolute, or has a '..' part; with ``windows``, a backslash separates too and a drive letter is absolute."""
    if path.startswith("/") or (windows and WINDOWS_ABSOLUTE.match(path)):
        return "it is absolute: only files within the transfer can be named"
    if ".." in re.split(r"[\\/]" if windows else "/", path):
        return "its '..' may lead out of the transfer: only files within it can be named"
    return ""


def _not_found(filename: str, files: set[str], folders: set[str]) -> str:
    """Why a row's filename names nothing: not there at all, or there but not written as ``objects/…``."""
    bare = filename.strip().replace("\\", "/").strip("/").removeprefix("./")
    if objects_path(filename) is None and (bare in files or bare in folders):
        return (
            f"filename {filename!r} does not start with objects/ — the transfer holds it as "
            f"'objects/{bare}', the way Archivematica's metadata.csv names it"
        )
    return f"filename {filename!r} is not in the transfer"


def objects_path(name: str) -> str | None:
    """A spreadsheet's ``objects/…`` name as a path under objects/ ('' for ``objects``; None if not one)."""
    cleaned = name.strip().replace("\\", "/").strip("/")
    if cleaned == "objects":
        return ""
    return cleaned[len("objects/") :] if cleaned.startswith("objects/") else None


def element_for(column: str) -> str | None:
    """The description element a column (or metadata.json key) gives: a Dublin Core element, ``dcterms.<term>``,
    ``archival.<name>``, or None for one this reader does not know."""
    name = column.strip().lower()
    if name.startswith("dc.") and name[3:] in DC_ELEMENTS:
        return name[3:]
    if name.startswith("dcterms.") and name[8:] in _TERMS_BY_LOWER:
        return DCTERMS + _TERMS_BY_LOWER[name[8:]]
    archival_name = " ".join(name.replace("_", " ").split())
    return ARCHIVAL + ARCHIVAL_COLUMNS[archival_name] if archival_name in ARCHIVAL_COLUMNS else None


def kept_element(column: str) -> str:
    """The element a column is kept under: what ``element_for`` says, else ``other.<column as given>``."""
    return element_for(column) or OTHER + column.strip()


def unknown_column_warning(where: str, column: str) -> str:
    """The warning for a column that is neither Dublin Core nor archival."""
    return (
        f"{where} {column!r} is not a Dublin Core element, DCMI term or archival column (filename, dc.title, "
        "…, dcterms.isPartOf, …, reference, level, parent, closure); its values are kept as given, as other "
        "metadata in the METS"
    )


def csv_entries(path: Path, warnings: list[str], label: str | None = None) -> list[Entry]:
    """The rows of a metadata.csv; TransferError if it is empty or has no filename column."""
    source = label or display_name(path)
    rows = list(csv.reader(io.StringIO(read_csv_text(path), newline="")))
    if not rows:
        raise TransferError(f"{path}: is empty", hint="It needs a header row with a 'filename' column.")
    header = [column.strip() for column in rows[0]]
    if "filename" not in [column.lower() for column in header]:
        raise TransferError(
            f"{path}: row 1 has no 'filename' column",
            hint="The first column names the files and folders described, e.g. objects/letters/1.pdf.",
        )
    index = [column.lower() for column in header].index("filename")
    warnings += [
        unknown_column_warning(f"{source}: row 1: column {number}", column)
        for number, column in enumerate(header, start=1)
        if number - 1 != index and column and element_for(column) is None
    ]
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = []
        for position, cell in enumerate(row):
            column = header[position] if position < len(header) and header[position] else f"column {position + 1}"
            if position != index and cell.strip():
                cells.append((column, cell.strip()))
                if position >= len(header) or not header[position]:
                    warnings.append(
                        f"{source}: row {number}: a value in column {position + 1}, which has no "
                        f"heading; kept as given under {column!r}"
                    )
        filename = row[index].strip() if index < len(row) else ""
        entries.append(Entry(path, source, f"row {number}", filename, tuple(cells)))
    return entries


def read_metadata_csv(
    path: Path, files: set[str], folders: set[str], warnings: list[str] | None = None
) -> list[Description]:
    """Descriptions from ``path``; ``files`` and ``folders`` are the transfer's relative paths."""
    warnings = warnings if warnings is not None else []
    return describe(str(path), csv_entries(path, warnings), files, folders, warnings)


def describe(
    name: str, entries: list[Entry], files: set[str], folders: set[str], warnings: list[str]
) -> list[Description]:
    """Check entries (from one or more metadata files, ``name`` naming them) against the transfer's paths and
    each other; TransferError listing every problem by row, warnings for what is kept as given."""
    problems: list[Problem] = []
    descriptions: list[Description] = []
    described: list[Entry] = []
    seen: dict[str, Entry] = {}
    for entry in entries:
        if reason := unsafe_path(entry.filename):
            problems.append(
                Problem(
                    entry.problem_at,
                    f"filename {entry.filename!r} is an unsafe path: {reason}",
                    expected="objects/… naming a file or folder of the transfer",
                )
            )
            continue
        target = _target(entry.filename, files, folders)
        if target is None:
            problems.append(
                Problem(
                    entry.problem_at,
                    _not_found(entry.filename, files, folders),
                    expected="objects/… naming a file or folder of the transfer",
                )
            )
            continue
        if target in seen:
            before = seen[target]
            again = before.label if before.source == entry.source else f"{before.source}, {before.label}"
            problems.append(Problem(entry.problem_at, f"{entry.filename!r} is described again ({again})"))
            continue
        seen[target] = entry
        values = canonical([(kept_element(column), value) for column, value in entry.cells])
        problems += _archival_problems(entry.problem_at, values)
        problems += _date_problems(entry, values, warnings)
        descriptions.append(Description(target, values))
        described.append(entry)
    problems += _hierarchy_problems(descriptions, described)
    if problems:
        raise TransferError(
            f"{name}: {len(problems)} problem(s) in the metadata",
            details=problems,
            hint="Correct the spreadsheet; nothing has been stored.",
        )
    return descriptions


def canonical(values) -> tuple[tuple[str, str], ...]:
    """Dublin Core and DCMI terms in the order given, then columns of no standard (``other.*``) in the order
    given, then the archival ones in a fixed order — the order the METS keeps them in, section by section."""
    order = {ARCHIVAL + key: n for n, key in enumerate(("reference", "level", "parent", "closure"))}
    return (
        *((e, v) for e, v in values if not e.startswith((ARCHIVAL, OTHER))),
        *((e, v) for e, v in values if e.startswith(OTHER)),
        *sorted(((e, v) for e, v in values if e.startswith(ARCHIVAL)), key=lambda pair: order[pair[0]]),
    )


def archival(values: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """A target's archival description (reference, level, parent, closure) from its values."""
    return {element.removeprefix(ARCHIVAL): value for element, value in values if element.startswith(ARCHIVAL)}


def descriptions_from_csv(
    path: Path, files: set[str], folders: set[str], database, aip_id: str, warnings: list[str] | None = None
) -> dict[str, tuple[tuple[str, str], ...]]:
    """The descriptions a metadata.csv gives for AIP ``aip_id`` (target -> values), checked against the
    reference codes the catalogue ``database`` holds; TransferError naming rows and problems."""
    described = read_metadata_csv(path, files, folders, warnings)
    return checked_descriptions(str(path), described, database, aip_id)


def checked_descriptions(
    name: str, described: list[Description], database, aip_id: str
) -> dict[str, tuple[tuple[str, str], ...]]:
    """Descriptions (target -> values) once their reference codes are checked against the catalogue."""
    with database.session() as session:
        named = references_named(described)
        held = held_references(session, named)
        catalogued = set(described_units(session, named))
    check_references(name, described, held, aip_id, catalogued)
    return {d.target: d.values for d in described}


def check_references(
    path: Path | str,
    descriptions: list[Description],
    held: dict[str, str],
    aip_id: str,
    catalogued: set[str] | None = None,
) -> None:
    """TransferError if a reference code is another AIP's already, or a parent is neither in the spreadsheet
    nor held (``held``: reference code -> AIP, from the catalogue; ``catalogued``: units of the archive's own
    catalogue, imported from a finding aid, which AIPs may be placed under)."""
    problems = []
    for description in descriptions:
        unit = archival(description.values)
        where = f"{path}: {'objects/' + description.target if description.target else 'objects'}"
        if unit.get("reference") and held.get(unit["reference"], aip_id) != aip_id:
            problems.append(
                Problem(where, f"reference {unit['reference']!r} is already used by AIP {held[unit['reference']]}")
            )
        elif unit.get("reference") in (catalogued or set()):  # its access conditions must not be lost to an AIP
            problems.append(
                Problem(
                    where,
                    f"reference {unit['reference']!r} is a unit of the archive's catalogue (imported): place the "
                    "AIP below it (parent, or --under) with a reference of its own",
                )
            )
    for parent in sorted(parents_elsewhere(descriptions) - set(held) - (catalogued or set())):
        problems.append(
            Problem(
                f"{path}",
                f"parent {parent!r} is not described in the spreadsheet or the archive",
                expected="the reference code of a unit above, described here, ingested before or imported from "
                "the catalogue (preserve catalogue import-ead)",
            )
        )
    if problems:
        raise TransferError(
            f"{path}: {len(problems)} problem(s) in the archival description",
            details=problems,
            hint="Correct the spreadsheet (or ingest the parent collection first); nothing has been stored.",
        )


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
    problems = []
    unit = archival(values)
    for element in sorted({e for e, _ in values if e.startswith(ARCHIVAL)}):
        if sum(1 for e, _ in values if e == element) > 1:
            problems.append(Problem(where, f"the {element.removeprefix(ARCHIVAL)} column is given twice"))
    if unit and not unit.get("reference"):
        problems.append(
            Problem(where, "a level, parent or closure needs a reference code", expected="a reference column value")
        )
    if unit.get("level") and unit["level"].lower() not in LEVELS:
        problems.append(
            Problem(where, f"level {unit['level']!r} is not a level of description", expected=", ".join(LEVELS))
        )
    if unit.get("closure") and unit["closure"] not in CLOSURE_KINDS:
        problems.append(
            Problem(
                where,
                f"closure {unit['closure']!r} is not a kind the closure policy knows",
                expected=", ".join(CLOSURE_KINDS),
            )
        )
    if unit.get("parent") and unit.get("parent") == unit.get("reference"):
        problems.append(Problem(where, f"{unit['reference']!r} is its own parent"))
    return problems


def _date_problems(entry: Entry, values: tuple[tuple[str, str], ...], warnings: list[str]) -> list[Problem]:
    """A unit's first dc.date decides when closures end (refused if unreadable); any other date that is not
    EDTF is kept as given, with a warning."""
    problems = []
    dates = [value for element, value in values if element == "date"]
    for position, value in enumerate(dates):
        try:
            parse_date(value)
        except NotADate as exc:
            if position == 0 and archival(values).get("reference"):
                problems.append(
                    Problem(
                        entry.problem_at,
                        f"dc.date: {exc}; this unit's closure (and that of "
                        "what is below it) counts from its date, so it must be readable",
                    )
                )
            else:
                warnings.append(
                    f"{entry.warning_at}: dc.date {value!r} is not an EDTF date; kept as given and "
                    "searched as text (not used for date filters)"
                )
    return problems


def _hierarchy_problems(descriptions: list[Description], entries: list[Entry]) -> list[Problem]:
    """Reference codes used twice, and parents that form a loop."""
    problems: list[Problem] = []
    entry_of: dict[str, Entry] = {}
    parent_of: dict[str, str] = {}
    for description, entry in zip(descriptions, entries, strict=True):
        unit = archival(description.values)
        reference = unit.get("reference")
        if not reference:
            continue
        if reference in entry_of:
            problems.append(
                Problem(entry.problem_at, f"reference {reference!r} is used again ({entry_of[reference].label})")
            )
            continue
        entry_of[reference], parent_of[reference] = entry, unit.get("parent", "")
    for reference, entry in entry_of.items():
        seen, current = {reference}, parent_of.get(reference, "")
        while current in parent_of:
            if current in seen:
                problems.append(Problem(entry.problem_at, f"reference {reference!r} is its own ancestor"))
                break
            seen.add(current)
            current = parent_of[current]
    return problems


def _target(name: str, files: set[str], folders: set[str]) -> str | None:
    relative = objects_path(name)
    return relative if relative == "" or relative in files or relative in folders else None
