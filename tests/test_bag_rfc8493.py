"""Bags other tools write, as RFC 8493 and BagIt 0.93-0.97 allow them: encodings, versions, fetch.txt.

Each bag is made by bagit-python (``make_bag``) where it can make the case, otherwise written byte
for byte as bagit-java and the older BagIt drafts write it (tests/bag_fixtures.py). Everything goes
through ``preserve bag validate`` and its exit code: 0 valid, 1 invalid, 2 incomplete.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests.bag_fixtures import (
    bagit_python_accepts,
    bagit_python_bag,
    declare,
    digest,
    hand_bag,
    write_manifest,
    write_tag_manifests,
)

NAMES = {"Zoë's café.txt": b"caf\xc3\xa9\n", "naïve/Ñandú.txt": b"bird\n", "plain.txt": b"plain\n"}
INFO = [("Source-Organization", "Archivo Histórico de Málaga"), ("Contact-Name", "Zoë Núñez")]


def validate(bag: Path, *options: str, expect: int) -> dict:
    """Run ``preserve bag validate --json`` and check its exit code; the parsed report."""
    result = CliRunner().invoke(cli, ["bag", "validate", str(bag), "--json", *options], catch_exceptions=False)
    assert result.exit_code == expect, result.stdout
    return json.loads(result.stdout)


def text_of(bag: Path, *options: str, expect: int) -> str:
    """Run ``preserve bag validate`` for people and check its exit code; what it printed."""
    result = CliRunner().invoke(cli, ["bag", "validate", str(bag), *options], catch_exceptions=False)
    assert result.exit_code == expect, result.stdout
    return result.stdout


@pytest.mark.parametrize("encoding", ["ISO-8859-1", "UTF-16"])
@pytest.mark.parametrize("version", ["0.97", "1.0"])
def test_tag_files_in_the_declared_encoding_from_bagit_python(tmp_path, encoding, version):
    bag = bagit_python_bag(tmp_path / "bag", NAMES, encoding=encoding.lower())
    declare(bag, version, encoding, info=INFO)
    raw = (bag / "manifest-sha256.txt").read_bytes()
    assert "Zoë's café".encode("utf-16-le" if encoding == "UTF-16" else "latin-1") in raw
    assert b"Zo\xc3\xab" not in raw  # not UTF-8
    if version == "0.97":
        assert bagit_python_accepts(bag)
    report = validate(bag, expect=0)
    assert report["state"] == "valid" and report["errors"] == [] and report["incomplete"] == []
    assert report["encoding"] == encoding and report["version"] == version and report["payload_files"] == 3
    (bag / "data" / "Zoë's café.txt").write_bytes(b"tampered\n")
    tampered = validate(bag, expect=1)
    assert any(e.startswith("data/Zoë's café.txt: sha256 checksum mismatch") for e in tampered["errors"])


def test_bag_info_values_are_read_in_the_declared_encoding(tmp_path):
    from preservation.bag_validation import validate_bag

    bag = hand_bag(tmp_path / "latin", "0.96", NAMES, encoding="ISO-8859-1", info=INFO)
    assert "Zoë Núñez".encode("latin-1") in (bag / "bag-info.txt").read_bytes()
    report = validate_bag(bag)
    assert report.valid and ("Contact-Name", "Zoë Núñez") in report.info
    utf16 = hand_bag(tmp_path / "utf16", "0.96", NAMES, encoding="UTF-16", info=INFO)
    assert (utf16 / "bag-info.txt").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert ("Source-Organization", "Archivo Histórico de Málaga") in validate_bag(utf16).info


def test_a_tag_file_not_in_the_declared_encoding_is_an_error_naming_it(tmp_path):
    bag = bagit_python_bag(tmp_path / "bag", NAMES, encoding="iso-8859-1")  # Latin-1 manifest, UTF-8 declared
    assert b"Encoding: UTF-8" in (bag / "bagit.txt").read_bytes()
    report = validate(bag, "--fast", expect=1)
    assert "manifest-sha256.txt: not valid UTF-8 as bagit.txt declares (byte 73)" in report["errors"]


def test_an_unknown_encoding_or_version_is_an_error_naming_it(tmp_path):
    bag = hand_bag(tmp_path / "bag", "1.0", {"a.txt": b"a\n"})
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: KLINGON-8\n")
    assert "bagit.txt: unknown Tag-File-Character-Encoding 'KLINGON-8'" in validate(bag, expect=1)["errors"]
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 0.92\nTag-File-Character-Encoding: UTF-8\n")
    assert any(e.startswith("bagit.txt: BagIt-Version '0.92' is not one") for e in validate(bag, expect=1)["errors"])


@pytest.mark.parametrize("version", ["0.93", "0.94", "0.95", "0.96", "0.97", "1.0"])
def test_every_bagit_version_as_its_writers_wrote_it(tmp_path, version):
    files = {**NAMES, "100%25 literal.txt" if version < "0.97" else "100% cotton.txt": b"pct\n"}
    bag = hand_bag(tmp_path / "bag", version, files, info=INFO)
    info_file = "package-info.txt" if version < "0.96" else "bag-info.txt"
    assert (bag / info_file).is_file() and (version < "0.96") == (not (bag / "bag-info.txt").exists())
    if version != "1.0":  # bagit-python reads 0.93-0.97 (and '%25' literally: its issue 157)
        assert bagit_python_accepts(bag) == (version != "0.97")
    report = validate(bag, expect=0)
    assert report["version"] == version and report["payload_files"] == 4
    assert report["warnings"] == ["only weak checksum algorithms (md5)"]
    (bag / "data" / "plain.txt").write_bytes(b"changed\n")
    assert "data/plain.txt: md5 checksum mismatch" in " ".join(validate(bag, expect=1)["errors"])


def test_older_versions_do_not_percent_decode(tmp_path):
    bag = hand_bag(tmp_path / "bag", "0.96", {"a%0Ab.txt": b"x\n"})
    assert "data/a%0Ab.txt" in (bag / "manifest-md5.txt").read_text()
    validate(bag, expect=0)
    (bag / "bagit.txt").write_bytes(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    write_tag_manifests(bag, ("md5",), "UTF-8")
    errors = validate(bag, expect=1)["errors"]
    assert "data/a\nb.txt: in the manifest but missing from the bag" in errors


def test_bagit_python_0_97_percent_sign_written_literally_is_matched_with_a_warning(tmp_path):
    bag = bagit_python_bag(tmp_path / "bag", {"a%25b.txt": b"x\n"})
    assert "data/a%25b.txt" in (bag / "manifest-sha256.txt").read_text()
    report = validate(bag, expect=0)
    assert any("not percent-encoded as '%25'" in w for w in report["warnings"])


def test_dot_slash_manifest_paths_are_accepted_with_a_warning(tmp_path):
    bag = hand_bag(tmp_path / "bag", "0.97", NAMES, algorithms=("sha256",), prefix="./")
    assert (bag / "manifest-sha256.txt").read_text().splitlines()[0].split("  ")[1].startswith("./data/")
    report = validate(bag, expect=0)
    assert report["warnings"] == ["manifest-sha256.txt: 3 path(s) written with './' segments (read without them)"]
    (bag / "data" / "plain.txt").write_bytes(b"changed\n")
    assert any(e.startswith("data/plain.txt: sha256 checksum mismatch") for e in validate(bag, expect=1)["errors"])


def test_tag_files_in_a_payload_manifest_are_verified_with_a_warning(tmp_path):
    bag = hand_bag(tmp_path / "bag", "0.96", NAMES, tag_manifest=False)
    lines = [line.split("  ", 1) for line in (bag / "manifest-md5.txt").read_text().splitlines()]
    tags = [(digest("md5", (bag / name).read_bytes()), name) for name in ("bag-info.txt", "bagit.txt")]
    write_manifest(bag, "manifest-md5.txt", tags + [(c, p) for c, p in lines], "UTF-8")
    report = validate(bag, expect=0)
    assert any(
        w.startswith("payload manifests also list 2 tag file(s) outside data/ (bag-info.txt, bagit.txt)")
        for w in report["warnings"]
    )
    assert report["payload_files"] == 3
    (bag / "bag-info.txt").write_bytes((bag / "bag-info.txt").read_bytes() + b"Contact-Name: X\n")
    assert any(e.startswith("bag-info.txt: md5 checksum mismatch") for e in validate(bag, expect=1)["errors"])


def fetch_bag(tmp_path: Path, lines: list[str], missing: tuple[str, ...] = ()) -> Path:
    """A bagit-python bag with a fetch.txt of ``lines``; ``missing`` payload files are then taken away."""
    bag = bagit_python_bag(tmp_path / "bag", {**NAMES, "big/scan 1.tif": b"tiff" * 100})
    (bag / "fetch.txt").write_bytes("".join(line + "\n" for line in lines).encode())
    for relative in missing:
        (bag / relative).unlink()
    write_tag_manifests(bag, ("sha256",), "UTF-8")
    return bag


def test_fetch_txt_with_a_file_not_present_is_incomplete_and_lists_it(tmp_path):
    bag = fetch_bag(
        tmp_path,
        ["https://example.org/scan1.tif 400 data/big/scan 1.tif", "https://example.org/plain.txt - data/plain.txt"],
        missing=("data/big/scan 1.tif",),
    )
    report = validate(bag, expect=2)
    assert report["state"] == "incomplete" and report["valid"] is False and report["errors"] == []
    assert report["incomplete"] == ["data/big/scan 1.tif"]
    printed = text_of(bag, expect=2)
    assert "not present (listed in fetch.txt): data/big/scan 1.tif" in printed and "INCOMPLETE (1 file(s)" in printed
    (bag / "data" / "plain.txt").write_bytes(b"changed\n")  # an error as well: invalid, not incomplete
    worse = validate(bag, expect=1)
    assert worse["state"] == "invalid" and worse["incomplete"] == ["data/big/scan 1.tif"]


def test_the_reason_an_incomplete_bag_is_refused(tmp_path):
    from preservation.bag_validation import validate_bag

    lines = ["https://example.org/1 400 data/big/scan 1.tif", "https://example.org/2 - data/plain.txt"]
    bag = fetch_bag(tmp_path, lines, missing=("data/big/scan 1.tif", "data/plain.txt"))
    report = validate_bag(bag)
    assert report.state == "incomplete" and not report.valid
    assert report.incomplete_reason == (
        "the bag is incomplete: 2 file(s) listed in fetch.txt are not present: data/big/scan 1.tif, data/plain.txt"
    )


def test_fetch_txt_with_every_file_present_is_valid(tmp_path):
    bag = fetch_bag(tmp_path, ["https://example.org/scan1.tif 400 data/big/scan 1.tif"])
    report = validate(bag, expect=0)
    assert report["state"] == "valid" and report["incomplete"] == [] and report["warnings"] == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("https://example.org/x data/plain.txt", "not 'URL LENGTH FILENAME'"),
        ("example.org/x 6 data/plain.txt", "is not an absolute URL"),
        ("https://example.org/x six data/plain.txt", "length 'six' is neither a number of bytes nor '-'"),
        ("https://example.org/x 6 ../../etc/passwd", "unsafe path '../../etc/passwd'"),
        ("https://example.org/x 6 bag-info.txt", "'bag-info.txt' is not under data/"),
    ],
)
def test_a_malformed_fetch_txt_line_makes_the_bag_invalid(tmp_path, line, problem):
    bag = fetch_bag(tmp_path, ["https://example.org/scan1.tif 400 data/big/scan 1.tif", line])
    report = validate(bag, expect=1)
    assert report["state"] == "invalid"
    assert any(e.startswith("fetch.txt line 2: ") and problem in e for e in report["errors"]), report["errors"]


def test_repeated_entries_warn_and_conflicting_ones_are_errors(tmp_path):
    bag = hand_bag(tmp_path / "bag", "1.0", NAMES, algorithms=("sha256",))
    text = (bag / "manifest-sha256.txt").read_text()
    first = text.splitlines()[0]
    (bag / "manifest-sha256.txt").write_text(text + first + "\n")
    write_tag_manifests(bag, ("sha256",), "UTF-8")
    report = validate(bag, expect=0)
    assert "manifest-sha256.txt: 1 path(s) listed more than once with the same checksum" in report["warnings"]
    checksum, path = first.split("  ", 1)
    (bag / "manifest-sha256.txt").write_text(text + f"{'0' * 64}  {path}\n")
    write_tag_manifests(bag, ("sha256",), "UTF-8")
    errors = validate(bag, expect=1)["errors"]
    assert f"manifest-sha256.txt: {path} is listed twice with different checksums ({checksum} and {'0' * 64})" in errors


def test_case_and_normalisation_twins_and_system_files_warn(tmp_path):
    nfd = unicodedata.normalize("NFD", "café.txt")
    files = {
        "Report.txt": b"1\n",
        "report.txt": b"2\n",
        "café.txt": b"3\n",
        nfd: b"4\n",
        ".DS_Store": b"\0\0\0\1Bud1",
        "sub/Thumbs.db": b"x",
        "sub/._photo.jpg": b"y",
    }
    bag = bagit_python_bag(tmp_path / "bag", files)
    report = validate(bag, expect=0)
    warnings = report["warnings"]
    assert (
        "names that are the same once Unicode-normalised or case-folded: data/Report.txt | data/report.txt" in warnings
    )
    assert any(w.startswith("names that are the same") and "data/café.txt" in w and nfd in w for w in warnings)
    assert (
        "operating-system files in the payload (3): data/.DS_Store, data/sub/._photo.jpg, data/sub/Thumbs.db"
        in warnings
    )
    assert report["payload_files"] == 7


def test_a_manifest_name_in_nfc_matches_the_same_name_in_nfd_on_disk(tmp_path):
    nfd = unicodedata.normalize("NFD", "Ñandú.txt")
    bag = bagit_python_bag(tmp_path / "bag", {nfd: b"bird\n"})  # as a Mac writes it
    text = (bag / "manifest-sha256.txt").read_text()
    (bag / "manifest-sha256.txt").write_text(unicodedata.normalize("NFC", text))  # as the manifest was written
    write_tag_manifests(bag, ("sha256",), "UTF-8")
    report = validate(bag, expect=0)
    assert any("listed in one Unicode normalisation, on disk in another" in w for w in report["warnings"])
    (bag / "data" / nfd).write_bytes(b"changed\n")
    assert any("sha256 checksum mismatch" in e for e in validate(bag, expect=1)["errors"])


def test_bagit_txt_encoding_rules_by_version(tmp_path):
    bag = hand_bag(tmp_path / "old", "0.96", NAMES, encoding="UTF-16", info=INFO)
    (bag / "bagit.txt").write_bytes("BagIt-Version: 0.96\nTag-File-Character-Encoding: UTF-16\n".encode("utf-16"))
    write_tag_manifests(bag, ("md5",), "UTF-16")
    assert validate(bag, expect=0)["errors"] == []  # before 1.0, bagit.txt may be in the declared encoding
    (bag / "bagit.txt").write_bytes("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-16\n".encode("utf-16"))
    write_tag_manifests(bag, ("md5",), "UTF-16")
    assert "bagit.txt: not UTF-8, which RFC 8493 requires of it" in validate(bag, expect=1)["errors"]
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-16\n")
    write_tag_manifests(bag, ("md5",), "UTF-16")
    report = validate(bag, expect=0)
    assert "bagit.txt: starts with a UTF-8 byte-order mark, which RFC 8493 forbids (ignored)" in report["warnings"]


def test_a_tampered_payload_file_is_named(tmp_path):
    bag = bagit_python_bag(tmp_path / "bag", NAMES, checksums=("sha256", "sha512"))
    (bag / "data" / "naïve" / "Ñandú.txt").write_bytes(b"bIrd\n")
    printed = text_of(bag, expect=1)
    assert "error: data/naïve/Ñandú.txt: sha256 checksum mismatch" in printed
    assert "error: data/naïve/Ñandú.txt: sha512 checksum mismatch" in printed
    assert "INVALID (2 problem(s))" in printed


def test_an_incomplete_bag_is_refused_by_ingest(tmp_path):
    from ingest.transfers import open_transfer
    from preservation.errors import TransferError

    bag = fetch_bag(tmp_path, ["https://example.org/1 400 data/big/scan 1.tif"], missing=("data/big/scan 1.tif",))
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(TransferError):
        open_transfer(bag, staging)
