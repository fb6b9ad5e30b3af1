"""Transfers as BagIt bags, zip and tar files: accepted when sound, refused whole when not; which of a transfer's
files are read as the depositor's checksums."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from ingest.bags import create_bag, validate_bag
from ingest.checksums import extra_algorithms
from ingest.transfers import checksum_algorithm, layout_of, looks_like_checksums
from preservation.errors import TransferError
from tests.test_ingest_bad_input import assert_nothing_kept


def _bag_of(collection: Path, tmp_path: Path) -> Path:
    bag = tmp_path / "deposit"
    shutil.copytree(collection, bag)
    create_bag(bag, [("Source-Organization", "Parish of St Michael"), ("Contact-Name", "A. Depositor")])
    return bag


def test_a_bag_is_validated_and_its_payload_ingested(preserve, collection, tmp_path):
    bag = _bag_of(collection, tmp_path)
    summary = preserve.json("ingest", str(bag))
    assert summary["counts"]["original"]["files"] == 11 and summary["title"] == "deposit"
    shown = preserve.json("aip", "show", summary["aip_id"])
    names = {f["original_name"] for f in shown["files"] if f["role"] == "original"}
    assert names == {f"objects/{p.relative_to(collection)}" for p in collection.rglob("*") if p.is_file()}
    tags = {f["original_name"]: f["path"] for f in shown["files"] if f["role"] == "metadata"}
    assert tags == {name: f"data/metadata/bag/{name}" for name in os.listdir(bag) if name != "data"}
    assert {m["path"] for m in summary["metadata"]} == set(tags)
    assert not any("lists checksums" in w for w in summary["warnings"])  # its manifests were checked as a bag's
    start = next(e for e in shown["events"] if e["type"] == "ingestion start")
    assert ": bag 'deposit'" in start["detail"]
    out = tmp_path / "out"
    out.mkdir()
    exported = Path(preserve.json("aip", "export", summary["aip_id"], str(out))["bag"])
    kept = exported / "data" / "metadata" / "bag"
    assert "Contact-Name: A. Depositor" in (kept / "bag-info.txt").read_text()
    for name in tags:  # every tag file of the bag as it was given, byte for byte
        assert (kept / name).read_bytes() == (bag / name).read_bytes()
    assert validate_bag(exported).valid


def test_an_invalid_bag_is_refused_with_every_problem(preserve, collection, tmp_path):
    bag = _bag_of(collection, tmp_path)
    (bag / "data" / "documents" / "transcription-notes.txt").write_text("altered\n")
    (bag / "data" / "audio" / "oral-history-interview.wav").unlink()
    result = preserve("ingest", str(bag), expect=TransferError.exit_code)
    assert "the bag is not valid" in result.stderr
    assert "data/documents/transcription-notes.txt: sha256 checksum mismatch" in result.stderr
    assert "data/audio/oral-history-interview.wav: in the manifest but missing from the bag" in result.stderr
    assert_nothing_kept(preserve)


def test_a_holey_bag_is_refused_as_incomplete(preserve, collection, tmp_path):
    """A bag whose fetch.txt lists a file it does not hold is incomplete: refused for that reason, by name."""
    bag = _bag_of(collection, tmp_path)
    held_back = bag / "data" / "audio" / "oral-history-interview.wav"
    size = held_back.stat().st_size
    held_back.unlink()
    (bag / "fetch.txt").write_text(
        f"https://example.org/deposit/interview.wav {size} data/audio/oral-history-interview.wav\n"
    )
    result = preserve("ingest", str(bag), expect=TransferError.exit_code)
    assert "the bag is incomplete: 1 file(s) listed in fetch.txt are not in it" in result.stderr
    assert "data/audio/oral-history-interview.wav: listed in fetch.txt, not present" in result.stderr
    assert "never fetches" in result.stderr
    assert_nothing_kept(preserve)


def _zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + str(path.relative_to(folder)))
    return target


def test_zip_and_tar_transfers(preserve, collection, tmp_path):
    zipped = _zip_folder(collection, tmp_path / "records.zip", prefix="records/")
    summary = preserve.json("ingest", str(zipped))
    assert summary["counts"]["original"]["files"] == 11 and summary["title"] == "records"
    tarred = tmp_path / "records.tar.gz"
    with tarfile.open(tarred, "w:gz") as archive:
        archive.add(collection, arcname="records")
    assert preserve.json("ingest", str(tarred))["counts"]["original"]["files"] == 11
    shown = preserve.json("aip", "show", summary["aip_id"])
    assert any(": zip 'records.zip'" in e["detail"] for e in shown["events"] if e["type"] == "ingestion start")
    assert list((preserve.home / "staging").iterdir()) == []


def test_a_zipped_bag(preserve, collection, tmp_path):
    bag = _bag_of(collection, tmp_path)
    zipped = _zip_folder(bag, tmp_path / "deposit.zip")
    summary = preserve.json("ingest", str(zipped))
    shown = preserve.json("aip", "show", summary["aip_id"])
    assert summary["counts"]["original"]["files"] == 11
    assert any("zipped bag" in e["detail"] for e in shown["events"] if e["type"] == "ingestion start")


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/absolute.txt", "a/../../escaped.txt", "C:/x.txt"])
def test_zip_slip_is_refused_and_nothing_written_outside(preserve, tmp_path, member):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("fine.txt", "fine\n")
        archive.writestr(member, "escaped\n")
    result = preserve("ingest", str(evil), expect=TransferError.exit_code)
    assert "cannot be extracted safely" in result.stderr
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/absolute.txt").exists()
    assert not (preserve.home / "staging" / "escaped.txt").exists()
    assert_nothing_kept(preserve)


def test_links_in_archives_are_refused(preserve, tmp_path):
    tarred = tmp_path / "links.tar"
    with tarfile.open(tarred, "w") as archive:
        data = b"fine\n"
        info = tarfile.TarInfo("fine.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("passwd")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    result = preserve("ingest", str(tarred), expect=TransferError.exit_code)
    assert "passwd: link in the archive" in result.stderr
    zipped = tmp_path / "links.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        info = zipfile.ZipInfo("passwd")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    result = preserve("ingest", str(zipped), expect=TransferError.exit_code)
    assert "passwd: symbolic link in the archive" in result.stderr
    assert_nothing_kept(preserve)


def test_a_zip_bomb_stops_at_the_limit(preserve, tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("zeros.bin", "w") as member:
        for _ in range(40):
            member.write(b"\0" * 1024 * 1024)
    assert bomb.stat().st_size < 200_000
    result = preserve("ingest", str(bomb), expect=TransferError.exit_code)
    assert "zip bomb" in result.stderr
    assert_nothing_kept(preserve)


def test_a_tar_bomb_is_refused_before_extracting(preserve, tmp_path):
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz") as archive:
        data = b"\0" * (40 * 1024 * 1024)
        info = tarfile.TarInfo("zeros.bin")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    result = preserve("ingest", str(bomb), expect=TransferError.exit_code)
    assert "archive bomb" in result.stderr
    assert_nothing_kept(preserve)


def test_a_damaged_archive_is_refused(preserve, tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    result = preserve("ingest", str(broken), expect=TransferError.exit_code)
    assert "not a readable zip file" in result.stderr
    assert_nothing_kept(preserve)


def test_zip_member_names_keep_their_original_bytes(preserve, tmp_path):
    archive = tmp_path / "legacy.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("rXsumX.txt", "CV\n")
        out.writestr("caf\u00e9.txt", "coffee\n")  # a UTF-8 name (flag set by zipfile)
    # as an old tool writes it: a Latin-1 name and no UTF-8 flag (same length, so headers stay right)
    archive.write_bytes(archive.read_bytes().replace(b"rXsumX.txt", b"r\xe9sum\xe9.txt"))
    summary = preserve.json("ingest", str(archive))
    files = {f["original_name"]: f["path"] for f in preserve.json("aip", "show", summary["aip_id"])["files"]}
    assert files["objects/r\\xE9sum\\xE9.txt"] == "data/objects/r%E9sum%E9.txt"
    assert files["objects/caf\u00e9.txt"] == "data/objects/caf\u00e9.txt"


# which files are read as the depositor's checksums


@pytest.mark.parametrize(
    ("name", "read", "looks"),
    [
        ("checksum.md5", "md5", "md5"),
        ("CHECKSUM.MD5", "md5", "md5"),
        ("checksum.sha1.txt", "sha1", "sha1"),
        ("checksums.sha256", "sha256", "sha256"),
        ("deposit.SHA512", "sha512", "sha512"),
        ("MD5SUMS", "md5", "md5"),
        ("sha256sums.txt", "sha256", "sha256"),
        ("manifest-sha1.txt", "sha1", "sha1"),
        ("tagmanifest-md5.txt", "", "md5"),
        ("checksum.crc32", "", ""),
        ("md5.txt", "", ""),
        ("notes.txt", "", ""),
        ("manifest-sha384.txt", "", ""),
    ],
)
def test_the_names_of_checksum_files(name, read, looks):
    assert checksum_algorithm(name) == read and looks_like_checksums(name) == looks


def _files(top: Path, *paths: str) -> Path:
    for path in paths:
        (top / path).parent.mkdir(parents=True, exist_ok=True)
        (top / path).write_text("d41d8cd98f00b204e9800998ecf8427e  objects/a.txt\n")
    return top


def test_checksum_files_are_read_at_the_top_of_metadata_and_beside_objects(tmp_path):
    top = _files(
        tmp_path / "standard",
        "objects/a.txt",
        "objects/b.md5",
        "metadata/CHECKSUM.MD5",
        "metadata/checksum.sha1.txt",
        "metadata/Checksums.sha256",
        "metadata/deposit.sha512",
        "metadata/MD5SUMS",
        "metadata/manifest-sha1.txt",
        "metadata/tagmanifest-md5.txt",
        "metadata/notes.txt",
        "metadata/submissionDocumentation/old.md5",
        "logs/run.md5",
        "checksum.md5",
        "sums.sha1",
        "elsewhere/x.md5",
    )
    transfer = layout_of(top)
    assert [transfer.given_as(p) for p in transfer.checksums] == [
        "metadata/CHECKSUM.MD5",
        "metadata/Checksums.sha256",
        "metadata/MD5SUMS",
        "metadata/checksum.sha1.txt",
        "metadata/deposit.sha512",
        "metadata/manifest-sha1.txt",
        "checksum.md5",
        "sums.sha1",
    ]
    assert extra_algorithms(transfer.checksums) == ("md5", "sha1")
    assert transfer.records_given_as == "objects"
    assert (
        "checksum.md5: beside objects/ and metadata/, so not a record; kept in the AIP as "
        "data/metadata/transfer/checksum.md5 and read as the depositor's checksums" in transfer.warnings
    )


def test_in_a_plain_folder_a_checksum_list_is_a_record(tmp_path):
    transfer = layout_of(_files(tmp_path / "plain", "a.txt", "files.md5", "MD5SUMS"))
    assert transfer.layout == "plain folder" and transfer.checksums == () and transfer.records_given_as == ""
    # a metadata/ folder among the records that holds only a list of another name stays one of the records
    transfer = layout_of(_files(tmp_path / "records", "a.txt", "metadata/photos.md5"))
    assert transfer.layout == "plain folder" and transfer.checksums == ()


def test_a_checksum_file_of_archivematicas_names_in_any_case_marks_the_metadata(tmp_path):
    transfer = layout_of(_files(tmp_path / "folder", "a.txt", "metadata/Checksum.MD5.txt", "metadata/x.sha1"))
    assert transfer.layout == "records with a metadata/ folder (Archivematica)"
    assert [transfer.given_as(p) for p in transfer.checksums] == ["metadata/Checksum.MD5.txt", "metadata/x.sha1"]
    loose = layout_of(_files(tmp_path / "loose", "objects/a.txt", "CHECKSUM.MD5", "other.md5"))
    assert loose.layout == "records with Archivematica metadata files at the top"
    assert [loose.given_as(p) for p in loose.checksums] == ["CHECKSUM.MD5"]  # other.md5 is a record
