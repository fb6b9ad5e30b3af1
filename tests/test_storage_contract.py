"""One contract for every storage backend: local disk and a real S3-compatible server (SeaweedFS)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from preservation.errors import NotFound, StorageError
from storage.local import LocalStorage
from storage.ocfl import InventoryEntry, NewObject, ensure_storage_root, read_inventory, write_inventory
from storage.s3 import MIN_PART, S3Storage, part_size_for
from storage.seaweedfs import ACCESS_KEY


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStorage("disk", tmp_path / "root")
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    return S3Storage("cloud", server.client(), bucket, prefix="archive", endpoint=server.endpoint)


def test_round_trip_with_digests_computed_while_streaming(store):
    data = os.urandom(100_000)
    stored = store.put("a/b/c.bin", io.BytesIO(data), size=len(data), algorithms=("sha256", "sha512"))
    assert stored.digests == {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}
    with store.open("a/b/c.bin") as handle:
        assert handle.read() == data
    assert store.stat("a/b/c.bin").size == len(data)


def test_an_empty_object(store):
    stored = store.put("empty", io.BytesIO(b""), size=0)
    assert stored.size == 0 and stored.digests["sha256"] == hashlib.sha256(b"").hexdigest()
    with store.open("empty") as handle:
        assert handle.read() == b""


def test_large_objects_go_in_parts_and_come_back_whole(store):
    data = os.urandom(2 * MIN_PART + 12345)
    stored = store.put("big.bin", io.BytesIO(data), size=len(data), algorithms=("sha256", "sha512"))
    assert stored.size == len(data) and stored.digests["sha512"] == hashlib.sha512(data).hexdigest()
    with store.open("big.bin") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_list_is_ordered_and_prefixed_and_delete_removes(store):
    for key in ("x/2", "x/1", "y/1", "x/sub/3"):
        store.put(key, io.BytesIO(key.encode()))
    assert [o.key for o in store.list("x/")] == ["x/1", "x/2", "x/sub/3"]
    store.delete("x/1")
    assert [o.key for o in store.list("x/")] == ["x/2", "x/sub/3"]
    with pytest.raises(NotFound):
        store.open("x/1")
    with pytest.raises(NotFound):
        store.stat("x/1")
    store.delete("x/1")  # deleting a missing key is fine


def test_an_existing_key_is_never_silently_replaced_when_asked(store):
    store.put("keep.txt", io.BytesIO(b"original"))
    with pytest.raises(StorageError, match="already exists"):
        store.put("keep.txt", io.BytesIO(b"different"), overwrite=False)
    with store.open("keep.txt") as handle:
        assert handle.read() == b"original"


def test_a_short_stream_is_refused(store):
    with pytest.raises(StorageError, match="expected 10 bytes, received 3"):
        store.put("short", io.BytesIO(b"abc"), size=10)
    with pytest.raises(NotFound):
        store.stat("short")


@pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b"])
def test_unsafe_keys(store, key):
    with pytest.raises(StorageError, match="unsafe storage key"):
        store.put(key, io.BytesIO(b"x"))


def test_an_ocfl_object_written_through_the_interface(store, tmp_path):
    ensure_storage_root(store)
    obj = NewObject(store, "urn:example:contract")
    files = {"data/a.txt": b"alpha", "data/b.txt": b"beta"}
    for path, data in files.items():
        obj.put_file(path, io.BytesIO(data))
    inventory = tmp_path / "inventory.json"
    with inventory.open("wb") as out:
        write_inventory(
            out,
            "urn:example:contract",
            [
                InventoryEntry(hashlib.sha512(d).hexdigest(), (f"v1/content/{p}",), (p,))
                for p, d in sorted(files.items())
            ],
            created="2026-11-26T10:00:00Z",
            message="m",
            user_name="u",
            user_address="mailto:u@x.org",
        )
    obj.commit(inventory, files)
    assert read_inventory(store, obj.root)["head"] == "v1"


def test_part_sizes_keep_under_ten_thousand_parts():
    assert part_size_for(10) == MIN_PART
    for size in (5 * 1024**3, 100 * 1024**3, 5 * 1024**4):
        part = part_size_for(size)
        assert part % MIN_PART == 0 and -(-size // part) <= 9000


def test_s3_faults_are_clear(s3_server, s3_bucket):
    wrong = S3Storage("cloud", s3_server.client(ACCESS_KEY, "wrong-secret"), s3_bucket)
    with pytest.raises(StorageError, match="refused the credentials"):
        wrong.put("k", io.BytesIO(b"x"))
    missing = S3Storage("cloud", s3_server.client(), "no-such-bucket-here")
    with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist"):
        list(missing.list())
    from storage.seaweedfs import S3Server  # noqa: F401 - the type of the fixture

    down = S3Storage("cloud", _client("http://127.0.0.1:9"), s3_bucket)
    with pytest.raises(StorageError, match="cannot reach the server"):
        down.put("k", io.BytesIO(b"x"))


@pytest.mark.parametrize("size", [7, 9 * 1024 * 1024], ids=["single-put", "multipart"])
def test_the_server_refuses_bytes_changed_in_transit(s3_server, s3_bucket, size):
    client = s3_server.client()

    def flip_a_byte(request, **_):  # after signing: the checksum header is right, the bytes are not
        body = request.body if isinstance(request.body, bytes) else request.body.read()
        request.body = bytes([body[0] ^ 1]) + body[1:]

    client.meta.events.register("before-send.s3.PutObject", flip_a_byte)
    client.meta.events.register("before-send.s3.UploadPart", flip_a_byte)
    store = S3Storage("cloud", client, s3_bucket)
    with pytest.raises(StorageError, match="checksum refused"):
        store.put("k", io.BytesIO(b"p" * size), size=size)
    with pytest.raises(NotFound):
        store.stat("k")


def test_a_failed_multipart_upload_leaves_nothing(s3_server, s3_bucket, monkeypatch):
    store = S3Storage("cloud", s3_server.client(), s3_bucket)
    real = store.client.upload_part
    calls = {"n": 0}

    def fail_second(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionResetError("the server went away")
        return real(**kwargs)

    monkeypatch.setattr(store.client, "upload_part", fail_second)
    data = os.urandom(2 * MIN_PART + 1)
    with pytest.raises(StorageError):
        store.put("big", io.BytesIO(data), size=len(data))
    assert s3_server.client().list_multipart_uploads(Bucket=s3_bucket).get("Uploads", []) == []
    with pytest.raises(NotFound):
        store.stat("big")


def _client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
