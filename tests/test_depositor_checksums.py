"""The depositor's checksum files as a new user's transfer really has them (docs/ingest.md): unsafe paths named as
such, empty files warned of, UTF-16 from PowerShell, names that are not UTF-8, CRLF and trailing blanks; lines naming
metadata files, relative to the checksum file's folder or the transfer's top (md5sum run over the whole transfer,
its own output included); checksum files under other names and in other places, read or warned of by name; and
metadata.csv and rights.csv rows naming unsafe paths.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from ingest.checksums import Assertion, candidates, check_assertions, read_checksum_file
from ingest.metadata import Entry, describe
from ingest.rights import read_rights_csv
from preservation.errors import TransferError
from tests.test_ingest_bad_input import assert_nothing_kept

MINUTES = b"Vestry meeting, 4 April 1921.\n"
CAFE = "café-accounts.csv"  # a name that is not ASCII, written on disk as UTF-8
CAFE_DATA = b"item,amount\nbread,2\n"
UNSAFE = [
    "../../etc/passwd",
    "/etc/passwd",
    "C:\\x",
    "C:/Windows/win.ini",
    "\\\\server\\share\\x",
    "..\\..\\etc\\passwd",
    "../objects/../../etc/passwd",
    "metadata/../../../x",
    "./../objects/../..",
]
LEADS_OUT = (
    "its '..' leads out of the transfer (read from metadata/, the checksum file's folder): only files within "
    "it can be named"
)


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
        + ("it is absolute: only files within the transfer can be named" if ".." not in listed else LEADS_OUT)
    ]
    assert "nothing outside it has been read" in error.hint


def test_the_forms_the_convention_allows_are_not_unsafe(tmp_path):
    lines = [
        f"{md5(b'a')}  ../objects/a.txt",
        f"{md5(b'a')} *./objects/a.txt",
        f"{md5(b'a')}  ..\\objects\\a.txt",
        f"\\{md5(b'a')}  C:\\\\odd name.txt",  # md5sum escaped it: a POSIX name with a backslash, not a drive
        f"{md5(b'a')}  ..a/b..txt",
        # '..' that stays within the transfer, read from metadata/: a metadata file, a record, the top
        f"{md5(b'a')}  ../metadata/metadata.csv",
        f"{md5(b'a')}  objects/../a.txt",
        f"{md5(b'a')}  ../x.md5",
    ]
    assert [a.listed for a in read(tmp_path, "\n".join(lines).encode())] == [
        "../objects/a.txt",
        "./objects/a.txt",
        "..\\objects\\a.txt",
        "C:\\odd name.txt",
        "..a/b..txt",
        "../metadata/metadata.csv",
        "objects/../a.txt",
        "../x.md5",
    ]


def test_a_checksum_file_at_the_top_may_not_step_above_it(tmp_path):
    path = tmp_path / "checksum.md5"
    path.write_bytes(f"{md5(b'a')}  ../objects/a.txt\n".encode())
    with pytest.raises(TransferError) as raised:
        read_checksum_file(path, "checksum.md5")
    assert [str(p) for p in raised.value.details] == [
        "../objects/a.txt: listed in checksum.md5, line 1, is an unsafe path: its '..' leads out of the transfer "
        "(read from the transfer's top, where the checksum file is): only files within it can be named"
    ]


def test_no_lookup_is_made_outside_the_transfer():
    assert list(candidates("../../etc/passwd")) == []
    assert list(candidates("/etc/passwd")) == []
    assert list(candidates("objects/../x")) == ["metadata/x", "x", "objects/x"]  # within it: only looked up
    # relative to the checksum file's folder, then each folder above it, then objects/
    assert list(candidates("./metadata.csv")) == ["metadata/metadata.csv", "metadata.csv", "objects/metadata.csv"]
    assert list(candidates("../objects/a.txt")) == ["objects/a.txt"]
    assert list(candidates("a.txt", "data/metadata/checksum.md5", "data/objects")) == [
        "data/metadata/a.txt",
        "data/a.txt",
        "a.txt",
        "data/objects/a.txt",
    ]
    assert list(candidates("a.txt", "checksum.md5", "")) == ["a.txt"]


def test_an_unsafe_checksum_line_refuses_the_transfer_before_anything_is_read(preserve, tmp_path):
    secret = tmp_path / "secret.txt"  # beside the transfer, with the very digest the line gives
    secret.write_bytes(b"not the depositor's\n")
    source = transfer(
        tmp_path / "accession",
        {
            "checksum.md5": (
                f"{md5(MINUTES)}  minutes.txt\n{md5(secret.read_bytes())}  ../../secret.txt\n"
                f"{md5(b'x')}  objects/../../../x\n"
            ).encode()
        },
    )
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "metadata/checksum.md5: 2 line(s) name an unsafe path (absolute, or with '..')" in result.stderr
    assert "../../secret.txt: listed in metadata/checksum.md5, line 2, is an unsafe path" in result.stderr
    assert "objects/../../../x: listed in metadata/checksum.md5, line 3, is an unsafe path" in result.stderr
    assert "not in the transfer" not in result.stderr
    assert_nothing_kept(preserve)


# 2. checksum files that list nothing


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# made by hand\r\n   \r\n\t\r\n"])
def test_a_checksum_file_that_lists_no_files_is_a_warning(preserve, tmp_path, content):
    source = transfer(
        tmp_path / "accession", {"checksum.md5": f"{md5(MINUTES)}  minutes.txt\n".encode(), "checksum.sha1": content}
    )
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 1
    assert [w for w in summary["warnings"] if "checksum" in w] == [
        "metadata/checksum.sha1 lists no files (it is empty, or holds only blank lines and comments), so it vouches "
        "for nothing"
    ]


def test_the_only_checksum_file_listing_nothing_is_a_warning_too(preserve, tmp_path):
    source = transfer(tmp_path / "accession", {"checksum.sha256": b""})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 0
    assert any(w.startswith("metadata/checksum.sha256 lists no files") for w in summary["warnings"])


# 3. encodings


def test_utf16_from_powershell_is_read(preserve, tmp_path):
    text = f"{md5(MINUTES).upper()}  minutes.txt\r\n{md5(CAFE_DATA).upper()}  {CAFE}\r\n"
    source = transfer(
        tmp_path / "accession",
        {"checksum.md5": b"\xff\xfe" + text.encode("utf-16-le")},
        {b"minutes.txt": MINUTES, CAFE.encode(): CAFE_DATA},
    )
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 2
    assert not any("checksum" in w for w in summary["warnings"])


@pytest.mark.parametrize(
    "encoded",
    [
        lambda text: b"\xef\xbb\xbf" + text.encode("utf-8"),
        lambda text: b"\xfe\xff" + text.encode("utf-16-be"),
        lambda text: b"\xff\xfe\x00\x00" + text.encode("utf-32-le"),
        lambda text: text.encode("utf-16"),  # Python writes its machine's byte-order mark
    ],
    ids=["utf-8 bom", "utf-16-be", "utf-32-le", "utf-16"],
)
def test_each_byte_order_mark_is_read(tmp_path, encoded):
    found = read(tmp_path, encoded(f"{md5(CAFE_DATA)}  {CAFE}\r\n{md5(MINUTES)}  minutes.txt\r\n"))
    assert [(a.listed, a.where) for a in found] == [
        (CAFE, "metadata/checksum.md5, line 1"),
        ("minutes.txt", "metadata/checksum.md5, line 2"),
    ]


def test_utf16_without_a_byte_order_mark_is_refused_naming_the_line(tmp_path):
    with pytest.raises(TransferError, match=r"metadata/checksum.md5: line 1 is not UTF-8 text: it holds NUL bytes"):
        read(tmp_path, f"{md5(MINUTES)}  minutes.txt\n".encode("utf-16-le"))


def test_a_file_not_in_the_encoding_its_byte_order_mark_says_is_refused_naming_the_line(tmp_path):
    text = f"{md5(MINUTES)}  minutes.txt\n{md5(MINUTES)}  ".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    with pytest.raises(
        TransferError,
        match="metadata/checksum.md5: line 2 is not UTF-16 text, though the file starts with a UTF-16 byte-order mark",
    ):
        read(tmp_path, b"\xff\xfe" + text + "x.txt\n".encode("utf-16-le"))


def test_names_that_are_not_utf8_are_matched_byte_for_byte(preserve, tmp_path):
    latin1 = "Bürgerbuch.txt".encode("latin-1")  # file and list both made on a system in ISO-8859-1
    source = transfer(
        tmp_path / "accession", {"checksum.md5": f"{md5(MINUTES)}  ".encode() + latin1 + b"\n"}, {latin1: MINUTES}
    )
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
        f"it was looked for byte for byte and as Windows-1252) (expected md5:{md5(MINUTES)}, found no such file)"
    ]


def test_a_line_that_is_not_utf8_and_not_a_checksum_line_says_so(tmp_path):
    with pytest.raises(TransferError) as raised:
        read(tmp_path, b"\xfc\xfc not a checksum\n")
    assert [str(p) for p in raised.value.details] == [
        "metadata/checksum.md5, line 1: not a '<checksum>  <path>' line (it holds bytes that are not UTF-8)"
    ]


def test_a_name_with_a_unicode_line_separator_stays_one_line(tmp_path):
    names = ["a\u2028b.txt", "c\x85d.txt", "e\x0cf.txt"]  # str.splitlines() would break each in two
    found = read(tmp_path, "".join(f"{md5(MINUTES)}  {n}\n" for n in names).encode())
    assert [a.listed for a in found] == names


# 4. line endings and blanks


def test_crlf_and_trailing_blanks_are_fine(preserve, tmp_path):
    source = transfer(
        tmp_path / "accession",
        {
            "checksum.md5": f"{md5(MINUTES)}  minutes.txt \t\r\n  {md5(CAFE_DATA)} *{CAFE}\r\n".encode(),
            "checksum.sha256": f"SHA256 (minutes.txt) = {hashlib.sha256(MINUTES).hexdigest()}  \r\n".encode(),
        },
        {b"minutes.txt": MINUTES, CAFE.encode(): CAFE_DATA},
    )
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 2
    assert not any("checksum" in w for w in summary["warnings"])


def test_a_name_that_really_ends_in_a_blank_is_matched_as_written_first(tmp_path):
    found = read(tmp_path, f"{md5(b'1')}  notes.txt \n".encode())
    records = [("notes.txt ", "", "", {"md5": md5(b"1")}), ("notes.txt", "", "", {"md5": md5(b"2")})]
    outcome = check_assertions(found, records)
    assert list(outcome.matched) == ["notes.txt "] and outcome.problems == []


# 5. lines naming metadata files, relative to the checksum file's folder or the transfer's top


CSV = b"filename,dc.title\nobjects,Vestry minutes\n"
DEED = b"Deed of gift, signed 2026.\n"
SELF_SKIPPED = "names the checksum file itself (metadata/checksum.md5), whose checksum no list can hold"


def with_metadata(root: Path, checksums: dict[str, bytes] | None = None) -> Path:
    """A standard transfer holding minutes.txt, with metadata.csv and submissionDocumentation/deed.txt."""
    transfer(root, checksums or {})
    (root / "metadata" / "metadata.csv").write_bytes(CSV)
    (root / "metadata" / "submissionDocumentation").mkdir()
    (root / "metadata" / "submissionDocumentation" / "deed.txt").write_bytes(DEED)
    return root


def depositor_checks(preserve, aip_id: str) -> dict[str, list[str]]:
    """original name -> the details of the depositor's fixity check events on that file."""
    shown = preserve.json("aip", "show", aip_id)
    names = {f["id"]: f["original_name"] for f in shown["files"]}
    found: dict[str, list[str]] = {}
    for event in shown["events"]:
        if event["type"] == "fixity check" and "the depositor's" in event["detail"]:
            found.setdefault(names[event["file_id"]], []).append(event["detail"])
    return found


def test_md5sum_of_the_whole_transfer_from_its_top_checks_the_metadata_files_too(preserve, tmp_path):
    source = with_metadata(tmp_path / "accession")
    subprocess.run("find . -type f -exec md5sum {} + > metadata/checksum.md5", shell=True, cwd=source, check=True)
    assert "./metadata/metadata.csv" in (source / "metadata" / "checksum.md5").read_text()
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 3  # the record, metadata.csv and deed.txt
    checks = depositor_checks(preserve, summary["aip_id"])
    assert set(checks) == {"objects/minutes.txt", "metadata/metadata.csv", "metadata/submissionDocumentation/deed.txt"}
    assert all("MD5 checksum (metadata/checksum.md5, line " in d for details in checks.values() for d in details)
    notes = [w for w in summary["warnings"] if "checksum" in w]
    assert len(notes) == 1 and notes[0].startswith("metadata/checksum.md5, line ") and SELF_SKIPPED in notes[0]
    assert "that line was skipped, the others were checked" in notes[0]


def test_md5sum_run_inside_metadata_names_files_relative_to_it(preserve, tmp_path):
    source = with_metadata(tmp_path / "accession")
    subprocess.run(
        "md5sum ../objects/minutes.txt metadata.csv submissionDocumentation/deed.txt checksum.md5 > checksum.md5",
        shell=True,
        cwd=source / "metadata",
        check=True,
    )
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 3
    assert set(depositor_checks(preserve, summary["aip_id"])) == {
        "objects/minutes.txt",
        "metadata/metadata.csv",
        "metadata/submissionDocumentation/deed.txt",
    }
    assert [w for w in summary["warnings"] if "checksum" in w] == [
        f"metadata/checksum.md5, line 4 {SELF_SKIPPED} (it was made while md5sum … read the folder the list was "
        "being written into): that line was skipped, the others were checked"
    ]


@pytest.mark.parametrize(
    "listed",
    [
        "../metadata/metadata.csv",
        "./metadata/metadata.csv",
        "metadata/metadata.csv",
        "metadata.csv",
        "./metadata.csv",
        "objects/../metadata.csv",
        "..\\metadata\\metadata.csv",
    ],
)
def test_each_way_of_naming_a_metadata_file_is_checked(preserve, tmp_path, listed):
    source = with_metadata(
        tmp_path / "accession",
        {"checksum.md5": (f"{md5(CSV)}  {listed}\n{md5(MINUTES)}  ../objects/minutes.txt\n").encode()},
    )
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 2
    assert depositor_checks(preserve, summary["aip_id"])["metadata/metadata.csv"] == [
        "program=preserve; the depositor's MD5 checksum (metadata/checksum.md5, line 1) compared with the file as "
        "received"
    ]
    assert not any("checksum" in w for w in summary["warnings"])


def test_a_metadata_file_that_does_not_match_refuses_the_transfer(preserve, tmp_path):
    source = with_metadata(
        tmp_path / "accession",
        {
            "checksum.md5": (
                f"{md5(b'an older metadata.csv')}  ./metadata.csv\n{md5(MINUTES)}  ../objects/minutes.txt\n"
                f"{md5(DEED)}  submissionDocumentation/gone.txt\n"
            ).encode()
        },
    )
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "2 line(s) of the depositor's checksum files do not match" in result.stderr
    assert (
        f"metadata/metadata.csv: does not match metadata/checksum.md5, line 1 (expected "
        f"md5:{md5(b'an older metadata.csv')}, found md5:{md5(CSV)})"
    ) in result.stderr
    assert (
        "submissionDocumentation/gone.txt: listed in metadata/checksum.md5, line 3, not in the transfer"
        in result.stderr
    )
    assert_nothing_kept(preserve)


def test_a_line_naming_its_own_checksum_file_is_skipped_unless_it_means_a_record_of_that_name():
    def line(number: int, digest: str, listed: str) -> Assertion:
        return Assertion("md5", digest, listed, f"metadata/checksum.md5, line {number}", "metadata/checksum.md5")

    assertions = [
        line(1, md5(b"the list, half written"), "./checksum.md5"),
        line(2, md5(MINUTES), "checksum.md5"),  # Archivematica's form: objects/checksum.md5, a record
        line(3, md5(b"the list, half written"), "../metadata/checksum.md5"),
    ]
    records = [("checksum.md5", "", "", {"md5": md5(MINUTES)})]
    metadata = [("metadata/checksum.md5", "", "", {"md5": md5(b"the whole list")})]
    outcome = check_assertions(assertions, records, metadata)
    assert outcome.problems == [] and list(outcome.matched) == ["checksum.md5"] and outcome.metadata_matched == {}
    assert [w.split(" names ")[0] for w in outcome.skipped] == [
        "metadata/checksum.md5, line 1",
        "metadata/checksum.md5, line 3",
    ]


def test_a_file_holding_only_the_checksum_of_the_file_it_is_named_after_is_read(tmp_path):
    (found,) = read(tmp_path, f"{md5(MINUTES).upper()}\n".encode(), "minutes.txt.md5")
    assert (found.listed, found.digest) == ("minutes.txt", md5(MINUTES))
    outcome = check_assertions([found], [("minutes.txt", "", "", {"md5": md5(MINUTES)})])
    assert list(outcome.matched) == ["minutes.txt"] and outcome.problems == []
    with pytest.raises(TransferError, match="cannot be read as MD5 checksums"):
        read(tmp_path, f"{md5(MINUTES)}\n".encode())  # checksum.md5 lists files: a checksum alone names none


# 6. checksum files under other names and in other places: read, or warned of by name


@pytest.mark.parametrize(
    "name",
    ["CHECKSUM.MD5", "checksum.md5.txt", "Checksums.md5", "deposit.md5", "MD5SUMS", "md5sums.txt", "manifest-md5.txt"],
)
def test_a_checksum_file_in_metadata_under_another_name_is_read(preserve, tmp_path, name):
    source = transfer(tmp_path / "accession", {name: f"{md5(b'tampered')}  ../objects/minutes.txt\n".encode()})
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert f"objects/minutes.txt: does not match metadata/{name}, line 1" in result.stderr
    assert_nothing_kept(preserve)


def test_a_checksum_file_under_another_name_that_matches_is_recorded(preserve, tmp_path):
    sha256 = hashlib.sha256(MINUTES).hexdigest()
    source = transfer(tmp_path / "accession", {"Checksum.SHA256.txt": f"{sha256}  ../objects/minutes.txt\n".encode()})
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 1
    assert depositor_checks(preserve, summary["aip_id"])["objects/minutes.txt"] == [
        "program=preserve; the depositor's SHA256 checksum (metadata/Checksum.SHA256.txt, line 1) compared with the "
        "file as received"
    ]


@pytest.mark.parametrize("name", ["checksum.md5", "CHECKSUM.MD5", "accession.md5", "manifest-md5.txt"])
def test_a_checksum_file_beside_objects_at_the_top_is_read(preserve, tmp_path, name):
    source = transfer(tmp_path / "accession", {})
    (source / name).write_bytes(f"{md5(b'tampered')}  objects/minutes.txt\n".encode())
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert f"objects/minutes.txt: does not match {name}, line 1" in result.stderr
    (source / name).write_bytes(f"{md5(MINUTES)}  ./objects/minutes.txt\n".encode())
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 1
    assert (
        f"{name}: beside objects/ and metadata/, so not a record; kept in the AIP as data/metadata/transfer/"
        f"{name} and read as the depositor's checksums" in summary["warnings"]
    )


@pytest.mark.parametrize("name", ["accession.md5", "checksum.md5"])
def test_a_checksum_list_among_the_records_of_a_plain_folder_is_a_record_named_in_a_warning(preserve, tmp_path, name):
    source = tmp_path / "plain"
    source.mkdir()
    (source / "minutes.txt").write_bytes(MINUTES)
    (source / name).write_bytes(f"{md5(b'tampered')}  minutes.txt\n".encode())  # wrong, and not checked
    summary = preserve.json("ingest", str(source))
    assert (
        summary["layout"] == "plain folder"
        and summary["counts"]["original"]["files"] == 2
        and summary["checksums_checked"] == 0
    )
    assert [w for w in summary["warnings"] if "checksum" in w] == [
        f"{name}: its name says it lists checksums, but it is one of the records, so it was kept as a record and "
        "not checked against the files. To have the depositor's checksums checked, put the list in a metadata/ "
        "folder beside the records as metadata/checksum.md5, its paths relative to the transfer's top or to "
        "metadata/"
    ]
    (source / "metadata").mkdir()  # as the warning says
    (source / name).rename(source / "metadata" / "checksum.md5")
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "minutes.txt: does not match metadata/checksum.md5, line 1" in result.stderr


def test_a_metadata_folder_with_only_a_checksum_file_in_capitals_is_archivematicas(preserve, tmp_path):
    source = tmp_path / "accession"
    (source / "metadata").mkdir(parents=True)
    (source / "minutes.txt").write_bytes(MINUTES)
    (source / "metadata" / "CHECKSUM.MD5").write_bytes(f"{md5(MINUTES)}  ../minutes.txt\n".encode())
    summary = preserve.json("ingest", str(source))
    assert summary["layout"] == "records with a metadata/ folder (Archivematica)"
    assert summary["counts"]["original"]["files"] == 1 and summary["checksums_checked"] == 1


def test_checksum_lists_that_are_not_read_are_each_named_in_a_warning(preserve, tmp_path):
    source = with_metadata(
        tmp_path / "accession",
        {
            "checksum.md5": f"{md5(MINUTES)}  minutes.txt\n".encode(),
            "tagmanifest-md5.txt": f"{md5(b'x')}  bagit.txt\n".encode(),
        },
    )  # a bag's, naming files this one lacks
    (source / "metadata" / "submissionDocumentation" / "old.sha1").write_bytes(b"not read\n")
    (source / "objects" / "downloads").mkdir()
    (source / "objects" / "downloads" / "SHA256SUMS").write_bytes(b"a record\n")
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == 1
    assert [w for w in summary["warnings"] if "lists checksums" in w] == [
        "objects/downloads/SHA256SUMS: its name says it lists checksums, but it is one of the records, so it was "
        "kept as a record and not checked against the files. To have the depositor's checksums checked, put the "
        "list in a metadata/ folder beside the records as metadata/checksum.sha256, its paths relative to the "
        "transfer's top or to metadata/",
        "metadata/submissionDocumentation/old.sha1: its name says it lists checksums, but it was kept in the AIP "
        "as data/metadata/submission/submissionDocumentation/old.sha1 and not checked against the files: it is "
        "not where the depositor's checksums are read (the top of metadata/, or beside objects/). To have it "
        "checked, put it there (as metadata/checksum.sha1, say)",
        "metadata/tagmanifest-md5.txt: its name says it lists checksums, but it was kept in the AIP as "
        "data/metadata/submission/tagmanifest-md5.txt and not checked against the files: it is a bag's tag "
        "manifest, which lists a bag's tag files (bagit.txt, manifests …), not the files of this transfer",
    ]


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
