"""Fault injection: damage one copy (on local disk or on a real S3 server) and see it found and repaired
from the other; damage every copy and see it reported and left exactly as it was."""

from __future__ import annotations

import io
import json

import pytest

from preservation.config import load_settings
from storage import Storage, open_location
from storage.ocfl import object_root
from tests.conftest import Preserve, use_s3_credentials

NOTES = "v1/content/data/objects/documents/transcription-notes.txt"
TOWER = "v1/content/data/objects/photographs/church-tower.png"


def _archive(tmp_path, monkeypatch, request, backend: str) -> Preserve:
    if backend == "s3":
        s3_server = request.getfixturevalue("s3_server")
        bucket = request.getfixturevalue("s3_bucket")
        use_s3_credentials(monkeypatch)
        second = f'backend = "s3"\nendpoint = "{s3_server.endpoint}"\nbucket = "{bucket}"\nprefix = "copies"'
    else:
        second = 'backend = "local"\npath = "storage/second"'
    home = tmp_path / "home"
    home.mkdir()
    (home / "preserve.toml").write_text(f"""
[[storage]]
name = "primary"
backend = "local"
path = "storage/primary"
[[storage]]
name = "second"
purpose = "replica"
{second}
[replication]
locations = ["primary", "second"]
""")
    preserve = Preserve(home)
    preserve("init")
    return preserve


def _put(storage: Storage, key: str, data: bytes) -> None:
    storage.put(key, io.BytesIO(data), size=len(data))


def _read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def _inject(fault: str, storage: Storage, root: str) -> tuple[str, str]:
    """Damage the copy at ``root``; return the path audit should name and the start of its problem."""
    keys = [o.key[len(root) + 1 :] for o in storage.list(root + "/")]
    if fault == "flip":
        data = bytearray(_read(storage, f"{root}/{NOTES}"))
        data[7] ^= 0x04
        _put(storage, f"{root}/{NOTES}", bytes(data))
        return "data/objects/documents/transcription-notes.txt", "checksum mismatch"
    if fault == "truncate":
        data = _read(storage, f"{root}/{TOWER}")
        _put(storage, f"{root}/{TOWER}", data[: len(data) // 2])
        return "data/objects/photographs/church-tower.png", "size"
    if fault == "delete":
        storage.delete(f"{root}/{TOWER}")
        return "data/objects/photographs/church-tower.png", "missing"
    if fault == "mets":
        key = next(k for k in keys if "/data/metadata/METS." in k)
        _put(storage, f"{root}/{key}", _read(storage, f"{root}/{key}").replace(b"transcription", b"transcript1on"))
        return key.removeprefix("v1/content/"), "checksum mismatch"
    if fault == "tagmanifest":
        key = "v1/content/manifest-sha256.txt"
        _put(storage, f"{root}/{key}", _read(storage, f"{root}/{key}") + b"0" * 64 + b"  data/smuggled.txt\n")
        return "manifest-sha256.txt", "checksum mismatch"
    if fault == "inventory":
        inventory = json.loads(_read(storage, f"{root}/inventory.json"))
        inventory["versions"]["v1"]["message"] = "history rewritten"
        data = json.dumps(inventory).encode()
        import hashlib

        _put(storage, f"{root}/inventory.json", data)  # with a matching sidecar: only the catalogue can tell
        _put(storage, f"{root}/inventory.json.sha512", f"{hashlib.sha512(data).hexdigest()}  inventory.json\n".encode())
        return "inventory.json", "changed since the copy was verified"
    if fault == "stray":
        _put(storage, f"{root}/v1/content/data/objects/invoice.pdf.exe", b"MZ not ours")
        return "v1/content/data/objects/invoice.pdf.exe", "unexpected file"
    if fault == "replica":
        for key in keys:
            storage.delete(f"{root}/{key}")
        return "(whole copy)", "missing"
    raise AssertionError(fault)


def _snapshot(storage: Storage, root: str) -> dict[str, bytes]:
    return {o.key: _read(storage, o.key) for o in storage.list(root + "/")}


FAULTS = ["flip", "truncate", "delete", "mets", "tagmanifest", "inventory", "stray", "replica"]


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_damaged_copy_is_found_and_repaired_from_the_good_one(
    tmp_path, monkeypatch, request, collection, backend, fault
):
    preserve = _archive(tmp_path, monkeypatch, request, backend)
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    settings = load_settings(preserve.home)
    primary, second = (open_location(settings.location(n)) for n in ("primary", "second"))
    root = object_root(f"urn:uuid:{aip_id}")
    original = _snapshot(primary, root)
    path, problem = _inject(fault, second, root)

    found = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c for c in found["aips"][0]["copies"]}
    assert copies["primary"]["ok"] is True
    assert [(b["path"], b["problem"][: len(problem)]) for b in copies["second"]["bad"]] == [(path, problem)]
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "damaged"

    repaired = preserve.json("audit")
    copies = {c["location"]: c for c in repaired["aips"][0]["copies"]}
    assert copies["second"]["status"] == "repaired"
    assert copies["second"]["repaired_from"] == ("" if fault == "stray" else "primary")  # a stray is only moved
    assert _snapshot(second, root) == original  # byte for byte what the good copy holds
    if fault == "stray":
        assert copies["second"]["quarantined"] == [path]
        kept = [o.key for o in second.list(f"extensions/preserve-quarantine/{aip_id}/")]
        assert len(kept) == 1 and kept[0].endswith(f"{root}/{path}")
    assert preserve.json("audit")["ok"] is True
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["status"] == "stored"
    recovery = [e for e in shown["events"] if e["type"] == "recovery"]
    rewritten = copies["second"]["rewritten"]
    assert len(recovery) == len(rewritten) and (rewritten == []) == (fault == "stray")
    for event in recovery:  # one per file re-written: where from, where to, the digest it verified
        assert (
            event["outcome"] == "success"
            and "in location 'second' re-written from the copy in 'primary'" in event["detail"]
            and event["outcome_detail"].startswith("sha512:")
        )
    if fault in ("flip", "truncate", "delete"):
        [event] = recovery
        assert event["file_id"] == next(f["id"] for f in shown["files"] if f["path"] == path)


@pytest.mark.parametrize("backend", ["local", "s3"])
@pytest.mark.parametrize("fault", ["flip", "mets", "replica"])
def test_with_no_good_copy_everything_is_kept_and_reported(tmp_path, monkeypatch, request, collection, backend, fault):
    preserve = _archive(tmp_path, monkeypatch, request, backend)
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    settings = load_settings(preserve.home)
    root = object_root(f"urn:uuid:{aip_id}")
    stores = [open_location(settings.location(n)) for n in ("primary", "second")]
    for storage in stores:
        _inject(fault, storage, root)
    before = [_snapshot(storage, root) for storage in stores]

    result = preserve("audit", expect=1)
    assert "NO intact copy left" in result.stdout and aip_id in result.stderr
    report = preserve.json("audit", expect=1)
    assert report["aips"][0]["no_good_copy"] is True
    assert all(c["status"] == "damaged" and c["rewritten"] == [] for c in report["aips"][0]["copies"])
    assert [_snapshot(storage, root) for storage in stores] == before
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "damaged"
