"""Descriptive metadata from a ``metadata.json``: Archivematica's JSON form of metadata.csv.

The file is a JSON array of objects, one per file or folder described. Each has ``filename``
(``objects/…``, a folder, or ``objects`` for the whole transfer) and the same keys as metadata.csv's
columns (``dc.title``, ``dcterms.isPartOf``, ``reference``, …). A value is a string or a list of strings
(several values, as a repeated column gives); empty strings and null are left out; numbers and booleans are
kept as their JSON text. Checking is exactly metadata.csv's (``ingest.metadata.describe``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.metadata import Entry, display_name, element_for, unknown_column_warning
from preservation.errors import TransferError

HINT = "Correct the JSON file; nothing has been stored."


def read_json(path: Path) -> object:
    """A JSON file (UTF-8, a byte-order mark is fine); TransferError naming the line and column if unreadable."""
    raw = path.read_bytes()
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TransferError(f"{path}: line {line} is not UTF-8 text", hint=HINT) from None
    except json.JSONDecodeError as exc:
        raise TransferError(f"{path}: line {exc.lineno} column {exc.colno}: not JSON ({exc.msg})", hint=HINT) from None
    except RecursionError:
        raise TransferError(
            f"{path}: nested too deeply to be metadata (arrays or objects within each other thousands deep)", hint=HINT
        ) from None


def json_entries(path: Path, warnings: list[str], label: str | None = None) -> list[Entry]:
    """The objects of a metadata.json as entries for ``describe``; TransferError if it is not an array of
    objects each with a filename."""
    source = label or display_name(path)
    data = read_json(path)
    if not isinstance(data, list):
        raise TransferError(
            f"{path}: is not a JSON array of objects", hint='Write [{"filename": "objects/…", "dc.title": "…"}, …].'
        )
    entries, warned = [], set()
    for number, item in enumerate(data, start=1):
        where = f"{path}: object {number}"
        if not isinstance(item, dict) or not isinstance(item.get("filename"), str) or not item["filename"].strip():
            raise TransferError(
                f'{where}: needs a "filename" naming objects/…',
                hint='Each object is {"filename": "objects/…", "dc.title": "…", …}.',
            )
        cells = []
        for key, value in item.items():
            if key == "filename":
                continue
            if element_for(key) is None and key not in warned:
                warned.add(key)
                warnings.append(unknown_column_warning(f"{source}: object {number}: key", key))
            cells += [(key, text) for text in _texts(value, f"{source}: object {number}: {key!r}", warnings)]
        entries.append(Entry(path, source, f"object {number}", item["filename"].strip(), tuple(cells)))
    return entries


def _texts(value: object, where: str, warnings: list[str]) -> list[str]:
    """A key's values as text: a string, each string of a list, JSON text for anything else."""
    if value is None:
        return []
    if isinstance(value, list):
        return [text for item in value for text in _texts(item, where, warnings)]
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, dict):
        warnings.append(f"{where}: an object where text was expected; kept as its JSON text")
    return [json.dumps(value, ensure_ascii=False)]
