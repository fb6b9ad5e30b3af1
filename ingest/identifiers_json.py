"""Identifiers the depositor already gave (handles, DOIs, ARKs, local numbers), from ``identifiers.json``.

Archivematica's format: a JSON array of ``{"file": "objects/…", "identifiers": [{"identifier": "…",
"identifierType": "…"}, …]}``. ``file`` names a file, a folder (``objects/letters/``) or the whole
transfer (``objects``); as Archivematica does, a path without ``objects/`` is read as under it, and the
key ``identiferType`` (the spelling Archivematica's own reader used) is accepted too. The identifiers
become PREMIS objectIdentifiers after the UUID preserve gives.

Refused: a file that is not JSON, an entry naming a path not in the transfer. Kept with a warning: an
identifier with no type (typed ``local``); an entry without identifiers, or an identifier without a value,
is left out with a warning (there is nothing to keep).
"""

from __future__ import annotations

from pathlib import Path

from ingest.metadata import display_name, objects_path, unsafe_path
from ingest.metadata_json import read_json
from preservation.errors import Problem, TransferError

TYPE_KEYS = ("identifierType", "identiferType")
UNTYPED = "local"


def read_identifiers_json(
    path: Path, files: set[str], folders: set[str], warnings: list[str] | None = None, label: str | None = None
) -> dict[str, list[tuple[str, str]]]:
    """Identifiers by target ('' the AIP, a folder or a file: paths under objects/), each a list of
    (identifierType, identifierValue) in the order given, without repeats."""
    warnings = warnings if warnings is not None else []
    source = label or display_name(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise TransferError(
            f"{path}: is not a JSON array",
            hint='Write [{"file": "objects/…", "identifiers": [{"identifier": "…", "identifierType": "…"}]}, …].',
        )
    found: dict[str, list[tuple[str, str]]] = {}
    problems = []
    for number, item in enumerate(data, start=1):
        where, said = f"{path}: entry {number}", f"{source}: entry {number}"
        name = item.get("file") if isinstance(item, dict) else None
        if isinstance(name, str) and (why := unsafe_path(name.strip())):
            problems.append(
                Problem(
                    where,
                    f"file {name!r} is an unsafe path: {why}",
                    expected="objects, objects/folder/ or objects/… naming a file of the transfer",
                )
            )
            continue
        target = _target(name, files, folders) if isinstance(name, str) else None
        if target is None:
            problems.append(
                Problem(
                    where,
                    f"file {name!r} is not in the transfer",
                    expected="objects, objects/folder/ or objects/… naming a file of the transfer",
                )
            )
            continue
        for pair in _identifiers(item.get("identifiers"), said, warnings):
            if pair not in found.setdefault(target, []):
                found[target].append(pair)
    if problems:
        raise TransferError(
            f"{path}: {len(problems)} problem(s) in the identifiers",
            details=problems,
            hint="Correct the JSON file; nothing has been stored.",
        )
    return {target: pairs for target, pairs in found.items() if pairs}


def _identifiers(given: object, where: str, warnings: list[str]) -> list[tuple[str, str]]:
    """(type, value) pairs of one entry; warnings for what cannot be kept or is kept with a default."""
    if not isinstance(given, list) or not given:
        warnings.append(f'{where}: no "identifiers" list; nothing kept')
        return []
    pairs = []
    for position, identifier in enumerate(given, start=1):
        value = identifier.get("identifier") if isinstance(identifier, dict) else None
        if not isinstance(value, str | int) or not str(value).strip():
            warnings.append(f'{where}: identifier {position} has no "identifier" value; left out')
            continue
        kind = next(
            (identifier[k] for k in TYPE_KEYS if isinstance(identifier.get(k), str) and identifier[k].strip()), ""
        )
        if not kind:
            warnings.append(f"{where}: identifier {str(value)!r} has no identifierType; kept as type {UNTYPED!r}")
        pairs.append((kind.strip() or UNTYPED, str(value).strip()))
    return pairs


def _target(name: str, files: set[str], folders: set[str]) -> str | None:
    cleaned = name.strip().replace("\\", "/")
    relative = (
        objects_path(cleaned)
        if cleaned.strip("/") == "objects" or cleaned.startswith("objects/")
        else cleaned.strip("/")
    )
    if relative is None:
        return None
    return relative if relative == "" or relative in files or relative in folders else None
