"""Ingest with a pool of worker processes: same results, errors carried back whole, nothing left on failure."""

from __future__ import annotations

import json

import pytest
from ocfl.validator import Validator

from ingest.journal import Journal
from preservation.errors import TransferError
from tests.schemas import validate_mets
from tests.test_ingest_bad_input import assert_nothing_kept


@pytest.fixture
def many_files(tmp_path):
    root = tmp_path / "many"
    for i in range(150):
        folder = root / f"box-{i % 7}" / f"folder-{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"item-{i:03}.txt").write_text(f"item {i}\n" * (i + 1))
    (root / "box-0" / "duplicate-a.txt").write_text("same\n")
    (root / "box-1" / "duplicate-b.txt").write_text("same\n")
    return root


def test_pool_ingest_matches_the_source(preserve, many_files, monkeypatch, tmp_path):
    monkeypatch.setenv("PRESERVE_EXECUTOR_WORKERS", "2")
    summary = preserve.json("ingest", str(many_files))
    assert summary["counts"]["original"]["files"] == 152
    shown = preserve.json("aip", "show", summary["aip_id"])
    import hashlib

    for record in shown["files"]:
        source = many_files / record["original_name"].removeprefix("objects/")
        assert record["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert len({e["id"] for e in shown["events"]}) == len(shown["events"]), "event ids are unique"
    marker = next((preserve.home / "storage").rglob("0=ocfl_object_1.1"))
    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(marker.parent)), validator.status_str()
    mets = next(marker.parent.rglob("METS.*.xml"))
    assert validate_mets(mets) == []
    inventory = json.loads((marker.parent / "inventory.json").read_text())
    same = hashlib.sha512(b"same\n").hexdigest()
    assert inventory["versions"]["v1"]["state"][same] == [
        "data/objects/box-0/duplicate-a.txt",
        "data/objects/box-1/duplicate-b.txt",
    ]
    assert preserve.json("audit")["ok"] is True


def test_an_error_in_a_worker_reaches_the_archivist_whole(preserve, many_files, monkeypatch):
    monkeypatch.setenv("PRESERVE_EXECUTOR_WORKERS", "2")
    victim = many_files / "box-3" / "folder-0" / "item-045.txt"
    real_add = Journal.add_sources

    def add_then_someone_deletes(self, *args, **kwargs):
        result = real_add(self, *args, **kwargs)
        victim.unlink()
        return result

    monkeypatch.setattr(Journal, "add_sources", add_then_someone_deletes)
    result = preserve("ingest", str(many_files), expect=TransferError.exit_code)
    assert f"{victim}: disappeared during ingest" in result.stderr
    assert "Hint: Make sure nothing is writing to the transfer folder" in result.stderr
    monkeypatch.undo()
    assert_nothing_kept(preserve)
