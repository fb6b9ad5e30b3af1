"""BagIt validation of malformed bags of every kind, and what RFC 8493 allows; making bags."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from ingest.bags import create_bag, validate_bag
from preservation.errors import PackageError
from tests.conftest import tree_digest


def make(tmp_path: Path, files: dict[str, bytes] | None = None, name: str = "bag") -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for relative, data in (files or {"a.txt": b"alpha\n", "sub/b.txt": b"beta\n"}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(data)
    create_bag(folder, [("Source-Organization", "Test")])
    return folder


def errors(bag: Path, **options) -> list[str]:
    return validate_bag(bag, **options).errors


def rewrite_manifest(bag: Path, name: str, lines: list[str], newline: str = "\n") -> None:
    (bag / name).write_bytes(newline.join(lines).encode() + newline.encode())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_made_bag_is_valid_here_and_for_bagit_python(tmp_path):
    bag = make(tmp_path)
    report = validate_bag(bag, workers=2)
    assert report.valid and report.warnings == [] and report.payload_files == 2
    assert report.algorithms == ["sha256", "sha512"]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "bagit.py"), "--validate", str(bag)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_missing_or_malformed_bagit_txt(tmp_path):
    bag = make(tmp_path)
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbfBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    report = validate_bag(bag)
    assert any(w.startswith("bagit.txt: starts with a UTF-8 byte-order mark") for w in report.warnings)
    assert not any("byte-order mark" in e for e in report.errors)
    (bag / "bagit.txt").write_text("BagIt-Version 1.0\n")
    assert any("must be exactly" in e for e in errors(bag))
    (bag / "bagit.txt").unlink()
    assert "bagit.txt: missing (this is not a bag)" in errors(bag)


def test_a_fetch_txt_entry_not_in_the_manifests_is_an_error(tmp_path):
    bag = make(tmp_path)
    (bag / "fetch.txt").write_text("https://example.org/x 10 data/x\n")
    report = validate_bag(bag)
    assert report.state == "invalid" and report.incomplete == []
    assert (
        "fetch.txt: data/x is not in manifest-sha256.txt (every file to fetch must be in every payload "
        "manifest)" in report.errors
    )


def test_missing_extra_and_changed_files(tmp_path):
    bag = make(tmp_path)
    (bag / "data" / "a.txt").write_bytes(b"ALPHA\n")
    (bag / "data" / "sub" / "b.txt").unlink()
    (bag / "data" / "new.txt").write_bytes(b"new\n")
    found = errors(bag)
    assert "data/new.txt: not listed in any manifest" in found
    assert "data/sub/b.txt: in the manifest but missing from the bag" in found
    assert any(e.startswith("data/a.txt: sha256 checksum mismatch") for e in found)
    assert any(e.startswith("data/a.txt: sha512 checksum mismatch") for e in found)
    assert any(e.startswith("bag-info.txt: Payload-Oxum says") for e in found)
    assert errors(bag, fast=True) != []  # --fast still sees completeness problems
    assert not any("checksum" in e for e in errors(bag, fast=True))


def test_duplicate_and_conflicting_manifest_entries(tmp_path):
    bag = make(tmp_path)
    alpha = sha256(b"alpha\n")
    beta = sha256(b"beta\n")
    rewrite_manifest(
        bag,
        "manifest-sha256.txt",
        [f"{alpha}  data/a.txt", f"{alpha}  data/a.txt", f"{beta}  data/sub/b.txt", f"{alpha}  data/sub/b.txt"],
    )
    report = validate_bag(bag, fast=True)
    assert report.errors == [
        f"manifest-sha256.txt: data/sub/b.txt is listed twice with different checksums ({beta} and {alpha})"
    ]
    assert "manifest-sha256.txt: 1 path(s) listed more than once with the same checksum" in report.warnings


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "data/../../x", "data//x", "C:/x"])
def test_unsafe_manifest_paths_are_errors_and_never_opened(tmp_path, path):
    bag = make(tmp_path)
    lines = (bag / "manifest-sha256.txt").read_text().splitlines() + [f"{'0' * 64}  {path}"]
    rewrite_manifest(bag, "manifest-sha256.txt", lines)
    assert any("unsafe path" in e or "not under data/" in e for e in errors(bag))


def test_a_file_missing_from_one_manifest(tmp_path):
    bag = make(tmp_path)
    lines = [line for line in (bag / "manifest-sha512.txt").read_text().splitlines() if "a.txt" not in line]
    rewrite_manifest(bag, "manifest-sha512.txt", lines)
    assert "data/a.txt: not in manifest-sha512.txt (every manifest must list it)" in errors(bag)


def test_a_changed_tag_file_is_caught_by_the_tag_manifests(tmp_path):
    bag = make(tmp_path)
    with open(bag / "bag-info.txt", "a") as handle:
        handle.write("Contact-Name: Someone Else\n")
    assert any(e.startswith("bag-info.txt: sha256 checksum mismatch") for e in errors(bag))


def test_what_rfc_8493_allows_is_accepted(tmp_path):
    names = {"empty.txt": b"", "line\nbreak.txt": b"1\n", "carriage\rreturn.txt": b"2\n", "100% cotton.txt": b"3\n"}
    bag = make(tmp_path, names)
    manifest = (bag / "manifest-sha256.txt").read_text()
    assert "line%0Abreak.txt" in manifest and "100%25 cotton.txt" in manifest and "carriage%0Dreturn" in manifest
    assert validate_bag(bag).valid
    for name, newline in (("crlf", "\r\n"), ("cr", "\r")):
        other = make(tmp_path, {"a.txt": b"x\n"}, name=name)
        for tag in ("bagit.txt", "manifest-sha256.txt", "manifest-sha512.txt"):
            text = (other / tag).read_text().replace("\n", newline)
            (other / tag).write_bytes(text.encode())
        for algorithm in ("sha256", "sha512"):  # tag manifests follow the rewritten tag files
            lines = [
                f"{hashlib.new(algorithm, (other / t).read_bytes()).hexdigest()}  {t}"
                for t in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "manifest-sha512.txt")
            ]
            rewrite_manifest(other, f"tagmanifest-{algorithm}.txt", lines, newline)
        assert validate_bag(other).errors == [], name


def test_links_in_the_payload_are_errors(tmp_path):
    bag = make(tmp_path)
    (bag / "data" / "link.txt").symlink_to("/etc/hostname")
    assert "data/link.txt: is a symbolic link (not allowed in a bag)" in errors(bag)


def test_suspicious_but_valid_bags_get_warnings(tmp_path):
    decomposed = unicodedata.normalize("NFD", "café.txt")
    bag = make(tmp_path, {"café.txt": b"1\n", decomposed: b"2\n"} if decomposed != "café.txt" else {})
    report = validate_bag(bag)
    assert report.valid and any("Unicode-normalised" in w for w in report.warnings)
    (bag / "tagmanifest-sha512.txt").unlink()
    assert any(
        "tag manifests use sha256 but payload manifests use sha256, sha512" in w for w in validate_bag(bag).warnings
    )


def test_making_a_bag_that_fails_puts_everything_back(tmp_path, monkeypatch):
    folder = tmp_path / "records"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha\n")
    (folder / "sub" / "b.txt").write_text("beta\n")
    before = tree_digest(folder)

    def fail(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("ingest.bags.write_tag_files", fail)
    with pytest.raises(OSError):
        create_bag(folder, [])
    assert tree_digest(folder) == before
    assert sorted(os.listdir(folder)) == ["a.txt", "sub"]


def test_making_a_bag_of_a_bag_or_of_links_is_refused(tmp_path):
    bag = make(tmp_path)
    with pytest.raises(PackageError, match="is a bag already"):
        create_bag(bag, [])
    folder = tmp_path / "links"
    folder.mkdir()
    (folder / "l").symlink_to("/etc/hostname")
    with pytest.raises(PackageError, match="symbolic link"):
        create_bag(folder, [])


def test_the_commands(tmp_path):
    folder = tmp_path / "deposit"
    folder.mkdir()
    (folder / "a.txt").write_text("alpha\n")
    runner = CliRunner()
    made = runner.invoke(cli, ["bag", "create", str(folder), "--info", "Contact-Name: A. Depositor", "--json"])
    assert made.exit_code == 0 and json.loads(made.stdout)["valid"] is True
    assert "Contact-Name: A. Depositor" in (folder / "bag-info.txt").read_text()
    ok = runner.invoke(cli, ["bag", "validate", str(folder)])
    assert ok.exit_code == 0 and "valid" in ok.stdout
    (folder / "data" / "a.txt").write_text("changed\n")
    bad = runner.invoke(cli, ["bag", "validate", str(folder), "--json"])
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert report["valid"] is False and any("checksum mismatch" in e for e in report["errors"])
    wrong = runner.invoke(cli, ["bag", "create", str(folder), "--info", "no colon"])
    assert wrong.exit_code == 2


def test_workers_give_the_same_report(tmp_path):
    bag = make(tmp_path, {f"f{i}.txt": str(i).encode() for i in range(300)})
    (bag / "data" / "f7.txt").write_text("changed")
    assert validate_bag(bag, workers=1).errors == validate_bag(bag, workers=2).errors


def test_a_missing_path_or_a_plain_file_is_no_bag_and_says_so(tmp_path):
    from click.testing import CliRunner

    from cli.main import cli

    runner = CliRunner()
    missing = runner.invoke(cli, ["bag", "validate", str(tmp_path / "nosuch")])
    assert missing.exit_code == 13 and "no such file or folder" in missing.stderr  # not "INVALID": a typo
    plain = tmp_path / "notes.txt"
    plain.write_text("not a bag")
    refused = runner.invoke(cli, ["bag", "validate", str(plain)])
    assert refused.exit_code == 22 and "not a zip, tar or 7z archive" in refused.stderr
