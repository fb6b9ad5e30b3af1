"""Encrypted office documents are 'not checked: encrypted'; their damaged containers are still invalid."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from formats.identify import Identifier
from formats.validation import INVALID, NOT_CHECKED, VALID, WELL_FORMED, Validator
from ingest.samples import _docx, _odt
from tests.conftest import require_tool


@pytest.fixture(scope="module")
def validator():
    checker = Validator(timeout=30)
    yield checker
    checker.close()


@pytest.fixture(scope="module")
def identifier():
    return Identifier()


def _check(validator, identifier, path: Path):
    return validator.validate(path, identifier.identify(path), name=f"objects/{path.name}")


def test_an_encrypted_ooxml_document_is_not_checked(validator, identifier, tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool encrypts OOXML for this test")
    plain, locked = tmp_path / "report.docx", tmp_path / "locked.docx"
    _docx(plain)
    with plain.open("rb") as source, locked.open("wb") as target:
        ooxml.OOXMLFile(source).encrypt("s3cret", target)
    assert _check(validator, identifier, plain).status == VALID
    result = _check(validator, identifier, locked)
    assert identifier.identify(locked).puid == "fmt/494"
    assert result.status == NOT_CHECKED and result.messages[0].startswith("encrypted: an encrypted Office Open XML")
    assert dict(result.characteristics)["encrypted"] == "yes"
    cut = tmp_path / "cut.docx"
    cut.write_bytes(locked.read_bytes()[:1500])
    assert validator.validate(cut, identifier.identify(locked)).status == INVALID


def _stream_offset(path: Path, stream: str) -> int:
    """Where an OLE2 stream (in regular sectors) starts in the file."""
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        entry = ole.direntries[ole._find(stream)]
        assert entry.size >= ole.minisectorcutoff
        return (entry.isectStart + 1) * ole.sectorsize


def test_an_encrypted_word_97_document_is_not_checked(validator, identifier, tmp_path):
    soffice = require_tool("soffice", "LibreOffice writes the Word 97 document")
    # long enough that the WordDocument stream is kept in regular sectors (4096 bytes and more)
    (tmp_path / "letter.txt").write_text("Dear Sir, the vestry met on Tuesday.\n" * 200)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "doc:MS Word 97",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "letter.txt"),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    document = tmp_path / "letter.doc"
    assert _check(validator, identifier, document).status == WELL_FORMED
    data = bytearray(document.read_bytes())
    fib = _stream_offset(document, "WordDocument")
    assert data[fib : fib + 2] == b"\xec\xa5"  # FibBase.wIdent
    data[fib + 11] |= 0x01  # flags (offset 10, little-endian): fEncrypted is 0x0100
    locked = tmp_path / "locked.doc"
    locked.write_bytes(bytes(data))
    result = _check(validator, identifier, locked)
    assert result.status == NOT_CHECKED and "Word 97-2003" in result.messages[0], result


def test_an_excel_97_workbook_with_a_filepass_record_is_not_checked(validator, identifier, tmp_path):
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    book.add_sheet("Burials").write(0, 0, "Name")
    plain = tmp_path / "burials.xls"
    book.save(str(plain))
    assert _check(validator, identifier, plain).status == WELL_FORMED
    data = bytearray(plain.read_bytes())
    bof = re.search(rb"\x09\x08\x10\x00\x00\x06\x05\x00", data).start()  # BIFF8 BOF of the workbook globals
    data[bof + 20 : bof + 22] = b"\x2f\x00"  # the record after it becomes a FILEPASS record
    locked = tmp_path / "locked.xls"
    locked.write_bytes(bytes(data))
    result = _check(validator, identifier, locked)
    assert result.status == NOT_CHECKED and "FILEPASS" in result.messages[0], result


def _encrypt_odf(plain: Path, locked: Path) -> None:
    """An ODF package as an encrypting writer leaves it: content.xml replaced by ciphertext, the manifest
    describing its encryption (ODF 1.2 part 3, 3.8)."""
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(locked, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "content.xml":
                data = bytes(range(256)) * 4
            elif info.filename == "META-INF/manifest.xml":
                data = re.sub(
                    rb'(manifest:full-path="content.xml"[^>]*?)/>',
                    rb'\1 manifest:size="1024"><manifest:encryption-data manifest:checksum-type="SHA1/1K" '
                    rb'manifest:checksum="AAAA"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
                    rb'manifest:initialisation-vector="AAAA"/><manifest:key-derivation '
                    rb'manifest:key-derivation-name="PBKDF2" manifest:iteration-count="1024" '
                    rb'manifest:salt="AAAA"/></manifest:encryption-data></manifest:file-entry>',
                    data,
                )
                assert b"encryption-data" in data
            target.writestr(info, data)


def test_an_encrypted_odf_package_is_not_checked(validator, identifier, tmp_path):
    plain, locked = tmp_path / "organ.odt", tmp_path / "locked.odt"
    _odt(plain)
    _encrypt_odf(plain, locked)
    assert _check(validator, identifier, plain).status == VALID
    result = _check(validator, identifier, locked)
    assert result.status == NOT_CHECKED, result
    assert result.messages[0].startswith("encrypted: ODF package with 1 encrypted member(s) (first: 'content.xml')")
    damaged = tmp_path / "damaged.odt"
    damaged.write_bytes(locked.read_bytes()[:-30])
    assert _check(validator, identifier, damaged).status == INVALID
