"""The event log repaired document by document: every location holding an AIP holds the same self-verifying
documents; a damaged or missing one is found and re-written from a location whose copy verifies (local disk, a
real S3 server, an Object Lock bucket); a document with no intact copy is reported lost and left as it is;
documents named the old way (a uuid) are judged by the majority rule; a rebuild reads both kinds once."""

from __future__ import annotations

import hashlib
import io
import uuid
from types import SimpleNamespace

import pytest

from preservation.agents import software_agent
from preservation.config import load_settings
from preservation.errors import StorageError
from preservation.identifiers import new_uuid, timestamp
from preservation.model import Event
from stewardship.event_log import (
    SELF_VERIFYING,
    event_log_prefix,
    named_digest,
    render_event_log,
    write_event_log,
    write_event_log_everywhere,
)
from stewardship.event_log_audit import MISSING, audit_event_log, repair_event_log
from storage import Storage, open_location
from storage.local import LocalStorage
from tests.conftest import Preserve, use_s3_credentials


def _second(request, monkeypatch, backend: str) -> str:
    """The settings of the second location: local, a bucket on the test S3 server, or one with Object Lock."""
    if backend == "local":
        return 'backend = "local"\npath = "storage/second"'
    server = request.getfixturevalue("s3_server")
    use_s3_credentials(monkeypatch)
    if backend == "s3":
        return (
            f'backend = "s3"\nendpoint = "{server.endpoint}"\nbucket = "{request.getfixturevalue("s3_bucket")}"\n'
            'prefix = "copies"'
        )
    bucket = f"locked-{uuid.uuid4().hex[:8]}"
    server.client().create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    return f'backend = "s3"\nendpoint = "{server.endpoint}"\nbucket = "{bucket}"\nobject_lock_days = 1'


def _archive(tmp_path, monkeypatch, request, backend: str) -> Preserve:
    """An archive keeping every AIP in a local location and a second one."""
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
{_second(request, monkeypatch, backend)}
[replication]
locations = ["primary", "second"]
""")
    preserve = Preserve(home)
    preserve("init")
    return preserve


def _stores(preserve: Preserve, *names: str) -> dict[str, Storage]:
    settings = load_settings(preserve.home)
    return {name: open_location(settings.location(name)) for name in names}


def _read(storage: Storage, key: str) -> bytes:
    with storage.open(key) as handle:
        return handle.read()


def _put(storage: Storage, key: str, data: bytes) -> None:
    storage.put(key, io.BytesIO(data), size=len(data))


def _log(storage: Storage, aip_id: str) -> dict[str, bytes]:
    return {o.key: _read(storage, o.key) for o in storage.list(event_log_prefix(aip_id))}


def _flip(data: bytes, at: int) -> bytes:
    damaged = bytearray(data)
    damaged[at] ^= 0x01
    return bytes(damaged)


def _ingest_with_decisions(preserve: Preserve, collection, decisions: int) -> str:
    """Ingest, then decide access ``decisions`` times: one event log document each."""
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    for n in range(decisions):
        preserve.json("access", "set", aip_id, "--restricted", "--reason", f"Depositor's agreement, clause {n}")
    return aip_id


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_every_location_holds_the_same_self_verifying_documents(tmp_path, monkeypatch, request, collection, backend):
    preserve = _archive(tmp_path, monkeypatch, request, backend)
    aip_id = _ingest_with_decisions(preserve, collection, 1)
    assert preserve.json("audit")["ok"] is True  # a batch written location by location gets one key too
    preserve("storage", "add", "third", "--backend", "local", "--path", str(tmp_path / "third"))
    assert preserve.json("storage", "replicate", "third")["copied"] == 1
    stores = _stores(preserve, "primary", "second", "third")
    logs = {name: _log(storage, aip_id) for name, storage in stores.items()}
    assert logs["primary"] == logs["second"] == logs["third"]  # ingest, decision, audit, replication
    assert len(logs["primary"]) == 4
    for key, data in logs["primary"].items():
        assert SELF_VERIFYING.fullmatch(key.rsplit("/", 1)[1])
        assert named_digest(key) == hashlib.sha256(data).hexdigest()
    audit = audit_event_log(stores, aip_id)
    assert audit.ok and audit.problems == {"primary": [], "second": [], "third": []}


@pytest.mark.parametrize("backend", ["local", "s3", "s3-locked"])
def test_damaged_and_missing_documents_are_found_and_repaired(tmp_path, monkeypatch, request, collection, backend):
    preserve = _archive(tmp_path, monkeypatch, request, backend)
    aip_id = _ingest_with_decisions(preserve, collection, 2)
    stores = _stores(preserve, "primary", "second")
    primary, second = stores["primary"], stores["second"]
    original = _log(primary, aip_id)
    assert _log(second, aip_id) == original
    damaged, gone_here, gone_there = sorted(original)
    _put(second, damaged, _flip(original[damaged], len(original[damaged]) // 2))
    primary.delete(gone_here)
    if backend == "s3-locked":  # a delete marker hides the locked version; nothing is removed
        s3 = request.getfixturevalue("s3_server").client()
        s3.delete_object(Bucket=second.bucket, Key=gone_there)
    else:
        second.delete(gone_there)

    audit = audit_event_log(stores, aip_id)
    assert not audit.ok
    found = {name: [(p.key, p.problem.split(":")[0]) for p in problems] for name, problems in audit.problems.items()}
    assert found == {"primary": [(gone_here, MISSING)], "second": [(damaged, "damaged"), (gone_there, MISSING)]}
    assert "its name says" in audit.problems["second"][0].problem

    result = repair_event_log(stores, aip_id, audit)
    assert (result.lost, result.failed) == ([], [])
    assert sorted((r.key, r.source, r.target) for r in result.repaired) == sorted(
        [(damaged, "primary", "second"), (gone_here, "second", "primary"), (gone_there, "primary", "second")]
    )
    assert all(r.sha256 == named_digest(r.key) for r in result.repaired)
    assert _log(primary, aip_id) == _log(second, aip_id) == original  # byte for byte
    assert audit_event_log(stores, aip_id).ok

    if backend == "s3-locked":  # the repair wrote new versions; every older one is still there
        answer = s3.list_object_versions(Bucket=second.bucket, Prefix=event_log_prefix(aip_id))
        versions = {key: [v for v in answer["Versions"] if v["Key"] == key] for key in (damaged, gone_there)}
        assert len(versions[damaged]) == 3 and len(versions[gone_there]) == 2
        latest = {r.key: r.version_id for r in result.repaired if r.target == "second"}
        for key, kept in versions.items():
            assert next(v for v in kept if v["IsLatest"])["VersionId"] == latest[key]
            # the version ingest wrote is still there (LastModified has whole seconds, so not told apart by date)
            bodies = [
                s3.get_object(Bucket=second.bucket, Key=key, VersionId=v["VersionId"])["Body"].read()
                for v in kept
                if not v["IsLatest"]
            ]
            assert original[key] in bodies
        assert [m["Key"] for m in answer.get("DeleteMarkers", [])] == [gone_there]


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_a_document_damaged_everywhere_is_reported_lost_and_left_as_it_is(
    tmp_path, monkeypatch, request, collection, backend
):
    preserve = _archive(tmp_path, monkeypatch, request, backend)
    aip_id = _ingest_with_decisions(preserve, collection, 1)
    stores = _stores(preserve, "primary", "second")
    victim = sorted(_log(stores["primary"], aip_id))[1]
    data = _read(stores["primary"], victim)
    _put(stores["primary"], victim, _flip(data, 100))
    _put(stores["second"], victim, data[:-20])
    before = {name: _log(storage, aip_id) for name, storage in stores.items()}

    audit = audit_event_log(stores, aip_id)
    assert [[p.key for p in problems] for problems in audit.problems.values()] == [[victim], [victim]]
    result = repair_event_log(stores, aip_id, audit)
    assert (result.repaired, result.failed) == ([], [])
    assert [(lost.key, [name for name, _ in lost.states]) for lost in result.lost] == [(victim, ["primary", "second"])]
    assert all(problem.startswith("damaged: its content has changed (SHA-256") for _, problem in result.lost[0].states)
    assert {name: _log(storage, aip_id) for name, storage in stores.items()} == before


def _three_stores(tmp_path, monkeypatch, request) -> dict[str, Storage]:
    """Three locations, the middle one a bucket on the test S3 server."""
    server = request.getfixturevalue("s3_server")
    use_s3_credentials(monkeypatch)
    bucket = SimpleNamespace(
        name="b",
        backend="s3",
        path=None,
        endpoint=server.endpoint,
        bucket=request.getfixturevalue("s3_bucket"),
        prefix="",
    )
    return {"a": LocalStorage("a", tmp_path / "a"), "b": open_location(bucket), "c": LocalStorage("c", tmp_path / "c")}


def test_old_style_documents_are_judged_by_the_majority_rule(tmp_path, monkeypatch, request):
    stores = _three_stores(tmp_path, monkeypatch, request)
    aip_id, agent = new_uuid(), software_agent()
    event = Event(new_uuid(), aip_id, "metadata modification", timestamp(), "success", "a note", "", "", (agent.id,))
    new = write_event_log_everywhere(stores, aip_id, [event], [agent])["a"].key  # one self-verifying document
    twin = _read(stores["a"], new)
    base = render_event_log(
        aip_id, [Event(new_uuid(), aip_id, "metadata modification", timestamp(), "success")], [agent]
    )

    def variant(n: int) -> bytes:  # still a well-formed PREMIS document, but other bytes
        return base.replace(b"</premis:premis>", f"<!-- {n} --></premis:premis>".encode())

    majority, broken, alone, tie, twinned, foreign = (
        f"{event_log_prefix(aip_id)}20240101T12000{i}000000Z-{uuid.uuid4()}.xml" for i in range(6)
    )
    written = {
        majority: {"a": base, "b": base, "c": variant(1)},  # two against one: c is damaged
        broken: {"a": base, "b": base[: len(base) // 2]},  # b does not parse: a's is the only (so the majority)
        alone: {"c": base},  # written to one location only, as old documents were: missing nowhere else
        tie: {"a": base, "b": variant(2)},  # one against one: nothing decides
        twinned: {"a": twin, "b": variant(3)},  # a's bytes are those of an intact new-style document
        foreign: {"c": b"<?xml version='1.0'?><notes/>"},  # XML, but not PREMIS: damaged, and no other copy
    }
    for key, copies in written.items():
        for name, data in copies.items():
            _put(stores[name], key, data)
    before = {name: _log(storage, aip_id) for name, storage in stores.items()}

    audit = audit_event_log(stores, aip_id)
    found = {name: {p.key: p.problem for p in problems} for name, problems in audit.problems.items()}
    assert {name: sorted(problems) for name, problems in found.items()} == {
        "a": [tie],
        "b": sorted([broken, tie, twinned]),
        "c": sorted([majority, foreign]),
    }
    assert found["c"][majority] == "damaged: differs from the intact copy in a, b"
    assert found["b"][broken].startswith("damaged: not well-formed XML")
    assert found["b"][twinned] == "damaged: differs from the intact copy in a"
    assert found["a"][tie].startswith("disputed: differs from the copy in b")
    assert found["c"][foreign] == "damaged: not a PREMIS document (root notes)"

    result = repair_event_log(stores, aip_id, audit)
    assert sorted((r.key, r.source, r.target) for r in result.repaired) == sorted(
        [(majority, "a", "c"), (broken, "a", "b"), (twinned, "a", "b")]
    )
    assert sorted(lost.key for lost in result.lost) == sorted([tie, foreign])
    after = {name: _log(storage, aip_id) for name, storage in stores.items()}
    assert after["c"][majority] == after["b"][broken] == base and after["b"][twinned] == twin
    for name, key in (("a", tie), ("b", tie), ("c", foreign), ("c", alone)):
        assert after[name][key] == before[name][key]  # left exactly as they were
    assert new in after["a"] and new in after["b"] and new in after["c"]
    again = audit_event_log(stores, aip_id)
    assert {name: sorted(p.key for p in problems) for name, problems in again.problems.items()} == {
        "a": [tie],
        "b": [tie],
        "c": [foreign],
    }


class _Unwritable(LocalStorage):
    """A location that refuses every write."""

    def put(self, key, stream, **kwargs):
        raise StorageError(f"{self.name}: read-only")


def test_one_batch_is_one_document_and_a_failing_location_does_not_stop_the_others(tmp_path):
    aip_id, agent = new_uuid(), software_agent()
    event = Event(new_uuid(), aip_id, "metadata modification", timestamp(), "success", "a note")
    good, other, bad = (LocalStorage(n, tmp_path / n) for n in ("good", "other", "bad"))
    bad = _Unwritable("bad", tmp_path / "bad")
    results = write_event_log_everywhere({"good": good, "bad": bad, "other": other}, aip_id, [event], [agent])
    assert isinstance(results["bad"], StorageError)
    assert results["good"].key == results["other"].key
    assert _read(good, results["good"].key) == _read(other, results["other"].key)
    assert write_event_log(LocalStorage("one", tmp_path / "one"), aip_id, [event], [agent]).key == results["good"].key
    refused = write_event_log_everywhere({"good": good, "bad": bad}, aip_id, [event, event], [agent], first="bad")
    assert list(refused) == ["bad"]  # the location that must hold it failed: nothing else is written
    assert len(list(good.list(event_log_prefix(aip_id)))) == 1


def test_a_rebuild_reads_both_kinds_of_document_once(tmp_path, monkeypatch, request, collection):
    preserve = _archive(tmp_path, monkeypatch, request, "local")
    aip_id = _ingest_with_decisions(preserve, collection, 1)
    agent = software_agent()
    old = Event(new_uuid(), aip_id, "metadata modification", timestamp(), "success", "written the old way")
    data = render_event_log(aip_id, [old], [agent])
    key = f"{event_log_prefix(aip_id)}20240101T120000000000Z-{uuid.uuid4()}.xml"  # in one location only
    _put(_stores(preserve, "primary")["primary"], key, data)
    before = [e["id"] for e in preserve.json("aip", "show", aip_id)["events"]]
    preserve.lose_catalogue()
    report = preserve.json("catalogue", "rebuild")
    events = [e["id"] for e in preserve.json("aip", "show", aip_id)["events"]]
    assert len(events) == len(set(events)) == report["events"] == len(before) + 1
    assert set(events) == {*before, old.id}
    assert preserve.json("access", "show", aip_id)["aip_access"]["status"] == "restricted"
