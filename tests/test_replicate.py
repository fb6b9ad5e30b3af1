"""``preserve storage replicate``: existing AIPs copied to a location added later, verified and recorded."""

from __future__ import annotations

import shutil

from preservation.bag_validation import validate_bag
from storage.ocfl import object_root


def _add_local(preserve, name: str, path) -> None:
    preserve("storage", "add", name, "--backend", "local", "--path", str(path))


def test_existing_aips_are_copied_verified_and_then_audited(preserve, collection, tmp_path):
    first = preserve.json("ingest", str(collection))["aip_id"]
    _add_local(preserve, "second", tmp_path / "second")
    report = preserve.json("storage", "replicate", "second")
    assert (report["copied"], report["failed"]) == (1, 0)
    shown = preserve.json("aip", "show", first)
    assert sorted(r["location"] for r in shown["replicas"]) == ["primary", "second"]
    assert any(e["type"] == "replication" and "'second'" in e["detail"] for e in shown["events"])
    assert preserve.json("storage", "replicate", "second")["present"] == 1  # nothing copied twice

    # the new copy alone is enough: audit it and export from it with the original gone
    shutil.rmtree(preserve.home / "storage" / "primary")
    audit = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c["ok"] for c in audit["aips"][0]["copies"]}
    assert copies == {"primary": False, "second": True}
    out = tmp_path / "out"
    out.mkdir()
    assert validate_bag(__import__("pathlib").Path(preserve.json("aip", "export", first, str(out))["bag"])).valid
    assert list((tmp_path / "second" / "extensions" / "preserve-event-log").rglob("*.xml"))


def test_a_damaged_source_is_never_copied(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    root = preserve.home / "storage" / "primary" / object_root(f"urn:uuid:{aip}")
    victim = next(root.rglob("objects/documents/transcription-notes.txt"))
    victim.write_bytes(b"changed")
    _add_local(preserve, "second", tmp_path / "second")
    result = preserve("storage", "replicate", "second", expect=1)
    assert "failed" in result.output and victim.name in result.output
    assert not (tmp_path / "second" / object_root(f"urn:uuid:{aip}")).exists()
    replicas = preserve.json("aip", "show", aip)["replicas"]
    assert [r["location"] for r in replicas] == ["primary"]


def test_an_interrupted_copy_is_replaced_when_the_command_is_run_again(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    _add_local(preserve, "second", tmp_path / "second")
    leftover = tmp_path / "second" / object_root(f"urn:uuid:{aip}") / "v1" / "content" / "bagit.txt"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a copy")  # what a run killed mid-copy leaves: content, no inventory
    report = preserve.json("storage", "replicate", "second")
    assert (report["copied"], report["failed"]) == (1, 0)
    assert leftover.read_bytes() != b"half a copy"
    assert preserve.json("audit", "--aip", aip)["ok"] is True
