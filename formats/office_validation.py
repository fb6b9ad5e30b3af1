"""ZIP packages (OOXML, ODF) and OLE2 compound files, and whether an office document is encrypted.

An encrypted document's container is still checked (a damaged one is invalid); its content
cannot be, so it is ``not checked`` with the reason ``encrypted: …``. Recognised: OOXML
encrypted into an OLE2 ``EncryptedPackage``, Word 97–2003 (the FIB's fEncrypted flag), Excel
97–2003 (a FILEPASS record), PowerPoint 97–2003 (the encrypted CurrentUser token), ODF packages
whose manifest has ``encryption-data``, and ZIP members encrypted with a password.
"""

from __future__ import annotations

import platform
import struct
import zipfile
import zlib

import olefile
from lxml import etree

from formats.names import as_bytes
from formats.verdicts import ENCRYPTED, INVALID, NOT_CHECKED, VALID, WELL_FORMED
from preservation.model import Validation

ODF_MANIFEST = "META-INF/manifest.xml"
ODF_MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
FIB_ENCRYPTED = 0x0100  # FibBase flags (offset 10 of the WordDocument stream): fEncrypted
BIFF_FILEPASS, BIFF_EOF = 0x002F, 0x000A
PPT_ENCRYPTED_TOKEN = 0xF3D1C4DF  # CurrentUserAtom.headerToken of an encrypted presentation
NOT_READ = "content not checked"


def validate_zip(path: str) -> Validation:
    """ZIP integrity (the central directory, every member's CRC, streamed); encrypted members or ODF."""
    tool = f"Python zipfile {_python_version()}"
    try:
        with open(as_bytes(path), "rb") as handle, zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            encrypted = _zip_encryption(archive, members)
            bad = None if any(m.flag_bits & 1 for m in members) else archive.testzip()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError) as exc:
        return Validation(INVALID, "zip", tool, (str(exc),))
    traits = (("members", str(len(members))),)
    if bad is not None:
        return Validation(INVALID, "zip", tool, (f"member {bad!r} is damaged (bad CRC)",), traits)
    if encrypted:
        return Validation(
            NOT_CHECKED, "zip", tool, (f"{ENCRYPTED}: {encrypted}; {NOT_READ}",), (*traits, ("encrypted", "yes"))
        )
    return Validation(VALID, "zip", tool, (), traits)


def _zip_encryption(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> str:
    """Why the package's content cannot be read without a password ('' when it can)."""
    locked = [m.filename for m in members if m.flag_bits & 1]
    if locked:
        return f"{len(locked)} ZIP member(s) need a password (first: {locked[0]!r})"
    if ODF_MANIFEST not in archive.namelist():
        return ""
    sealed = _odf_encrypted_members(archive.read(ODF_MANIFEST))
    return f"ODF package with {len(sealed)} encrypted member(s) (first: {sealed[0]!r})" if sealed else ""


def _odf_encrypted_members(manifest: bytes) -> list[str]:
    """The paths an ODF manifest lists with ``manifest:encryption-data``."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(manifest, parser)
    except etree.XMLSyntaxError:
        return []
    entries = root.iter(f"{{{ODF_MANIFEST_NS}}}file-entry")
    return [
        entry.get(f"{{{ODF_MANIFEST_NS}}}full-path", "")
        for entry in entries
        if entry.find(f"{{{ODF_MANIFEST_NS}}}encryption-data") is not None
    ]


def validate_ole2(path: str) -> Validation:
    """An OLE2 compound file whose directory and streams read (olefile); an encrypted document is named so."""
    tool = f"olefile {olefile.__version__}"
    try:
        with open(as_bytes(path), "rb") as handle, olefile.OleFileIO(handle) as ole:
            streams = ole.listdir(streams=True, storages=False)
            for parts in streams:
                ole.get_size(parts)
            encrypted = ole2_encryption(ole)
    except (OSError, ValueError, IndexError, struct.error) as exc:
        return Validation(INVALID, "ole2", tool, (str(exc),))
    traits = (("streams", str(len(streams))),)
    if encrypted:
        return Validation(
            NOT_CHECKED, "ole2", tool, (f"{ENCRYPTED}: {encrypted}; {NOT_READ}",), (*traits, ("encrypted", "yes"))
        )
    return Validation(WELL_FORMED, "ole2", tool, (), traits)


def ole2_encryption(ole: olefile.OleFileIO) -> str:
    """What kind of encrypted Office document an open OLE2 file is ('' when it is not one)."""
    if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
        return "an encrypted Office Open XML document (EncryptedPackage)"
    if ole.exists("WordDocument") and _word_encrypted(ole.openstream("WordDocument").read(12)):
        return "a Word 97-2003 document with the FIB fEncrypted flag set"
    for name in ("Workbook", "Book"):
        if ole.exists(name) and _biff_filepass(ole.openstream(name).read(1 << 20)):
            return "an Excel 97-2003 workbook with a FILEPASS record"
    if ole.exists("Current User") and _ppt_encrypted(ole.openstream("Current User").read(16)):
        return "a PowerPoint 97-2003 presentation with an encrypted CurrentUser token"
    return ""


def _word_encrypted(fib: bytes) -> bool:
    return len(fib) >= 12 and bool(struct.unpack_from("<H", fib, 10)[0] & FIB_ENCRYPTED)


def _biff_filepass(stream: bytes) -> bool:
    """A FILEPASS record in the workbook globals (before their EOF record)."""
    offset = 0
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        if kind == BIFF_FILEPASS:
            return True
        if kind == BIFF_EOF:
            return False
        offset += 4 + length
    return False


def _ppt_encrypted(current_user: bytes) -> bool:
    return len(current_user) >= 16 and struct.unpack_from("<I", current_user, 12)[0] == PPT_ENCRYPTED_TOKEN


def _python_version() -> str:
    return platform.python_version()
