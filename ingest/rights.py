"""Rights from a ``rights.csv``, following Archivematica's columns, as PREMIS rights statements.

Columns: ``file`` (``objects``, a folder ``objects/…/`` or a file), ``basis`` (Copyright, License,
Statute, Donor, Policy, Other), ``status`` (copyrighted, public domain, unknown), ``determination_date``,
``jurisdiction``, ``start_date``, ``end_date``, ``note`` (the licence terms, for a licence), and for
what the rights allow: ``grant_act`` (e.g. disseminate), ``grant_restriction`` (Allow, Disallow,
Conditional), ``grant_start_date``, ``grant_end_date``, ``grant_note``. Every problem is reported
with its row number and refuses the transfer before anything is stored.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from ingest.metadata import objects_path, read_csv_text
from preservation.errors import Problem, TransferError
from preservation.model import RightsStatement

BASES = ("Copyright", "License", "Statute", "Donor", "Policy", "Other")
STATUSES = ("copyrighted", "public domain", "unknown")
RESTRICTIONS = ("Allow", "Disallow", "Conditional")
COLUMNS = ("file", "basis", "status", "determination_date", "jurisdiction", "start_date", "end_date", "note",
           "grant_act", "grant_restriction", "grant_start_date", "grant_end_date", "grant_note")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$|^open$|^$")


def read_rights_csv(path: Path, files: set[str], folders: set[str]) -> dict[str, list[RightsStatement]]:
    """Rights statements by target ('' the AIP, or a file's path under objects/; folders are expanded)."""
    reader = csv.DictReader(io.StringIO(read_csv_text(path), newline=""))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [c for c in ("file", "basis") if c not in header]
    if missing:
        raise TransferError(f"{path}: row 1 has no {missing[0]!r} column",
                            hint=f"rights.csv columns: {', '.join(COLUMNS)}.")
    problems = [Problem(f"{path}: row 1", f"unknown column {name!r}") for name in header if name not in COLUMNS]
    result: dict[str, list[RightsStatement]] = {}
    for number, row in enumerate(reader, start=2):
        row = {(key or "").strip(): (value or "").strip() for key, value in row.items() if key is not None}
        if not any(row.values()):
            continue
        where = f"{path}: row {number}"
        targets = _targets(row.get("file", ""), files, folders)
        if targets is None:
            problems.append(Problem(where, f"file {row.get('file')!r} is not in the transfer"))
            continue
        basis = next((b for b in BASES if b.lower() == row.get("basis", "").lower()), None)
        if basis is None:
            problems.append(Problem(where, f"basis {row.get('basis')!r} is not one of {', '.join(BASES)}"))
            continue
        status = row.get("status", "").lower()
        if basis in ("Copyright", "Statute") and not row.get("jurisdiction"):
            problems.append(Problem(where, f"{basis.lower()} rights need a jurisdiction (e.g. gb)"))
            continue
        if basis == "Statute" and not row.get("note"):
            problems.append(Problem(where, "statute rights need the statute's citation in the note column"))
            continue
        if basis == "Copyright" and status not in STATUSES:
            problems.append(Problem(where, f"copyright status {row.get('status')!r} is not one of "
                                           f"{', '.join(STATUSES)}"))
            continue
        restriction = row.get("grant_restriction", "")
        if restriction and restriction.capitalize() not in RESTRICTIONS:
            problems.append(Problem(where, f"grant_restriction {restriction!r} is not one of "
                                           f"{', '.join(RESTRICTIONS)}"))
            continue
        bad_dates = [c for c in ("determination_date", "start_date", "end_date", "grant_start_date",
                                 "grant_end_date") if not DATE.match(row.get(c, ""))]
        if bad_dates:
            problems.append(Problem(where, f"{bad_dates[0]} {row.get(bad_dates[0])!r} is not a date "
                                           "(YYYY, YYYY-MM, YYYY-MM-DD or 'open')"))
            continue
        if row.get("grant_act") and not restriction:
            problems.append(Problem(where, "grant_act needs a grant_restriction (Allow, Disallow or Conditional)"))
            continue
        statement = RightsStatement(
            basis=basis, status=status, jurisdiction=row.get("jurisdiction", ""),
            determination_date=row.get("determination_date", ""), start_date=row.get("start_date", ""),
            end_date=row.get("end_date", ""), note=row.get("note", ""), act=row.get("grant_act", ""),
            restriction=restriction.capitalize(), grant_start_date=row.get("grant_start_date", ""),
            grant_end_date=row.get("grant_end_date", ""), grant_note=row.get("grant_note", ""),
            source_row=number,
        )
        for target in targets:
            result.setdefault(target, []).append(statement)
    if problems:
        raise TransferError(f"{path}: {len(problems)} problem(s) in the rights", details=problems[:50],
                            hint="Correct the spreadsheet; nothing has been stored.")
    return result


def _targets(name: str, files: set[str], folders: set[str]) -> list[str] | None:
    relative = objects_path(name)
    if relative is None:
        return None
    if relative == "":
        return [""]
    if relative in files:
        return [relative]
    if relative in folders:
        return sorted(f for f in files if f.startswith(relative + "/"))
    return None
