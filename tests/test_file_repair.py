"""Repair file by file (on local disk and a real S3 server): damage spread over several copies is repaired
wherever any copy of each file is intact, and only a file with no intact copy anywhere is lost — named, kept as
it is, and restorable from outside with `preserve aip repair`."""

from __future__ import annotations

import hashlib
import io
import json

from ocfl.validator import Validator

from preservation.config import load_settings
from storage import Storage, open_location
from storage.ocfl import object_root
from tests.conftest import Preserve, use_s3_credentials

MINUTES = "data/objects/documents/transcription-notes.txt"
TOWER = "data/objects/photographs/church-tower.png"


def _archive(tmp_path, monkeypatch, s3_server, bucket: str, locations: list[str]) -> Preserve:
    """An archive whose AIPs are held in every one of ``locations`` ("local…" on disk, "s3…" in the bucket)."""
    use_s3_credentials(monkeypatch)
    blocks = []
    for n, name in enumerate(locations):
        purpose = "" if n == 0 else 'purpose = "replica"\n'
        where = (
            f'backend = "s3"\nendpoint = "{s3_server.endpoint}"\nbucket = "{bucket}"\nprefix = "{name}"'
            if name.startswith("s3")
            else f'backend = "local"\npath = "storage/{name}"'
        )
        blocks.append(f'[[storage]]\nname = "{name}"\n{purpose}{where}\n')
    home = tmp_path / "home"
    home.mkdir()
    (home / "preserve.toml").write_text("\n".join(blocks) + f"[replication]\nlocations = {json.dumps(locations)}\n")
    preserve = Preserve(home)
    preserve("init")
    return preserve


def _key(preserve: Preserve, aip_id: str, path: str) -> tuple[str, str]:
    """(object root, key under it) of a file of the AIP."""
    return object_root(f"urn:uuid:{aip_id}"), f"v1/content/{path}"


def _read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def _damage(storage: Storage, key: str) -> None:
    data = bytearray(_read(storage, key))
    data[len(data) // 2] ^= 0x20
    storage.put(key, io.BytesIO(bytes(data)), size=len(data))


def _stores(preserve: Preserve, *names: str) -> list[Storage]:
    settings = load_settings(preserve.home)
    return [open_location(settings.location(name)) for name in names]


def _snapshot(storage: Storage, root: str) -> dict[str, str]:
    return {o.key: hashlib.sha256(_read(storage, o.key)).hexdigest() for o in storage.list(root + "/")}


def test_two_files_repaired_and_one_lost_across_a_local_and_an_s3_copy(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    local, s3 = _stores(preserve, "local", "s3")
    root, notes = _key(preserve, aip_id, MINUTES)
    _, tower = _key(preserve, aip_id, TOWER)
    shown = preserve.json("aip", "show", aip_id)
    mets = shown["aip"]["mets_path"]
    good = _snapshot(local, root)
    stored_mets = _read(local, f"{root}/v1/content/{mets}")
    _damage(local, f"{root}/{notes}")  # damaged in the local copy only
    s3.delete(f"{root}/{tower}")  # deleted from the S3 copy only
    _damage(local, f"{root}/v1/content/{mets}")  # the METS: damaged in both
    _damage(s3, f"{root}/v1/content/{mets}")
    damaged_mets = {name: _read(store, f"{root}/v1/content/{mets}") for name, store in (("local", local), ("s3", s3))}

    report = preserve.json("audit", expect=1)
    [aip] = report["aips"]
    assert [f["path"] for f in aip["lost"]] == [mets]
    assert set(aip["lost"][0]["states"]) == {"local", "s3"}
    copies = {c["location"]: c for c in aip["copies"]}
    assert [r["path"] for r in copies["local"]["repaired"]] == [MINUTES]
    assert copies["local"]["repaired"][0]["from"] == "s3"
    assert [r["path"] for r in copies["s3"]["repaired"]] == [TOWER]
    assert copies["s3"]["repaired"][0]["from"] == "local"
    # the two repairable files are whole again in both copies; the lost one is kept exactly as each copy holds it
    for store in (local, s3):
        now = _snapshot(store, root)
        assert {k: v for k, v in now.items() if not k.endswith(mets)} == {
            k: v for k, v in good.items() if not k.endswith(mets)
        }
    assert {
        name: _read(store, f"{root}/v1/content/{mets}") for name, store in (("local", local), ("s3", s3))
    } == damaged_mets

    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["status"] == "damaged" and [f["path"] for f in shown["lost"]] == [mets]
    recovery = [e for e in shown["events"] if e["type"] == "recovery"]
    repaired = sorted(e["outcome_detail"].split("; ", 1)[1] for e in recovery if e["outcome"] == "success")
    assert repaired == ["source=local; target=s3", "source=s3; target=local"]
    [loss] = [e for e in recovery if e["outcome"] == "failure"]
    assert mets in loss["detail"] and "local: " in loss["outcome_detail"] and "s3: " in loss["outcome_detail"]
    assert sorted(e["outcome"] for e in recovery) == ["failure", "success", "success"]
    found_at = shown["lost"][0]["found_at"]
    text = preserve("audit", expect=1).stdout
    assert "NO intact copy left in any location (lost)" in text and mets in text
    assert preserve.json("aip", "show", aip_id)["lost"][0]["found_at"] == found_at  # when it was first found
    preserve("report", "fixity", expect=1)

    # restored from outside: a wrong file is refused and nothing written, the right one written where needed
    wrong = tmp_path / "wrong-mets.xml"
    wrong.write_bytes(damaged_mets["local"])
    refused = preserve("aip", "repair", aip_id, "--file", mets, "--from", str(wrong), expect=31)
    assert "is not the file recorded as" in refused.stderr and "Nothing was written" in refused.stderr
    assert _read(local, f"{root}/v1/content/{mets}") == damaged_mets["local"]
    right = tmp_path / "mets-from-backup.xml"
    right.write_bytes(stored_mets)  # the copy an operator kept in a backup
    done = preserve.json("aip", "repair", aip_id, "--file", mets, "--from", str(right))
    assert sorted(done["written"]) == ["local", "s3"] and done["ok"] is True and done["lost"] == []
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["status"] == "stored" and shown["lost"] == []
    assert preserve.json("audit")["ok"] is True
    assert _snapshot(local, root) == good


def test_damage_to_different_files_in_each_of_three_copies_is_all_repaired(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "second", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    stores = dict(zip(["local", "second", "s3"], _stores(preserve, "local", "second", "s3"), strict=True))
    root, _ = _key(preserve, aip_id, MINUTES)
    good = _snapshot(stores["local"], root)
    _damage(stores["local"], f"{root}/v1/content/{MINUTES}")
    stores["second"].delete(f"{root}/v1/content/{TOWER}")
    _damage(stores["s3"], f"{root}/v1/content/manifest-sha256.txt")

    report = preserve.json("audit")
    assert report["ok"] is True and report["aips"][0]["lost"] == []
    assert {c["location"]: c["status"] for c in report["aips"][0]["copies"]} == {
        "local": "repaired",
        "second": "repaired",
        "s3": "repaired",
    }
    for store in stores.values():
        assert _snapshot(store, root) == good
    assert preserve.json("audit")["ok"] is True
    obj = tmp_path / "home" / "storage" / "second" / root
    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(obj)), validator.status_str()


def test_a_damaged_inventory_in_one_copy_and_a_damaged_mets_in_another_are_both_repaired(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    local, s3 = _stores(preserve, "local", "s3")
    root, _ = _key(preserve, aip_id, MINUTES)
    mets = preserve.json("aip", "show", aip_id)["aip"]["mets_path"]
    good = _snapshot(local, root)
    _damage(local, f"{root}/inventory.json")
    _damage(s3, f"{root}/v1/content/{mets}")

    report = preserve.json("audit")
    assert report["ok"] is True and report["aips"][0]["lost"] == []
    assert _snapshot(local, root) == good and _snapshot(s3, root) == good
    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(tmp_path / "home" / "storage" / "local" / root)), validator.status_str()
    assert preserve.json("audit")["ok"] is True


def test_the_event_logs_beside_the_copies_are_audited_and_repaired_by_the_same_rule(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    assert preserve.json("audit")["ok"] is True  # a second event log document in both locations
    local, s3 = _stores(preserve, "local", "s3")
    prefix = f"extensions/preserve-event-log/{aip_id}/"
    documents = sorted(o.key for o in local.list(prefix))
    assert len(documents) >= 2 and documents == sorted(o.key for o in s3.list(prefix))
    before = {key: _read(local, key) for key in documents}
    _damage(local, documents[0])
    s3.delete(documents[1])

    found = preserve.json("audit", "--no-repair", expect=1)
    bad = {(c["location"], b["path"]) for c in found["aips"][0]["copies"] for b in c["bad"]}
    assert bad == {
        ("local", f"event log: {documents[0].rsplit('/', 1)[-1]}"),
        ("s3", f"event log: {documents[1].rsplit('/', 1)[-1]}"),
    }
    report = preserve.json("audit")
    assert report["ok"] is True and report["aips"][0]["lost"] == []
    for key, data in before.items():
        assert _read(local, key) == data and _read(s3, key) == data
    recovery = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "recovery"]
    assert sorted(e["outcome_detail"].split("; ", 1)[1] for e in recovery) == [
        "source=local; target=s3",
        "source=s3; target=local",
    ]
    assert preserve.json("audit")["ok"] is True


def test_a_malformed_old_document_and_stray_files_in_an_event_log_do_not_stop_the_audit(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    """An old-style (uuid-named) document no longer well formed in one of three copies is repaired from the
    other two; files that are not event log documents are moved to quarantine, not reported lost."""
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "second", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    stores = dict(zip(["local", "second", "s3"], _stores(preserve, "local", "second", "s3"), strict=True))
    prefix = f"extensions/preserve-event-log/{aip_id}/"
    document = _read(stores["local"], next(o.key for o in stores["local"].list(prefix)))
    old = f"{prefix}20261101T000000Z-6b1f0c55-1111-4222-8333-944455556666.xml"
    for store in stores.values():
        store.put(old, io.BytesIO(document), size=len(document))
    broken = document.replace(b"<premis:event", b"<<remis:event", 1)
    stores["second"].put(old, io.BytesIO(broken), size=len(broken))
    stores["local"].put(f"{prefix}notes.txt", io.BytesIO(b"junk"), size=4)
    stores["s3"].put(f"{prefix}other.xml", io.BytesIO(b"<a/>"), size=4)

    found = preserve.json("audit", "--no-repair", expect=1)
    bad = {
        (c["location"], b["path"], b["problem"].split(" (")[0]) for c in found["aips"][0]["copies"] for b in c["bad"]
    }
    assert bad == {
        ("second", f"event log: {old.rsplit('/', 1)[-1]}", "damaged: not well-formed XML"),
        ("local", "event log: notes.txt", "unexpected file"),
        ("s3", "event log: other.xml", "unexpected file"),
    }
    report = preserve.json("audit")
    assert report["ok"] is True and report["aips"][0]["lost"] == []
    assert _read(stores["second"], old) == document
    assert [o.key for o in stores["local"].list(prefix) if o.key.endswith("notes.txt")] == []
    kept = [o.key for o in stores["local"].list(f"extensions/preserve-quarantine/{aip_id}/")]
    assert len(kept) == 1 and kept[0].endswith(f"{prefix}notes.txt")
    assert preserve.json("audit")["ok"] is True


def test_a_metadata_only_pass_reads_a_damaged_copy_in_full_before_repairing_and_never_clears_damage(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    local, _ = _stores(preserve, "local", "s3")
    root, notes = _key(preserve, aip_id, MINUTES)
    good = _snapshot(local, root)
    _damage(local, f"{root}/{notes}")  # a flipped bit: invisible to a metadata-only pass
    preserve.json("audit", "--no-repair", expect=1)  # a full check finds it
    quiet = preserve.json("audit", "--metadata-only", "--no-repair")
    assert quiet["ok"] is True  # nothing this pass can see …
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "damaged"  # … but the damage stands
    tower = f"{root}/v1/content/{TOWER}"
    data = _read(local, tower)
    local.put(tower, io.BytesIO(data[: len(data) // 2]), size=len(data) // 2)  # a truncation it can see
    report = preserve.json("audit", "--metadata-only")
    [copy] = [c for c in report["aips"][0]["copies"] if c["location"] == "local"]
    assert copy["kind"] == "full" and copy["status"] == "repaired"
    assert sorted(r["path"] for r in copy["repaired"]) == sorted([MINUTES, TOWER])
    assert _snapshot(local, root) == good
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "stored"


def test_an_event_log_document_lost_everywhere_is_restored_from_outside(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    local, s3 = _stores(preserve, "local", "s3")
    key = next(o.key for o in local.list(f"extensions/preserve-event-log/{aip_id}/"))
    backup = tmp_path / key.rsplit("/", 1)[-1]
    backup.write_bytes(_read(local, key))
    _damage(local, key)
    s3.delete(key)
    [lost] = preserve.json("audit", expect=1)["aips"][0]["lost"]
    assert lost["path"] == f"event log: {backup.name}"

    wrong = tmp_path / "wrong.xml"
    wrong.write_bytes(backup.read_bytes().replace(b"premis", b"PREMIS", 1))
    preserve("aip", "repair", aip_id, "--file", lost["path"], "--from", str(wrong), expect=31)
    done = preserve.json("aip", "repair", aip_id, "--file", lost["path"], "--from", str(backup))
    assert sorted(done["written"]) == ["local", "s3"] and done["ok"] is True
    assert _read(local, key) == _read(s3, key) == backup.read_bytes()
    assert preserve.json("aip", "show", aip_id)["lost"] == []


def test_a_copy_whose_inventory_is_damaged_is_kept_by_a_rebuild_and_repaired_by_the_next_audit(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, ["local", "s3"])
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    local, s3 = _stores(preserve, "local", "s3")
    root, _ = _key(preserve, aip_id, MINUTES)
    good = _snapshot(local, root)
    _damage(s3, f"{root}/inventory.json")  # its sidecar no longer matches
    preserve.lose_catalogue()
    rebuilt = preserve.json("catalogue", "rebuild", expect=1)
    assert rebuilt["aips"] == 1 and any("registered as a damaged copy" in p for p in rebuilt["problems"])
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["status"] == "damaged"
    assert {r["location"]: r["status"] for r in shown["replicas"]} == {"local": "ok", "s3": "damaged"}
    report = preserve.json("audit")
    assert report["ok"] is True and _snapshot(s3, root) == good
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "stored"
