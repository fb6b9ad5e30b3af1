"""Transfers laid out the way archivists and Archivematica really make them, written by the tests.

``archivematica_transfer`` writes a standard transfer: ``objects/`` with the records (some with names
off old file servers), ``metadata/`` with submission documentation, the four checksum files as
md5sum/sha1sum/… write them (one with ``../objects/`` paths, one with ``objects/``, one plain, one
with ``*`` binary markers), metadata.csv, rights.csv, metadata.json and identifiers.json, and
``logs/``; and empty folders in both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import unicodedata
from pathlib import Path

RECORDS = {
    "minutes/1921-vestry.txt": b"Vestry meeting, 4 April 1921. Present: the Rector and churchwardens.\n",
    "minutes/1922-vestry.txt": b"Vestry meeting, 17 April 1922.\n",
    "photographs/church-porch.jpg": bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9"),
    "letters/to the bishop.txt": b"My Lord Bishop,\r\nThe roof of the nave ...\r\n",
    "Report.txt": b"Upper-case report\n",
    "report.txt": b"lower-case report\n",
    unicodedata.normalize("NFC", "café-accounts.csv"): b"item,amount\nbread,2\n",
    unicodedata.normalize("NFD", "café-accounts.csv"): b"item,amount\nwine,5\n",
    "back\\slash notes.txt": b"named on a Windows share\n",
    "two\nlines.txt": b"a newline in the name\n",
    "bell\x07.txt": b"a control character in the name\n",
    "empty-file.txt": b"",
}
LATIN1_NAME = "Gemeinde-B\xfcrgerbuch.txt".encode("latin-1")  # written by a system in ISO-8859-1
LATIN1_CONTENT = b"Buergerbuch 1899\n"
EMPTY_FOLDERS = ("photographs/not yet scanned", "letters/1923/drafts")
SUBMISSION_DOCS = {
    "submissionDocumentation/deposit-agreement.txt": b"Deposit agreement between the PCC and the Archive.\n",
    "submissionDocumentation/transfer-list.csv": b"box,description\n1,vestry minutes\n",
}


def digest(algorithm: str, data: bytes) -> str:
    """Hex digest of ``data``."""
    return hashlib.new(algorithm, data).hexdigest()


def records(include_latin1: bool = True) -> dict[bytes, bytes]:
    """Every record of the transfer by its path under objects/ as bytes (names need not be UTF-8)."""
    found = {name.encode("utf-8"): data for name, data in RECORDS.items()}
    if include_latin1:
        found[b"letters/" + LATIN1_NAME] = LATIN1_CONTENT
    return found


def archivematica_transfer(root: Path, wrong: str = "", missing: str = "", unlisted: str = "") -> Path:
    """Write a standard transfer at ``root``; ``wrong``/``missing``/``unlisted`` name a record (under objects/)
    whose checksum line is wrong, whose file is left out though listed, or which no checksum file lists."""
    objects = root / "objects"
    for name, data in records().items():
        if name.decode("utf-8", "surrogateescape") == missing:
            continue
        path = os.path.join(os.fsencode(objects), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    for folder in EMPTY_FOLDERS:
        (objects / folder).mkdir(parents=True)
    metadata = root / "metadata"
    for name, data in SUBMISSION_DOCS.items():
        (metadata / name).parent.mkdir(parents=True, exist_ok=True)
        (metadata / name).write_bytes(data)
    (metadata / "submissionDocumentation" / "photos-to-follow").mkdir()
    listed = {n: d for n, d in records().items() if n.decode("utf-8", "surrogateescape") != unlisted}
    _checksum_file(metadata / "checksum.md5", "md5", listed, "../objects/", wrong)
    _checksum_file(metadata / "checksum.sha1", "sha1", listed, "objects/", "")
    _checksum_file(metadata / "checksum.sha256", "sha256", listed, "", wrong)
    _checksum_file(metadata / "checksum.sha512", "sha512", listed, "*", "")
    (metadata / "metadata.csv").write_bytes(
        "\ufefffilename,dc.title,dc.date,dc.subject,dc.subject\r\n"
        "objects,Parish of St Michael: vestry records,1921/1923,Vestry,Parish government\r\n"
        "objects/minutes/,Vestry minutes,1921/1922,Meetings,\r\n"
        'objects/minutes/1921-vestry.txt,"Vestry meeting, 1921",1921-04-04,,\r\n'.encode("utf-8")
    )
    (metadata / "metadata.json").write_text(
        json.dumps(
            [
                {
                    "filename": "objects/letters/to the bishop.txt",
                    "dc.title": "Letter to the Bishop",
                    "dc.date": "1923",
                },
            ]
        )
    )
    (metadata / "identifiers.json").write_text(
        json.dumps(
            [
                {
                    "file": "objects/minutes/1922-vestry.txt",
                    "identifiers": [{"identifier": "PR/STM/V/2", "identifierType": "local"}],
                },
            ]
        )
    )
    (metadata / "rights.csv").write_text(
        "file,basis,status,determination_date,jurisdiction,start_date,end_date,note,grant_act,"
        "grant_restriction,grant_start_date,grant_end_date,grant_note\n"
        "objects,Copyright,copyrighted,2026-01-01,gb,1921-01-01,open,,disseminate,Allow,2026-01-01,open,\n"
    )
    logs = root / "logs"
    logs.mkdir()
    (logs / "transfer-tool.log").write_text("2026-11-30 packed by the depositor's tool\n")
    return root


def _checksum_file(path: Path, algorithm: str, files: dict[bytes, bytes], prefix: str, wrong: str) -> None:
    """As md5sum and friends write it: '<hex>  <path>', '*' before the path for binary mode; a name with
    a backslash or newline is escaped and its line starts with a backslash."""
    lines = []
    for name, data in sorted(files.items()):
        hexdigest = digest(algorithm, b"tampered" if name.decode("utf-8", "surrogateescape") == wrong else data)
        text = name.decode("utf-8", "surrogateescape")
        marker = "*" if prefix == "*" else " "
        where = (prefix if prefix != "*" else "") + text
        escaped = "\\" in where or "\n" in where
        if escaped:
            where = where.replace("\\", "\\\\").replace("\n", "\\n")
        lines.append(("\\" if escaped else "") + f"{hexdigest} {marker}{where}\n")
    path.write_bytes("".join(lines).encode("utf-8", "surrogateescape"))


def every_file(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by its relative path (undecodable bytes kept as surrogates)."""
    found = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as handle:
                found[os.path.relpath(path, root)] = handle.read()
    return found


def empty_folders(root: Path) -> set[str]:
    """Every folder under ``root`` with nothing in it, by relative path."""
    return {os.path.relpath(d, root) for d, dirs, names in os.walk(root) if not dirs and not names and d != str(root)}


def described_transfer(collection: Path, folder: Path, metadata_csv: str) -> Path:
    """A standard transfer at ``folder``: the sample ``collection`` as its objects/, and a metadata/metadata.csv
    holding ``metadata_csv`` (as an archivist writes one beside the records)."""
    shutil.copytree(collection, folder / "objects")
    (folder / "metadata").mkdir()
    (folder / "metadata" / "metadata.csv").write_text(metadata_csv)
    return folder
