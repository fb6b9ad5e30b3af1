"""The open images of a record, for IIIF: the file records at or below a place in an AIP that anyone may see,
each with the file to show (the original where it is an image of a kind asked for, else a copy derived from it)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from catalogue.models import FileRow
from catalogue.queries import file_from_row
from catalogue.record_index import COLUMNS, STATUS, Record, status_of
from preservation.model import FileRecord


def open_images(
    session: Session, aip_id: str, path: str, today: str, mime_types: set[str], limit: int
) -> list[tuple[Record, FileRecord]]:
    """Up to ``limit`` open file records at or below ``path`` ('' the whole AIP), in path order,
    whose original — or a copy derived from it — is open and of one of ``mime_types``; each with that file."""
    if not mime_types:
        return []
    prefix = f"{path}/" if path else ""
    kinds = ", ".join(f":mime{n}" for n in range(len(mime_types)))
    query = text(
        f"SELECT {COLUMNS}, f.id FROM records r JOIN files f ON f.aip_id = r.aip_id "
        "AND (f.id = r.file_id OR f.derived_from = r.file_id) "
        "WHERE r.aip_id = :aip AND r.kind = 'file' AND r.file_id != '' "
        "AND (r.path = :path OR substr(r.path, 1, :length) = :prefix) "
        f"AND {STATUS} = 'open' AND {status_of('f')} = 'open' AND lower(f.mime_type) IN ({kinds}) "
        "ORDER BY r.path LIMIT :rows"
    )
    params: dict[str, object] = {
        "aip": aip_id,
        "path": path,
        "prefix": prefix,
        "length": len(prefix),
        "today": today,
        "rows": limit * 4,  # an original may come with a few copies of its own
    }
    params |= {f"mime{n}": mime for n, mime in enumerate(sorted(mime_types))}
    chosen: dict[str, tuple[Record, str]] = {}
    for row in session.execute(query, params):
        record, file_id = Record(*row[:-1]), row[-1]
        chosen.setdefault(record.path, (record, file_id))
        if file_id == record.file_id:
            chosen[record.path] = (record, file_id)  # the original itself, where it is an image of these kinds
    kept = sorted(chosen.values(), key=lambda pair: pair[0].path)[:limit]
    files = {row.id: file_from_row(row) for row in session.query(FileRow).filter(FileRow.id.in_([f for _, f in kept]))}
    return [(record, files[file_id]) for record, file_id in kept if file_id in files]


def file_record_of(session: Session, file_id: str) -> tuple[str, str] | None:
    """(AIP id, path of its record) of a file — an original's own, a derivative's original's — or None."""
    row = session.get(FileRow, file_id)
    source = session.get(FileRow, row.derived_from if row is not None and row.derived_from else "")
    row = source if row is not None and row.derived_from else row
    if row is None or not row.path.startswith("data/objects/"):
        return None
    return row.aip_id, row.path.removeprefix("data/objects/")
