"""The local storage backend and the OCFL object layout on it."""

from __future__ import annotations

import errno
import hashlib
import io
import json

import pytest
from ocfl.validator import Validator

import storage.local
from preservation.errors import NotFound, PackageError, StorageError
from storage.local import LocalStorage
from storage.ocfl import InventoryEntry, NewObject, ensure_storage_root, object_root, read_inventory, write_inventory


@pytest.fixture
def store(tmp_path):
    return LocalStorage("test", tmp_path / "root")


def test_put_returns_digests_computed_while_streaming(store):
    data = b"x" * 3_000_000
    stored = store.put("a/b/c.bin", io.BytesIO(data), size=len(data), algorithms=("sha256", "sha512"))
    assert stored.size == len(data)
    assert stored.digests == {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}
    with store.open("a/b/c.bin") as handle:
        assert handle.read() == data
    assert store.stat("a/b/c.bin").size == len(data)


def test_list_delete_and_missing_keys(store):
    for key in ("x/1", "x/2", "y/1"):
        store.put(key, io.BytesIO(key.encode()))
    assert [o.key for o in store.list("x/")] == ["x/1", "x/2"]
    assert [o.key for o in store.list()] == ["x/1", "x/2", "y/1"]
    store.delete("x/1")
    store.delete("x/2")
    assert not (store.root / "x").exists(), "empty folders are pruned"
    store.delete("x/1")  # deleting twice is fine
    with pytest.raises(NotFound):
        store.open("x/1")
    with pytest.raises(NotFound):
        store.stat("x/1")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a/./b", "a\\b"])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(StorageError, match="unsafe storage key"):
        store.put(key, io.BytesIO(b"x"))


def test_short_stream_is_refused_and_nothing_is_left(store):
    with pytest.raises(StorageError, match="expected 10 bytes, received 3"):
        store.put("k", io.BytesIO(b"abc"), size=10)
    assert list(store.root.rglob("*")) == []


def test_disk_full_leaves_no_partial_file(store, monkeypatch):
    store.put("k", io.BytesIO(b"old"))

    def fail(stream, algorithms, *, sink=None, **_):
        sink(b"par")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.local, "hash_stream", fail)
    with pytest.raises(StorageError, match="cannot write k: no space left on device"):
        store.put("k", io.BytesIO(b"new content"))
    assert (store.root / "k").read_bytes() == b"old", "the previous version survives a failed overwrite"
    assert sorted(p.name for p in store.root.iterdir()) == ["k"]


def test_object_root_follows_layout_0003():
    root = object_root("urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
    digest = hashlib.sha256(b"urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0").hexdigest()
    assert root == f"{digest[:3]}/{digest[3:6]}/{digest[6:9]}/urn%3auuid%3a0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    long_root = object_root("x" * 150)
    assert long_root.endswith("x" * 100 + "-" + hashlib.sha256(b"x" * 150).hexdigest())


def _write_object(store, tmp_path, files: dict[str, bytes]):
    ensure_storage_root(store)
    obj = NewObject(store, "urn:example:1")
    by_digest: dict[str, list[str]] = {}
    for path, data in files.items():
        obj.put_file(path, io.BytesIO(data))
        by_digest.setdefault(hashlib.sha512(data).hexdigest(), []).append(path)
    inventory = tmp_path / "inventory.json"
    with inventory.open("wb") as out:
        write_inventory(
            out,
            "urn:example:1",
            [InventoryEntry(d, tuple(f"v1/content/{p}" for p in ps), tuple(ps)) for d, ps in sorted(by_digest.items())],
            created="2026-11-26T10:00:00Z",
            message="test",
            user_name="A. Archivist",
            user_address="mailto:archivist@example.org",
        )
    obj.commit(inventory, files)
    return obj


def test_written_object_is_valid_ocfl(store, tmp_path):
    obj = _write_object(store, tmp_path, {"a.txt": b"one", "dir/b.txt": b"two", "dir/same.txt": b"one"})
    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(store.root / obj.root)), validator.status_str()
    inventory = read_inventory(store, obj.root)
    assert json.dumps(inventory)  # parses
    assert inventory["versions"]["v1"]["state"][hashlib.sha512(b"one").hexdigest()] == ["a.txt", "dir/same.txt"]


def test_existing_object_is_not_overwritten(store, tmp_path):
    _write_object(store, tmp_path, {"a.txt": b"one"})
    with pytest.raises(StorageError, match="already exists"):
        NewObject(store, "urn:example:1")


def test_tampered_inventory_is_detected(store, tmp_path):
    obj = _write_object(store, tmp_path, {"a.txt": b"one"})
    path = store.root / obj.root / "inventory.json"
    path.write_text(path.read_text().replace('"test"', '"edited"'))
    with pytest.raises(PackageError, match="does not match its .sha512 sidecar"):
        read_inventory(store, obj.root)


def test_abort_removes_everything_written(store, tmp_path):
    ensure_storage_root(store)
    obj = NewObject(store, "urn:example:2")
    obj.put_file("a.txt", io.BytesIO(b"one"))
    obj.abort()
    assert not (store.root / obj.root.split("/")[0]).exists()
