"""Downloading a delivered request. The signed link says where; it is not enough alone: each download
re-checks that the person is the request's own researcher, signed in with an enabled account, that the request
has not been revoked, and that every file is still deliverable today. Files closed since approval are left out
of the zip as it is sent (streamed, never written whole), with WITHHELD.txt saying what and why.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from access.delivery import DIP_PREFIX, dip_storage, readme, readme_records
from catalogue import Database
from catalogue.accounts import User
from catalogue.requests_outbox import Request, files_of_record, get_request
from policies.formats import ORIGINAL
from preservation.config import Settings
from preservation.errors import AccessDenied, NotFound
from preservation.model import CLOSED

DIP_KEY = re.compile(rf"{re.escape(DIP_PREFIX)}([0-9a-f-]{{36}})\.zip")
CHUNK = 1 << 20


@dataclass
class Download:
    """What to send: the zip's bytes as they are read, and the paths in it left out as closed."""

    request: Request
    chunks: Iterator[bytes]
    withheld: list[str]


def request_of_key(database: Database, key: str, user: User) -> Request:
    """The request of ``user`` whose DIP ``key`` is; NotFound for any other key, and for another person's."""
    match = DIP_KEY.fullmatch(key)
    if match is None:
        raise NotFound(
            "no such download",
            hint="Use the link in the archive's message, signed in as the person who asked for the records.",
        )
    with database.session() as session:
        try:
            request = get_request(session, match.group(1))
        except NotFound:
            raise NotFound(
                "no such download",
                hint="Use the link in the archive's message, signed in as the person who asked for the records.",
            ) from None  # the same answer as for any other unknown key
    if (request.dip_key != key and not request.revoked_at) or request.user_id != user.id:
        raise NotFound(
            "no such download",
            hint="Use the link in the archive's message, signed in as the person who asked for the records.",
        )  # someone else's request looks like none at all
    return request


def open_download(
    settings: Settings,
    database: Database,
    user: User,
    request: Request,
    today: str | None = None,
    now: datetime | None = None,
) -> Download:
    """The request's DIP for ``user``, as deliverable today; NotFound for another person, AccessDenied when the
    request was revoked or its download has expired."""
    if request.user_id != user.id or user.disabled:
        raise NotFound(
            "no such download",
            hint="Use the link in the archive's message, signed in as the person who asked for the records.",
        )  # someone else's request looks like none at all
    if request.revoked_at:
        raise AccessDenied(
            f"this download was withdrawn by the archive: {request.revoked_reason}",
            hint="Ask the archive if you need the records again.",
        )
    if request.state != "delivered" or not request.dip_key:
        raise NotFound(
            "no such download",
            hint="Use the link in the archive's message, signed in as the person who asked for the records.",
        )
    if datetime.fromisoformat(request.expires_at) < (now or datetime.now(UTC)):
        raise AccessDenied("this download has expired", hint="Ask the archive to deliver it again.")
    today = today or date.today().isoformat()
    closed = closed_today(database, request, today)
    with database.session() as session:
        records = readme_records(session, request, today)
    handle = dip_storage(settings, request.dip_location).open(request.dip_key)
    if not closed and len(records) == len(request.items):  # nothing closed since: the zip as it was made
        return Download(request, _plain(handle), [])
    return _without(
        request,
        handle,
        closed,
        lambda kept, withheld: readme(request, records, kept, [], withheld, settings.archive_name),
    )


def closed_today(database: Database, request: Request, today: str | None = None) -> set[tuple[str, str]]:
    """(AIP id, path under objects/) of every original in the request's records that is closed today."""
    today = today or date.today().isoformat()
    closed = set()
    with database.session() as session:
        for aip_id, target in request.items:
            for record, access in files_of_record(session, aip_id, target):
                if record.role == ORIGINAL and access.in_force(today).status == CLOSED:
                    closed.add((aip_id, record.path.removeprefix("data/objects/")))
    return closed


def _plain(handle) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def _without(request: Request, handle, closed: set[tuple[str, str]], describe) -> Download:
    """The DIP without the files of ``closed`` originals, and README.txt written again by ``describe(kept,
    withheld)`` without the records closed since: read from a seekable copy (the stored file itself when it is
    one, else a temporary copy), written out as a stream."""
    source = handle
    if not _seekable(handle):
        source = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the zip has been sent
        shutil.copyfileobj(handle, source, CHUNK)
        handle.close()
    dip = zipfile.ZipFile(source)
    withheld, kept = [], 0
    with dip.open("manifest.csv") as manifest:
        for row in csv.DictReader(io.TextIOWrapper(manifest, "utf-8", newline="")):
            if (row["aip"], row["original path"]) in closed:
                withheld.append(row["file"])
            else:
                kept += 1
    text = describe(kept, len(withheld))  # without the records closed since (a closed folder may hold open files)
    return Download(request, _filtered(dip, source, set(withheld), text), sorted(withheld))


def _filtered(dip: zipfile.ZipFile, source, withheld: set[str], readme_text: str) -> Iterator[bytes]:
    buffer = _Pipe()
    try:
        with zipfile.ZipFile(buffer, "w", allowZip64=True) as out:
            for info in dip.infolist():
                if info.filename in withheld:
                    continue
                if info.filename == "README.txt":
                    out.writestr(info.filename, readme_text, compress_type=zipfile.ZIP_DEFLATED)
                    continue
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type = info.compress_type
                with dip.open(info) as reader, out.open(copy, "w", force_zip64=True) as writer:
                    if info.filename == "manifest.csv":
                        _copy_manifest(reader, writer, withheld)
                    else:
                        while chunk := reader.read(CHUNK):
                            writer.write(chunk)
                            yield buffer.take()
            if withheld:
                out.writestr("WITHHELD.txt", _note(withheld), compress_type=zipfile.ZIP_DEFLATED)
        yield buffer.take()
    finally:
        dip.close()
        source.close()


def _copy_manifest(reader, writer, withheld: set[str]) -> None:
    text = io.TextIOWrapper(writer, "utf-8", newline="", write_through=True)
    rows = csv.reader(io.TextIOWrapper(reader, "utf-8", newline=""))
    out = csv.writer(text)
    for row in rows:
        if row and row[0] not in withheld:
            out.writerow(row)
    text.detach()


def _note(withheld: set[str]) -> str:
    lines = [
        f"{len(withheld)} file(s) delivered for this request have been closed since it was approved, and",
        "are withheld from this download (manifest.csv no longer lists them):",
        "",
    ]
    return "\n".join(lines + [f"  {path}" for path in sorted(withheld)]) + "\n"


def _seekable(handle) -> bool:
    try:
        return bool(handle.seekable())
    except (AttributeError, ValueError):
        return False


class _Pipe:
    """Where the zip writer puts bytes until they are sent (zipfile writes to it as to an unseekable stream)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes | memoryview) -> int:
        """Keep ``data`` until the next ``take``."""
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing to flush: the bytes wait for ``take``."""

    def close(self) -> None:
        """Nothing to close (zipfile leaves a stream it was given open): the bytes wait for ``take``."""

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data
