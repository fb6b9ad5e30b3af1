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

    preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second"))
    preserve("storage", "add", "offsite", "--backend", "s3", "--endpoint", s3_server.endpoint,
             "--bucket", s3_bucket, "--prefix", "aips")
    config = (preserve.home / "preserve.toml").read_text()
    assert "# preserve.toml" in config, "comments are kept"
    parsed = tomllib.loads(config)
    assert parsed["replication"]["locations"] == ["primary", "second", "offsite"]
    assert (tmp_path / "second" / "0=ocfl_1.1").exists()
    listed = preserve.json("storage", "list")
    assert [(r["name"], r["backend"]) for r in listed] == [("primary", "local"), ("second", "local"),
                                                          ("offsite", "s3")]

    preserve.json("ingest", str(collection), "--title", "After adding")
    preserve.json("audit")
    status = {row["name"]: row for row in preserve.json("storage", "status")}
    assert status["primary"]["aips"] == 2 and status["second"]["aips"] == 1 and status["offsite"]["aips"] == 1
    assert all(row["reachable"] == "yes" for row in status.values())
    assert status["offsite"]["last_audit"] != ""


def test_adding_a_bad_location_changes_nothing(preserve):
    before = (preserve.home / "preserve.toml").read_text()
    result = preserve("storage", "add", "broken", "--backend", "s3", "--endpoint", "http://127.0.0.1:9",
                      "--bucket", "b", expect=30)
    assert "cannot reach the server" in result.stderr
    assert (preserve.home / "preserve.toml").read_text() == before
    result = preserve("storage", "add", "primary", "--backend", "local", "--path", "x", expect=11)
    assert "exists already" in result.stderr


def test_status_reports_an_unreachable_location(preserve):
    config = preserve.home / "preserve.toml"
    config.write_text(config.read_text() + '\n[[storage]]\nname = "gone"\nbackend = "s3"\n'
                      'endpoint = "http://127.0.0.1:9"\nbucket = "b"\n')
    result = preserve("storage", "status", "--json", expect=1)
    assert "NO: " in result.stdout and "cannot reach" in result.stdout
