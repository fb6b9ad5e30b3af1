"""Rights from a ``rights.csv``, with every column Archivematica documents, as PREMIS rights statements.

Columns: ``file`` (``objects``, a folder ``objects/…/`` or a file), ``basis`` (Copyright, License,
Statute, Donor, Policy, Other), ``status`` (for copyright: copyrighted, public domain, unknown),
``determination_date``, ``jurisdiction``, ``start_date``, ``end_date``, ``terms`` (a licence's terms),
``citation`` (a statute's citation), ``note``, what the rights allow: ``grant_act``, ``grant_restriction``
(Allow, Disallow, Conditional), ``grant_start_date``, ``grant_end_date``, ``grant_note``, and a
documentation identifier: ``doc_id_type``, ``doc_id_value``, ``doc_id_role``. Sheets written before the
``terms`` and ``citation`` columns gave a licence's terms and a statute's citation in ``note``; that still
works.

What is refused (every problem reported with its row, before anything is stored): a row naming a file or
folder not in the transfer or an unsafe path (absolute, or with ``..``), a row with no basis, copyright or
statute rights without a jurisdiction, statute rights without a citation. Everything else is kept as
given, with a warning naming the sheet and row: an unknown or repeated column (its values become notes of
the statement), a basis, status or restriction outside the PREMIS vocabulary, a date that is not EDTF (no
rights date decides access here), grant columns without a grant_act, half a documentation identifier,
and a value its basis has no place for in PREMIS (a status on a licence, a statute's terms), which
becomes a note (``column: value``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ingest.metadata import display_name, objects_path, read_csv_text, unsafe_path
from preservation.dates import NotADate, parse_date
from preservation.errors import Problem, TransferError
from preservation.model import RightsStatement

BASES = ("Copyright", "License", "Statute", "Donor", "Policy", "Other")
STATUSES = ("copyrighted", "public domain", "unknown")
RESTRICTIONS = ("Allow", "Disallow", "Conditional")
COLUMNS = (
    "file",
    "basis",
    "status",
    "determination_date",
    "jurisdiction",
    "start_date",
    "end_date",
    "terms",
    "citation",
    "note",
    "grant_act",
    "grant_restriction",
    "grant_start_date",
    "grant_end_date",
    "grant_note",
    "doc_id_type",
    "doc_id_value",
    "doc_id_role",
)
DATES = ("determination_date", "start_date", "end_date", "grant_start_date", "grant_end_date")
GRANT = ("grant_restriction", "grant_start_date", "grant_end_date", "grant_note")
OPEN_ENDS = ("end_date", "grant_end_date")  # where 'open' (no end yet) is accepted
# The bases whose PREMIS block has a place for a column; elsewhere its value is kept as a note
PLACES = {
    "status": ("Copyright",),
    "jurisdiction": ("Copyright", "Statute"),
    "determination_date": ("Copyright", "Statute"),
    "terms": ("License",),
    "citation": ("Statute",),
}
STATUS_SPELLINGS = {"publicdomain": "public domain"}  # PREMIS's own spelling of a status the sheet may use


@dataclass(frozen=True)
class Row:
    """One row of the sheet: known columns by name (first of a repeated column) and the rest as given."""

    number: int
    known: dict[str, str]
    extra: tuple[tuple[str, str], ...]

    def get(self, column: str) -> str:
        """The value of a known column ('' if absent or blank)."""
        return self.known.get(column, "")


def read_rights_csv(
    path: Path, files: set[str], folders: set[str], warnings: list[str] | None = None, label: str | None = None
) -> dict[str, list[RightsStatement]]:
    """Rights statements by target ('' the AIP, or a file's path under objects/; folders are expanded to the
    files beneath them); what is kept but unusual is appended to ``warnings`` as plain sentences."""
    warnings = warnings if warnings is not None else []
    label = label or display_name(path)
    rows = list(csv.reader(io.StringIO(read_csv_text(path), newline="")))
    header = [name.strip() for name in rows[0]] if rows else []
    missing = [c for c in ("file", "basis") if c not in [h.lower() for h in header]]
    if missing:
        raise TransferError(
            f"{path}: row 1 has no {missing[0]!r} column", hint=f"rights.csv columns: {', '.join(COLUMNS)}."
        )
    warnings += _header_warnings(label, header)
    legacy = "terms" not in [h.lower() for h in header] and "citation" not in [h.lower() for h in header]
    problems: list[Problem] = []
    result: dict[str, list[RightsStatement]] = {}
    for number, cells in enumerate(rows[1:], start=2):
        row = _row(number, header, cells)
        if row is None:
            continue
        where = f"{path}: row {number}"
        if reason := unsafe_path(row.get("file")):
            problems.append(
                Problem(
                    where,
                    f"file {row.get('file')!r} is an unsafe path: {reason}",
                    expected="objects, objects/folder/ or objects/… naming a file of the transfer",
                )
            )
            continue
        targets = _targets(row.get("file"), files, folders)
        if targets is None:
            problems.append(
                Problem(
                    where,
                    f"file {row.get('file')!r} is not in the transfer",
                    expected="objects, objects/folder/ or objects/… naming a file of the transfer",
                )
            )
            continue
        statement, problem = _statement(row, legacy, f"{label}: row {number}", warnings)
        if statement is None:  # and problem says why
            problems.append(Problem(where, problem))
            continue
        for target in targets:
            result.setdefault(target, []).append(statement)
    if problems:
        raise TransferError(
            f"{path}: {len(problems)} problem(s) in the rights",
            details=problems,
            hint="Correct the spreadsheet; nothing has been stored.",
        )
    return result


def _header_warnings(label: str, header: list[str]) -> list[str]:
    """Unknown and repeated columns: kept, as notes of each statement."""
    found, seen = [], set()
    for number, column in enumerate(header, start=1):
        name = column.lower()
        if name not in COLUMNS:
            found.append(
                f"{label}: row 1: column {number} {column!r} is not a rights.csv column; its values are "
                "kept as given, as notes of each row's rights statement"
            )
        elif name in seen:
            found.append(
                f"{label}: row 1: column {number} {column!r} is given again; its values are kept as "
                "further notes of each row's rights statement"
            )
        seen.add(name)
    return found


def _row(number: int, header: list[str], cells: list[str]) -> Row | None:
    """The row's values (None for a blank row); cells beyond the header are kept as extra columns."""
    values = [cell.strip() for cell in cells]
    if not any(values):
        return None
    known: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    for index, value in enumerate(values):
        column = header[index] if index < len(header) else ""
        name = column.lower()
        if name in COLUMNS and name not in known:
            known[name] = value
        elif value:
            extra.append((column or f"column {index + 1}", value))
    return Row(number, known, tuple(extra))


def _statement(row: Row, legacy: bool, where: str, warnings: list[str]) -> tuple[RightsStatement | None, str]:
    """The row as a rights statement, or the reason it cannot be one; warnings for what is kept as given."""
    given = row.get("basis")
    if not given:
        return None, f"no basis (one of {', '.join(BASES)})"
    basis = next((b for b in BASES if b.lower() == given.lower()), given)
    if basis not in BASES:
        warnings.append(
            f"{where}: basis {given!r} is not one of {', '.join(BASES)}; kept as given (written as "
            "other rights with that basis)"
        )
    if basis in ("Copyright", "Statute") and not row.get("jurisdiction"):
        return None, f"{basis.lower()} rights need a jurisdiction (e.g. gb)"
    citation = row.get("citation")
    if basis == "Statute" and not citation and not (legacy and row.get("note")):
        return None, "statute rights need the statute's citation (citation column)"
    terms = row.get("terms")
    if basis == "License" and not terms and row.get("note") and not legacy:
        warnings.append(f"{where}: a licence with a note but no terms; the note is written as the licence's terms")
    extra = list(row.extra)
    _check_vocabulary(row, basis, where, warnings)
    _check_dates(row, where, warnings)
    act = row.get("grant_act")
    if not act and any(row.get(c) for c in GRANT):
        extra += [(c, row.get(c)) for c in GRANT if row.get(c)]
        warnings.append(f"{where}: grant columns without a grant_act; kept as given, as notes of the statement")
    if bool(row.get("doc_id_type")) != bool(row.get("doc_id_value")):
        warnings.append(f"{where}: a documentation identifier needs doc_id_type and doc_id_value; kept as given")
    restriction = row.get("grant_restriction")
    restriction = next((r for r in RESTRICTIONS if r.lower() == restriction.lower()), restriction)
    placed = _placed(row, basis, where, extra, warnings)
    status = STATUS_SPELLINGS.get(placed["status"].lower(), placed["status"])
    if basis == "Copyright" and not status:
        status = "unknown"  # as the warning says, and as the METS records it
    terms, citation = placed["terms"], placed["citation"]
    return RightsStatement(
        basis=basis,
        status=status.lower() if status.lower() in STATUSES else status,
        jurisdiction=placed["jurisdiction"],
        determination_date=placed["determination_date"],
        start_date=row.get("start_date"),
        end_date=row.get("end_date"),
        note=row.get("note"),
        act=act,
        restriction=restriction if act else "",
        grant_start_date=row.get("grant_start_date") if act else "",
        grant_end_date=row.get("grant_end_date") if act else "",
        grant_note=row.get("grant_note") if act else "",
        source_row=row.number,
        terms=terms,
        citation=citation,
        doc_id_type=row.get("doc_id_type"),
        doc_id_value=row.get("doc_id_value"),
        doc_id_role=row.get("doc_id_role"),
        extra=tuple(extra),
    ), ""


def _placed(row: Row, basis: str, where: str, extra: list[tuple[str, str]], warnings: list[str]) -> dict[str, str]:
    """The columns of PLACES this basis has a place for; a value given where it has none is kept as a note
    (``column: value``), with a warning, so the METS holds every value the sheet gave."""
    placed = {}
    for column, bases in PLACES.items():
        value = row.get(column)
        if value and basis not in bases:
            extra.append((column, value))
            warnings.append(
                f"{where}: {column} {value!r} has no place in {basis.lower()} rights in PREMIS; kept "
                "as a note of the statement"
            )
            value = ""
        placed[column] = value
    return placed


def _check_vocabulary(row: Row, basis: str, where: str, warnings: list[str]) -> None:
    status = row.get("status")
    if basis == "Copyright" and not status:
        warnings.append(f"{where}: copyright rights with no status; written as 'unknown'")
    elif basis == "Copyright" and STATUS_SPELLINGS.get(status.lower(), status.lower()) not in STATUSES:
        warnings.append(f"{where}: copyright status {status!r} is not one of {', '.join(STATUSES)}; kept as given")
    restriction = row.get("grant_restriction")
    if row.get("grant_act") and restriction and restriction.capitalize() not in RESTRICTIONS:
        warnings.append(
            f"{where}: grant_restriction {restriction!r} is not one of {', '.join(RESTRICTIONS)}; kept as given"
        )


def _check_dates(row: Row, where: str, warnings: list[str]) -> None:
    for column in DATES:
        value = row.get(column)
        if not value or (column in OPEN_ENDS and value.lower() == "open"):
            continue
        try:
            parse_date(value)
        except NotADate:
            warnings.append(f"{where}: {column} {value!r} is not an EDTF date; kept as given")


def _targets(name: str, files: set[str], folders: set[str]) -> list[str] | None:
    relative = objects_path(name) if name else None
    if relative is None:
        return None
    if relative == "":
        return [""]
    if relative in files:
        return [relative]
    if relative in folders:
        return sorted(f for f in files if f.startswith(relative + "/"))
    return None
