"""Bad input at ingest: a clear error naming the file, a non-zero exit, and nothing kept or changed."""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path

import pytest

import ingest.steps
import storage.local
from preservation.errors import StorageError, TransferError
from tests.conftest import tree_digest
from tests.schemas import validate_mets


def assert_nothing_kept(preserve, source: Path | None = None, before: dict | None = None) -> None:
    """No AIP registered, no staging left, no OCFL object in storage, and the source unchanged."""
    assert preserve.json("aip", "list") == []
    staging = preserve.home / "staging"
    assert not staging.exists() or list(staging.iterdir()) == []
    primary = preserve.home / "storage" / "primary"
    leftovers = [
        p
        for p in primary.rglob("*")
        if p.is_file()
        and p.name not in ("0=ocfl_1.1", "ocfl_layout.json")
        and p.parent.name != "0003-hash-and-id-n-tuple-storage-layout"
    ]
    assert leftovers == []
    if source is not None:
        assert tree_digest(source) == before


def test_path_that_does_not_exist(preserve, tmp_path):
    missing = tmp_path / "no-such-folder"
    result = preserve("ingest", str(missing), expect=TransferError.exit_code)
    assert f"{missing}: no such file or folder" in result.stderr
    assert "Hint: Check the path" in result.stderr  # every error has a hint (docs/errors.md)
    assert_nothing_kept(preserve)


def test_a_file_instead_of_a_folder(preserve, collection):
    target = collection / "documents" / "transcription-notes.txt"
    result = preserve("ingest", str(target), expect=TransferError.exit_code)
    assert "is not a folder or an archive of one" in result.stderr
    assert ".zip, .tar, .tar.gz or .7z" in result.stderr  # archives are taken too: the hint says so


def test_empty_folder(preserve, tmp_path):
    empty = tmp_path / "empty"
    (empty / "only" / "subfolders").mkdir(parents=True)
    result = preserve("ingest", str(empty), expect=TransferError.exit_code)
    assert f"{empty}: the folder holds no files to ingest" in result.stderr
    assert_nothing_kept(preserve)


def test_unreadable_file(preserve, collection, monkeypatch):
    victim = collection / "documents" / "transcription-notes.txt"
    before = tree_digest(collection)
    victim.chmod(0)
    if os.geteuid() == 0:  # root reads anything: make the open fail as it would for anyone else
        real_open = open

        def refusing_open(path, *args, **kwargs):
            if os.fspath(path) == str(victim):
                raise PermissionError(errno.EACCES, "Permission denied", str(victim))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr("builtins.open", refusing_open)
    result = preserve("ingest", str(collection), expect=TransferError.exit_code)
    victim.chmod(0o644)
    assert str(victim) in result.stderr and "cannot be read (Permission denied)" in result.stderr
    assert_nothing_kept(preserve, collection, before)


def test_file_name_that_is_not_utf8_is_sanitised_and_its_original_kept(preserve, collection):
    bad = os.fsencode(collection / "documents") + b"/minutes-caf\xe9\x01.txt"
    with open(bad, "wb") as handle:
        handle.write(b"Latin-1 named file\n")
    before = tree_digest(collection)
    aip = preserve.json("ingest", str(collection))["aip_id"]
    shown = preserve.json("aip", "show", aip)
    record = next(f for f in shown["files"] if "minutes-caf" in f["path"])
    assert record["path"] == "data/objects/documents/minutes-caf%E9%01.txt"
    assert record["original_name"] == "objects/documents/minutes-caf\\xE9\\x01.txt"
    change = next(e for e in shown["events"] if e["type"] == "filename change")
    assert change["file_id"] == record["id"] and "%XX" in change["detail"]
    assert tree_digest(collection) == before and os.path.exists(bad)
    mets = next((preserve.home / "storage").rglob("METS.*.xml"))
    assert validate_mets(mets) == []
    assert "minutes-caf\\xE9\\x01.txt" in mets.read_text(encoding="utf-8")


def test_symlink_pointing_outside_is_reported_not_followed(preserve, collection, tmp_path):
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("not part of the transfer\n")
    link = collection / "documents" / "shortcut.txt"
    link.symlink_to(secret)
    before = tree_digest(collection)
    result = preserve("ingest", str(collection), expect=TransferError.exit_code)
    assert f"{link}: is a symbolic link to {secret} (outside the transfer); links are not followed" in result.stderr
    assert_nothing_kept(preserve, collection, before)
    assert secret.read_text() == "not part of the transfer\n"


def test_a_link_inside_a_transfer_given_through_a_linked_folder_is_said_to_be_inside(preserve, collection, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(collection.parent)  # the transfer reached through a link, as /tmp often is
    (collection / "copy-of-minutes").symlink_to(next(p for p in collection.rglob("*") if p.is_file()))
    result = preserve("ingest", str(alias / collection.name), expect=TransferError.exit_code)
    assert "copy-of-minutes: is a symbolic link to" in result.stderr
    assert "(inside the transfer); links are not followed" in result.stderr


def test_every_problem_is_listed_at_once(preserve, collection, tmp_path):
    (collection / "link-a").symlink_to(tmp_path)
    os.mkfifo(collection / "a-pipe")
    result = preserve("ingest", str(collection), expect=TransferError.exit_code)
    assert "2 file(s) cannot be ingested" in result.stderr
    assert "a-pipe: is not a regular file" in result.stderr
    assert "link-a: is a symbolic link" in result.stderr


def test_a_refusal_asked_for_as_json_is_json_on_stdout(preserve, collection, tmp_path):
    (collection / "link-a").symlink_to(tmp_path)
    os.mkfifo(collection / "a-pipe")
    refusal = preserve.json("ingest", str(collection), expect=TransferError.exit_code)
    assert refusal["exit_code"] == TransferError.exit_code and "2 file(s) cannot be ingested" in refusal["error"]
    assert {p["path"] for p in refusal["problems"]} == {str(collection / "a-pipe"), str(collection / "link-a")}
    assert any("is not a regular file" in p["text"] for p in refusal["problems"]) and refusal["hint"]
    missing = preserve.json("aip", "show", "0123abcd", expect=13)
    assert missing["exit_code"] == 13 and "0123abcd" in missing["error"] and missing["problems"] == []


def test_renamed_empty_folders_are_listed_with_the_names_they_were_given(preserve, collection):
    os.mkdir(os.fsencode(collection / "documents") + b"/empty\xff")
    (collection / "Drafts").mkdir()
    (collection / "drafts").mkdir()
    summary = preserve.json("ingest", str(collection))
    renamed = {r["stored_as"]: r for r in summary["renamed"]}
    assert renamed["data/objects/documents/empty%FF"]["path"] == "documents/empty\\xFF"
    assert renamed["data/objects/drafts~2"] == {
        "path": "drafts",
        "stored_as": "data/objects/drafts~2",
        "name_taken": True,
    }
    assert set(summary["empty_folders"]) >= {
        "data/objects/documents/empty%FF",
        "data/objects/Drafts",
        "data/objects/drafts~2",
    }


def test_names_that_differ_only_in_case_are_both_kept(preserve, collection):
    """They would collide on case-insensitive storage: the later one in path order is numbered, with a warning."""
    (collection / "data" / "Burials-1890-1950.csv").write_text("name\n")
    summary = preserve.json("ingest", str(collection))
    assert summary["renamed"] == [
        {
            "path": "data/burials-1890-1950.csv",
            "stored_as": "data/objects/data/burials-1890-1950~2.csv",
            "name_taken": True,
        }
    ]
    assert any("data/burials-1890-1950.csv: its name is taken" in w for w in summary["warnings"])
    shown = preserve.json("aip", "show", summary["aip_id"])
    paths = {f["original_name"]: f["path"] for f in shown["files"]}
    assert paths["objects/data/Burials-1890-1950.csv"] == "data/objects/data/Burials-1890-1950.csv"
    renamed = next(f for f in shown["files"] if f["path"].endswith("~2.csv"))
    change = next(e for e in shown["events"] if e["type"] == "filename change" and e["file_id"] == renamed["id"])
    assert "~2" in change["detail"]


def test_file_that_changes_while_it_is_read(preserve, collection, monkeypatch):
    victim = collection / "audio" / "oral-history-interview.wav"
    real_open = ingest.steps._open_source

    def open_while_someone_writes(item):
        handle = real_open(item)
        if item.source == str(victim):
            with open(victim, "ab") as writer:
                writer.write(b"appended by another program")
        return handle

    monkeypatch.setattr(ingest.steps, "_open_source", open_while_someone_writes)
    result = preserve("ingest", str(collection), expect=TransferError.exit_code)
    assert f"{victim}: changed while it was being read" in result.stderr
    assert_nothing_kept(preserve)


def test_storage_write_fails_half_way(preserve, collection, monkeypatch):
    before = tree_digest(collection)
    real_hash = storage.local.hash_stream
    calls = {"n": 0}

    def disk_fills_up(stream, algorithms, *, sink=None, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:  # five files are already stored when the disk fills
            sink(stream.read(100))
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_hash(stream, algorithms, sink=sink, **kwargs)

    monkeypatch.setattr(storage.local, "hash_stream", disk_fills_up)
    result = preserve("ingest", str(collection), expect=StorageError.exit_code)
    assert "no space left on device" in result.stderr
    assert calls["n"] == 6
    monkeypatch.undo()
    assert_nothing_kept(preserve, collection, before)
    temp_files = [p for p in (preserve.home / "storage").rglob(f"{storage.local.TEMP_PREFIX}*")]
    assert temp_files == []


@pytest.mark.parametrize(
    ("module", "owner", "name"),
    [
        ("ingest.packaging", "Package", "store_mets"),
        ("ingest.packaging", "Package", "commit"),
        ("ingest.pipeline", None, "_register"),
    ],
)
def test_failure_in_a_late_step_leaves_nothing(preserve, collection, monkeypatch, module, owner, name):
    import importlib

    def boom(*_args, **_kwargs):
        raise StorageError("simulated failure")

    target = importlib.import_module(module)
    monkeypatch.setattr(getattr(target, owner) if owner else target, name, boom)
    preserve("ingest", str(collection), expect=StorageError.exit_code)
    monkeypatch.undo()
    assert_nothing_kept(preserve)
    # and the archive still works afterwards
    assert preserve.json("ingest", str(collection))["counts"]["original"]["files"] == 11


def test_every_refused_file_is_listed_however_many(preserve, tmp_path):
    transfer = tmp_path / "many"
    transfer.mkdir()
    (transfer / "kept.txt").write_text("a record")
    for number in range(64):
        os.mkfifo(transfer / f"pipe-{number:02}")
    result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
    assert "64 file(s) cannot be ingested" in result.stderr
    assert result.stderr.count("  - ") == 50  # the first 50 on the terminal …
    [listed] = re.findall(r"… and 14 more: every one is listed in (\S+)", result.stderr)
    lines = Path(listed).read_text().splitlines()  # … and every one in the file, in the archive's logs
    assert len(lines) == 64 and all("is not a regular file" in line for line in lines)
    assert Path(listed).parent == preserve.home / "logs"
    refused = json.loads(preserve("ingest", str(transfer), "--json", expect=TransferError.exit_code).stdout)
    assert len(refused["problems"]) == 64  # and all of them in --json
    assert_nothing_kept(preserve)
