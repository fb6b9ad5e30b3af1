"""7z transfers: unpacked with the same safety rules as zip and tar, refused whole when hostile or damaged.

Archives are made with py7zr and, where it is installed, with 7-Zip's own ``7z`` (Debian p7zip-full).
py7zr refuses to write unsafe names, so hostile names are written as harmless ones of the same length
in a plain (unencoded) header, which is then edited and its checksums recomputed.
"""

from __future__ import annotations

import os
import struct
import subprocess
import zlib
from pathlib import Path

import py7zr
import pytest

from ingest.archives import Limits, _special_7z, extract, is_archive
from preservation.errors import TransferError
from tests.conftest import require_tool
from tests.test_ingest_bad_input import assert_nothing_kept


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _outside(tmp_path: Path) -> set[str]:
    """Everything under tmp_path except the archive home (whose staging assert_nothing_kept checks)."""
    return {name for name in _files(tmp_path) if not name.startswith("home")}


def _renamed(path: Path, members: list[tuple[str, bytes]], renames: dict[str, str]) -> Path:
    """A 7z file whose members are renamed after writing (names of equal length), checksums made right."""
    with py7zr.SevenZipFile(path, "w") as archive:
        archive.set_encoded_header_mode(False)
        for name, data in members:
            archive.writestr(data, name)
    raw = bytearray(path.read_bytes())
    offset, size = struct.unpack_from("<QQ", raw, 12)
    start = 32 + offset
    header = bytes(raw[start : start + size])
    for old, new in renames.items():
        before, after = old.encode("utf-16-le"), new.encode("utf-16-le")
        assert len(before) == len(after) and header.count(before) == 1, old
        header = header.replace(before, after)
    raw[start : start + size] = header
    struct.pack_into("<I", raw, 28, zlib.crc32(header))  # next header CRC
    struct.pack_into("<I", raw, 8, zlib.crc32(bytes(raw[12:32])))  # start header CRC
    path.write_bytes(bytes(raw))
    return path


def _refused(preserve, archive: Path, *reasons: str) -> str:
    result = preserve("ingest", str(archive), expect=TransferError.exit_code)
    assert str(archive) in result.stderr, result.stderr
    for reason in reasons:
        assert reason in result.stderr, result.stderr
    assert_nothing_kept(preserve)
    return result.stderr


def test_7z_is_a_transfer(tmp_path):
    archive = tmp_path / "records.7Z"
    with py7zr.SevenZipFile(archive, "w") as out:
        out.writestr(b"x", "x.txt")
    assert is_archive(archive)


def test_a_7z_transfer_made_by_py7zr_is_ingested(preserve, collection, tmp_path):
    archive = tmp_path / "records.7z"
    with py7zr.SevenZipFile(archive, "w") as out:
        out.writeall(collection, "records")
    expected = sum(1 for p in collection.rglob("*") if p.is_file())
    summary = preserve.json("ingest", str(archive))
    assert summary["counts"]["original"]["files"] == expected  # title: pipeline._default_title does not strip .7z yet
    assert list((preserve.home / "staging").iterdir()) == []
    assert preserve.json("audit")["ok"] is True


def test_a_7z_transfer_made_by_7zip_is_ingested(preserve, collection, tmp_path):
    seven = require_tool("7z", "Debian p7zip-full: 7z archives as 7-Zip itself writes them")
    (collection / "empty.txt").write_bytes(b"")
    archive = tmp_path / "records.7z"
    # -ms=off: one compressed folder per file, which py7zr extracts on several threads
    subprocess.run([seven, "a", "-bd", "-ms=off", str(archive), "."], cwd=collection, check=True, capture_output=True)
    summary = preserve.json("ingest", str(archive))
    assert summary["counts"]["original"]["files"] == sum(1 for p in collection.rglob("*") if p.is_file())
    files = {f["original_name"] for f in preserve.json("aip", "show", summary["aip_id"])["files"]}
    assert "empty.txt" in {name.rsplit("/", 1)[-1] for name in files}


@pytest.mark.parametrize(
    ("hostile", "harmless", "reason"),
    [
        ("../escaped.txt", "xx/escaped.txt", "path leads out of the archive (..)"),
        ("a/../../escaped.txt", "a/xx/xx/escaped.txt", "path leads out of the archive (..)"),
        ("C:/escaped.txt", "Cx/escaped.txt", "absolute path in the archive"),
        ("\\escaped.txt", "xescaped.txt", "absolute path in the archive"),
    ],
)
def test_a_name_leading_out_is_refused(preserve, tmp_path, hostile, harmless, reason):
    archive = _renamed(tmp_path / "evil.7z", [("fine.txt", b"fine\n"), (harmless, b"escaped\n")], {harmless: hostile})
    before = _outside(tmp_path)
    _refused(preserve, archive, "cannot be extracted safely", reason)
    assert _outside(tmp_path) == before


def test_an_absolute_path_is_refused_and_nothing_written_there(preserve, tmp_path):
    target = tmp_path / "outside" / "absolute.txt"
    hostile = str(target)
    archive = _renamed(
        tmp_path / "absolute.7z",
        [("fine.txt", b"fine\n"), ("x" + hostile[1:], b"absolute\n")],
        {"x" + hostile[1:]: hostile},
    )
    _refused(preserve, archive, "absolute path in the archive")
    assert not target.exists() and not target.parent.exists()


def test_7zip_with_absolute_paths_is_refused(preserve, tmp_path):
    seven = require_tool("7z", "Debian p7zip-full")
    source = tmp_path / "outside" / "absolute.txt"
    source.parent.mkdir()
    source.write_text("absolute\n")
    archive = tmp_path / "absolute.7z"
    subprocess.run([seven, "a", "-bd", "-spf", str(archive), str(source)], check=True, capture_output=True)
    source.unlink()
    _refused(preserve, archive, "absolute path in the archive")
    assert not source.exists()


def test_a_symbolic_link_is_refused(preserve, tmp_path):
    folder = tmp_path / "linked"
    folder.mkdir()
    (folder / "fine.txt").write_text("fine\n")
    os.symlink("/etc/passwd", folder / "passwd")
    archive = tmp_path / "links.7z"
    with py7zr.SevenZipFile(archive, "w") as out:  # py7zr stores the link itself, not what it points to
        out.write(folder / "fine.txt", "fine.txt")
        out.write(folder / "passwd", "passwd")
    _refused(preserve, archive, "passwd: symbolic link in the archive")
    seven = require_tool("7z", "Debian p7zip-full")
    by_7zip = tmp_path / "links-7zip.7z"
    subprocess.run([seven, "a", "-bd", "-snl", str(by_7zip), "."], cwd=folder, check=True, capture_output=True)
    _refused(preserve, by_7zip, "passwd: symbolic link in the archive")


def test_special_members_are_named():
    class Entry:
        is_symlink = is_junction = is_socket = False
        st_fmt = 0o010000  # a FIFO, as 7-Zip's Unix extension records it

        def _test_attribute(self, _mask):
            return False

    assert _special_7z(Entry()) == "device, pipe or other special member"
    Entry.st_fmt = 0o100000  # a regular file
    assert _special_7z(Entry()) == ""


def test_a_7z_bomb_is_refused_before_extracting(preserve, tmp_path):
    bomb = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(bomb, "w") as out:
        out.writestr(b"\0" * (40 * 1024 * 1024), "zeros.bin")
    assert bomb.stat().st_size < 20_000
    _refused(preserve, bomb, "archive bomb", "41943040 bytes")


def test_a_7z_bomb_whose_headers_lie_stops_at_the_limit(tmp_path):
    """Sizes are counted as bytes are written: headers that understate them do not get past the limit."""

    class Lying(Limits):  # the first look (the headers) sees room enough; extraction gets 1 MiB
        calls = 0

        def allowance(self, archive_size: int) -> int:
            Lying.calls += 1
            return 10**12 if Lying.calls == 1 else 1024 * 1024

    bomb = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(bomb, "w") as out:
        out.writestr(b"\0" * (8 * 1024 * 1024), "zeros.bin")
    with pytest.raises(TransferError, match="zeros.bin: the archive unpacks to more than 1048576 bytes"):
        extract(bomb, tmp_path / "staging" / "extracted", Lying())
    assert not (tmp_path / "staging" / "extracted").exists()


@pytest.mark.parametrize("header_encryption", [False, True])
def test_an_encrypted_7z_is_refused(preserve, tmp_path, header_encryption):
    archive = tmp_path / "secret.7z"
    with py7zr.SevenZipFile(archive, "w", password="secret", header_encryption=header_encryption) as out:
        out.writestr(b"secret\n", "secret.txt")
    _refused(preserve, archive, "encrypted 7z archive (password protected)")


@pytest.mark.parametrize("header_encryption", [False, True])
def test_an_encrypted_7z_made_by_7zip_is_refused(preserve, tmp_path, header_encryption):
    seven = require_tool("7z", "Debian p7zip-full")
    (tmp_path / "secret.txt").write_text("secret\n")
    archive = tmp_path / "secret.7z"
    subprocess.run(
        [seven, "a", "-bd", "-psecret", f"-mhe={'on' if header_encryption else 'off'}", str(archive), "secret.txt"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    _refused(preserve, archive, "encrypted 7z archive (password protected)")


def _compressed(path: Path) -> Path:
    with py7zr.SevenZipFile(path, "w") as out:
        out.writestr(os.urandom(3000) + b"B" * 5000, "a.bin")
        out.writestr(b"fine\n", "fine.txt")
    return path


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_truncated_7z_is_refused(preserve, tmp_path, keep):
    archive = _compressed(tmp_path / "whole.7z")
    truncated = tmp_path / "truncated.7z"
    truncated.write_bytes(archive.read_bytes()[: int(archive.stat().st_size * keep)])
    _refused(preserve, truncated, "not a readable 7z file")


def test_a_7z_with_damaged_data_is_refused(preserve, tmp_path):
    raw = bytearray(_compressed(tmp_path / "whole.7z").read_bytes())
    raw[32 + 1000] ^= 0xFF  # inside the compressed stream: the headers are fine
    damaged = tmp_path / "damaged.7z"
    damaged.write_bytes(bytes(raw))
    _refused(preserve, damaged, "damaged 7z archive")


def test_a_7z_whose_stored_data_fails_its_crc_is_refused(preserve, tmp_path):
    archive = tmp_path / "stored.7z"
    with py7zr.SevenZipFile(archive, "w", filters=[{"id": py7zr.FILTER_COPY}]) as out:
        out.writestr(b"A" * 5000, "a.txt")
    raw = bytearray(archive.read_bytes())
    raw[32 + 100] ^= 0xFF  # stored, not compressed: only the CRC can tell
    archive.write_bytes(bytes(raw))
    _refused(preserve, archive, "damaged 7z archive", "CrcError")


def test_not_a_7z_at_all(preserve, tmp_path):
    fake = tmp_path / "fake.7z"
    fake.write_bytes(b"7z\xbc\xaf\x27\x1c but nothing after the magic number")
    _refused(preserve, fake, "not a readable 7z file")
