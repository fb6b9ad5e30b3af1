"""The depositor's checksum files as a new user's transfer really has them (docs/ingest.md): unsafe paths named as
such, empty files warned of, UTF-16 from PowerShell, names that are not UTF-8, CRLF and trailing blanks; and
metadata.csv and rights.csv rows naming unsafe paths.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ingest.checksums import candidates, check_assertions, read_checksum_file
from ingest.metadata import Entry, describe
from ingest.rights import read_rights_csv
from preservation.errors import TransferError
from tests.test_ingest_bad_input import assert_nothing_kept

MINUTES = b"Vestry meeting, 4 April 1921.\n"
CAFE = "café-accounts.csv"  # a name that is not ASCII, written on disk as UTF-8
CAFE_DATA = b"item,amount\nbread,2\n"
UNSAFE = ["../../etc/passwd", "objects/../x", "/etc/passwd", "C:\\x", "C:/Windows/win.ini", "\\\\server\\share\\x",
          "..\\..\\etc\\passwd", "../objects/../../etc/passwd"]


def md5(data: bytes) -> str:
    """Hex MD5 of ``data``."""
    return hashlib.md5(data).hexdigest()


def transfer(root: Path, checksums: dict[str, bytes], records: dict[bytes, bytes] | None = None) -> Path:
    """A standard transfer at ``root``: ``records`` (names as bytes) under objects/, ``checksums`` in metadata/."""
    records = records if records is not None else {b"minutes.txt": MINUTES}
    for name, data in records.items():
        path = os.path.join(os.fsencode(root / "objects"), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    (root / "metadata").mkdir(parents=True)
    for name, data in checksums.items():
        (root / "metadata" / name).write_bytes(data)
    return root


def read(tmp_path: Path, data: bytes, name: str = "checksum.md5"):
    """What ``read_checksum_file`` makes of ``data`` as ``metadata/<name>``."""
    path = tmp_path / name
    path.write_bytes(data)
    return read_checksum_file(path, f"metadata/{name}")


# 1. unsafe paths


@pytest.mark.parametrize("listed", UNSAFE)
def test_an_unsafe_path_is_named_as_unsafe_with_its_file_and_line(tmp_path, listed):
    with pytest.raises(TransferError) as raised:
        read(tmp_path, f"{md5(MINUTES)}  minutes.txt\n{md5(b'x')}  {listed}\n".encode())
    error = raised.value
    assert error.message == "metadata/checksum.md5: 1 line(s) name an unsafe path (absolute, or with '..')"
    assert [str(p) for p in error.details] == [
        f"{listed}: listed in metadata/checksum.md5, line 2, is an unsafe path: "
        + ("it is absolute: only files within the transfer can be named" if ".." not in listed
           else "its '..' may lead out of the transfer: only files within it can be named")]
    assert "nothing outside it has been read" in error.hint


def test_the_forms_the_convention_allows_are_not_unsafe(tmp_path):
    lines = [f"{md5(b'a')}  ../objects/a.txt", f"{md5(b'a')} *./objects/a.txt", f"{md5(b'a')}  ..\\objects\\a.txt",
             f"\\{md5(b'a')}  C:\\\\odd name.txt",  # md5sum escaped it: a POSIX name with a backslash, not a drive
             f"{md5(b'a')}  ..a/b..txt"]
    assert [a.listed for a in read(tmp_path, "\n".join(lines).encode())] == [
        "../objects/a.txt", "./objects/a.txt", "..\\objects\\a.txt", "C:\\odd name.txt", "..a/b..txt"]


def test_no_lookup_is_made_outside_the_records(tmp_path):
    assert list(candidates("../../etc/passwd")) == []
    assert list(candidates("objects/../x")) == []
    assert list(candidates("/etc/passwd")) == []


def test_an_unsafe_checksum_line_refuses_the_transfer_before_anything_is_read(preserve, tmp_path):
    secret = tmp_path / "secret.txt"  # beside the transfer, with the very digest the line gives
    secret.write_bytes(b"not the depositor's\n")
    source = transfer(tmp_path / "accession", {"checksum.md5": (
        f"{md5(MINUTES)}  minutes.txt\n{md5(secret.read_bytes())}  ../../secret.txt\n"
        f"{md5(b'x')}  objects/../x\n").encode()})
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "metadata/checksum.md5: 2 line(s) name an unsafe path (absolute, or with '..')" in result.stderr
    assert "../../secret.txt: listed in metadata/checksum.md5, line 2, is an unsafe path" in result.stderr
    assert "objects/../x: listed in metadata/checksum.md5, line 3, is an unsafe path" in result.stderr
    assert "not in the transfer" not in result.stderr
    assert_nothing_kept(preserve)


# 2. checksum files that list nothing


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# made by hand\r\n   \r\n\t\r\n"])
def test_a_checksum_file_that_lists_no_files_is_a_warning(preserve, tmp_path, content):
    source = transfer(tmp_path / "accession", {"checksum.md5": f"{md5(MINUTES)}  minutes.txt\n".encode(),
                                               "checksum.sha1": content})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 1
    assert [w for w in summary["warnings"] if "checksum" in w] == [
        "metadata/checksum.sha1 lists no files (it is empty, or holds only blank lines and comments), so it vouches "
        "for nothing"]


def test_the_only_checksum_file_listing_nothing_is_a_warning_too(preserve, tmp_path):
    source = transfer(tmp_path / "accession", {"checksum.sha256": b""})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 0
    assert any(w.startswith("metadata/checksum.sha256 lists no files") for w in summary["warnings"])


# 3. encodings


def test_utf16_from_powershell_is_read(preserve, tmp_path):
    text = f"{md5(MINUTES).upper()}  minutes.txt\r\n{md5(CAFE_DATA).upper()}  {CAFE}\r\n"
    source = transfer(tmp_path / "accession", {"checksum.md5": b"\xff\xfe" + text.encode("utf-16-le")},
                      {b"minutes.txt": MINUTES, CAFE.encode(): CAFE_DATA})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 2
    assert not any("checksum" in w for w in summary["warnings"])


@pytest.mark.parametrize("encoded", [
    lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
    lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
    lambda text: b"\xff\xfe\x00\x00" + text.encode("utf-32-le"),
    lambda text: text.encode("utf-16"),  # Python writes its machine's byte-order mark
], ids=["utf-8 bom", "utf-16-be", "utf-32-le", "utf-16"])
def test_each_byte_order_mark_is_read(tmp_path, encoded):
    found = read(tmp_path, encoded(f"{md5(CAFE_DATA)}  {CAFE}\r\n{md5(MINUTES)}  minutes.txt\r\n"))
    assert [(a.listed, a.where) for a in found] == [(CAFE, "metadata/checksum.md5, line 1"),
                                                    ("minutes.txt", "metadata/checksum.md5, line 2")]


def test_utf16_without_a_byte_order_mark_is_refused_naming_the_line(tmp_path):
    with pytest.raises(TransferError, match=r"metadata/checksum.md5: line 1 is not UTF-8 text: it holds NUL bytes"):
        read(tmp_path, f"{md5(MINUTES)}  minutes.txt\n".encode("utf-16-le"))


def test_a_file_not_in_the_encoding_its_byte_order_mark_says_is_refused_naming_the_line(tmp_path):
    text = f"{md5(MINUTES)}  minutes.txt\n{md5(MINUTES)}  ".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    with pytest.raises(TransferError, match="metadata/checksum.md5: line 2 is not UTF-16 text, though the file "
                                            "starts with a UTF-16 byte-order mark"):
        read(tmp_path, b"\xff\xfe" + text + "x.txt\n".encode("utf-16-le"))


def test_names_that_are_not_utf8_are_matched_byte_for_byte(preserve, tmp_path):
    latin1 = "Bürgerbuch.txt".encode("latin-1")  # file and list both made on a system in ISO-8859-1
    source = transfer(tmp_path / "accession", {"checksum.md5": f"{md5(MINUTES)}  ".encode() + latin1 + b"\n"},
                      {latin1: MINUTES})
    assert preserve.json("ingest", str(source))["checksums_checked"] == 1


def test_a_list_made_on_windows_in_its_code_page_matches_names_in_utf8(preserve, tmp_path):
    listed = f"{md5(CAFE_DATA)}  {CAFE}\r\n".encode("cp1252")  # 'é' is one byte here, two on disk
    source = transfer(tmp_path / "accession", {"checksum.md5": listed}, {CAFE.encode(): CAFE_DATA})
    assert preserve.json("ingest", str(source))["checksums_checked"] == 1


def test_a_name_not_utf8_and_not_in_the_transfer_says_how_it_was_looked_for(tmp_path):
    found = read(tmp_path, f"{md5(MINUTES)}  ".encode() + b"Gr\xfc\xdfe.txt\n")
    outcome = check_assertions(found, [("minutes.txt", "", "", {"md5": md5(MINUTES)})])
    assert [str(p) for p in outcome.problems] == [
        "Gr\\xfc\\xdfe.txt: listed in metadata/checksum.md5, line 1, not in the transfer (its name is not UTF-8: "
        f"it was looked for byte for byte and as Windows-1252) (expected md5:{md5(MINUTES)}, found no such file)"]


def test_a_line_that_is_not_utf8_and_not_a_checksum_line_says_so(tmp_path):
    with pytest.raises(TransferError) as raised:
        read(tmp_path, b"\xfc\xfc not a checksum\n")
    assert [str(p) for p in raised.value.details] == [
        "metadata/checksum.md5, line 1: not a '<checksum>  <path>' line (it holds bytes that are not UTF-8)"]


def test_a_name_with_a_unicode_line_separator_stays_one_line(tmp_path):
    names = ["a\u2028b.txt", "c\x85d.txt", "e\x0cf.txt"]  # str.splitlines() would break each in two
    found = read(tmp_path, "".join(f"{md5(MINUTES)}  {n}\n" for n in names).encode())
    assert [a.listed for a in found] == names


# 4. line endings and blanks


def test_crlf_and_trailing_blanks_are_fine(preserve, tmp_path):
    source = transfer(tmp_path / "accession", {
        "checksum.md5": f"{md5(MINUTES)}  minutes.txt \t\r\n  {md5(CAFE_DATA)} *{CAFE}\r\n".encode(),
        "checksum.sha256": f"SHA256 (minutes.txt) = {hashlib.sha256(MINUTES).hexdigest()}  \r\n".encode()},
        {b"minutes.txt": MINUTES, CAFE.encode(): CAFE_DATA})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 2
    assert not any("checksum" in w for w in summary["warnings"])


def test_a_name_that_really_ends_in_a_blank_is_matched_as_written_first(tmp_path):
    found = read(tmp_path, f"{md5(b'1')}  notes.txt \n".encode())
    records = [("notes.txt ", "", "", {"md5": md5(b"1")}), ("notes.txt", "", "", {"md5": md5(b"2")})]
    outcome = check_assertions(found, records)
    assert list(outcome.matched) == ["notes.txt "] and outcome.problems == []


# metadata.csv and rights.csv rows naming unsafe paths


@pytest.mark.parametrize("name", ["objects/../x", "../../etc/passwd", "/etc/passwd", "objects\\..\\x"])
def test_a_metadata_row_naming_an_unsafe_path_says_so(name):
    entries = [Entry(Path("t/metadata/metadata.csv"), "metadata/metadata.csv", "row 2", name, (("dc.title", "X"),))]
    with pytest.raises(TransferError) as raised:
        describe("metadata.csv", entries, {"x", "a.txt"}, set(), [])
    (problem,) = raised.value.details
    assert str(problem).startswith(f"t/metadata/metadata.csv: row 2: filename {name!r} is an unsafe path: ")
    assert "not in the transfer" not in str(problem)


@pytest.mark.parametrize("name", ["objects/../x", "../../etc/passwd", "C:\\Users\\x.pdf"])
def test_a_rights_row_naming_an_unsafe_path_says_so(tmp_path, name):
    sheet = tmp_path / "rights.csv"
    sheet.write_text(f'file,basis,jurisdiction\n"{name}",Copyright,gb\nobjects,Donor,\n')
    with pytest.raises(TransferError) as raised:
        read_rights_csv(sheet, {"x", "a.txt"}, set())
    (problem,) = raised.value.details
    assert str(problem).startswith(f"{sheet}: row 2: file {name!r} is an unsafe path: ")


def test_an_unsafe_metadata_csv_row_refuses_the_ingest(preserve, tmp_path):
    source = transfer(tmp_path / "accession", {"metadata.csv": b"filename,dc.title\nobjects/../../etc/passwd,X\n"})
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "row 2: filename 'objects/../../etc/passwd' is an unsafe path: its '..' may lead out" in result.stderr
    assert_nothing_kept(preserve)
