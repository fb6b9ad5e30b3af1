"""`preserve storage list | add | status`."""

from __future__ import annotations

import tomllib

from storage.seaweedfs import ACCESS_KEY, SECRET_KEY


def test_list_add_and_status(preserve, collection, tmp_path, s3_server, s3_bucket, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert [(r["name"], r["replicated"]) for r in preserve.json("storage", "list")] == [("primary", True)]
    preserve.json("ingest", str(collection))

    added = preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second")).stdout
    assert "The 1 AIP(s) held already have no copy there yet: `preserve storage replicate second`" in added
    preserve(
        "storage",
        "add",
        "offsite",
        "--backend",
        "s3",
        "--endpoint",
        s3_server.endpoint,
        "--bucket",
        s3_bucket,
        "--prefix",
        "aips",
    )
    config = (preserve.home / "preserve.toml").read_text()
    assert "# preserve.toml" in config, "comments are kept"
    parsed = tomllib.loads(config)
    assert parsed["replication"]["locations"] == ["primary", "second", "offsite"]
    assert (tmp_path / "second" / "0=ocfl_1.1").exists()
    listed = preserve.json("storage", "list")
    assert [(r["name"], r["backend"]) for r in listed] == [("primary", "local"), ("second", "local"), ("offsite", "s3")]

    preserve.json("ingest", str(collection), "--title", "After adding")
    audited = preserve.json("audit", expect=1)  # every copy intact, but the first AIP is owed two
    assert not audited["found_damage"] and {m["location"] for m in audited["missing_copies"]} == {"second", "offsite"}
    status = {row["name"]: row for row in preserve.json("storage", "status", expect=1)}  # copies are owed
    assert status["primary"]["aips"] == 2 and status["second"]["aips"] == 1 and status["offsite"]["aips"] == 1
    assert [status[name]["missing_copies"] for name in ("primary", "second", "offsite")] == [0, 1, 1]
    assert all(row["reachable"] == "yes" for row in status.values())
    assert status["offsite"]["last_audit"] != ""
    said = preserve("storage", "status", expect=1).stdout
    assert "1 AIP(s) have no copy in second" in said and "`preserve storage replicate second`" in said
    doctor = preserve.json("doctor", expect=None)
    [owed] = [c for c in doctor["checks"] if c["check"] == "every AIP has a copy in offsite"]
    assert not owed["ok"] and "preserve storage replicate offsite" in owed["hint"]
    for name in ("second", "offsite"):
        preserve("storage", "replicate", name)
    assert all(row["missing_copies"] == 0 for row in preserve.json("storage", "status"))


def test_adding_a_bad_location_changes_nothing(preserve):
    before = (preserve.home / "preserve.toml").read_text()
    result = preserve(
        "storage", "add", "broken", "--backend", "s3", "--endpoint", "http://127.0.0.1:9", "--bucket", "b", expect=30
    )
    assert "cannot reach the server" in result.stderr
    assert (preserve.home / "preserve.toml").read_text() == before
    result = preserve("storage", "add", "primary", "--backend", "local", "--path", "x", expect=11)
    assert "exists already" in result.stderr


def test_status_reports_an_unreachable_location(preserve):
    config = preserve.home / "preserve.toml"
    config.write_text(
        config.read_text() + '\n[[storage]]\nname = "gone"\nbackend = "s3"\n'
        'endpoint = "http://127.0.0.1:9"\nbucket = "b"\n'
    )
    result = preserve("storage", "status", "--json", expect=1)
    assert "NO: " in result.stdout and "cannot reach" in result.stdout


def test_clean_uploads_removes_only_old_unfinished_writes(preserve, collection, s3_server, s3_bucket, monkeypatch):
    import os
    import time

    from tests.conftest import use_s3_credentials

    use_s3_credentials(monkeypatch)
    preserve(
        "storage",
        "add",
        "offsite",
        "--backend",
        "s3",
        "--endpoint",
        s3_server.endpoint,
        "--bucket",
        s3_bucket,
        "--prefix",
        "aips",
    )
    preserve.json("ingest", str(collection))
    client = s3_server.client()
    client.create_multipart_upload(Bucket=s3_bucket, Key="aips/abc/killed-mid-upload.tif")
    client.create_multipart_upload(Bucket=s3_bucket, Key="elsewhere/not-ours.tif")  # outside the location
    primary = preserve.home / "storage" / "primary"
    old = primary / "abc" / ".preserve-tmp-4242-scan.tif"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"half a file")
    os.utime(old, (time.time() - 3 * 3600,) * 2)
    young = primary / "abc" / ".preserve-tmp-4243-scan.tif"  # a write still running
    young.write_bytes(b"being written")

    dry = {row["location"]: row for row in preserve.json("storage", "clean-uploads", "--older-than", "0", "--dry-run")}
    assert [p.split(" (")[0] for p in dry["offsite"]["would_remove"]] == ["abc/killed-mid-upload.tif"]
    assert len(client.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]) == 2 and old.exists()

    done = {row["location"]: row for row in preserve.json("storage", "clean-uploads", "--older-than", "1")}
    assert done["primary"]["removed"] == ["abc/.preserve-tmp-4242-scan.tif"]
    assert not old.exists() and young.exists()
    assert done["offsite"]["removed"] == []  # started moments ago: could be a running ingest's
    preserve.json("storage", "clean-uploads", "offsite", "--older-than", "0")
    assert [u["Key"] for u in client.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]] == ["elsewhere/not-ours.tif"]
    assert preserve.json("audit")["ok"] is True


def test_an_audit_names_the_copies_a_location_added_later_is_owed(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second"))
    audited = preserve.json("audit", expect=1)  # the copy in primary is intact, but one is owed
    assert audited["found_damage"] is False and audited["ok"] is False
    assert audited["missing_copies"] == [{"aip_id": aip_id, "location": "second"}]
    said = preserve("audit", expect=1).stdout
    assert f"MISSING  {aip_id}" in said and "`preserve storage replicate second`" in said
    assert preserve.json("audit", "--location", "second", expect=1)["missing_copies"] != []
    preserve("storage", "replicate", "second")
    assert preserve.json("audit")["missing_copies"] == []
