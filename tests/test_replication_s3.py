"""Ingest into a local location and an S3 location at once; audit both; export from either."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from preservation.bag_validation import validate_bag
from tests.conftest import Preserve, use_s3_credentials


@pytest.fixture
def two_locations(tmp_path, s3_server, s3_bucket, monkeypatch):
    use_s3_credentials(monkeypatch)
    home = tmp_path / "home"
    home.mkdir()
    (home / "preserve.toml").write_text(f"""
[archive]
name = "Test Archive"
[[storage]]
name = "primary"
backend = "local"
path = "storage/primary"
[[storage]]
name = "offsite"
backend = "s3"
endpoint = "{s3_server.endpoint}"
bucket = "{s3_bucket}"
prefix = "aips"
purpose = "replica"
[replication]
locations = ["primary", "offsite"]
""")
    assert CliRunner().invoke(cli, ["--home", str(home), "init"]).exit_code == 0
    return Preserve(home)


def test_every_copy_is_written_verified_audited_and_exportable(
    two_locations, collection, s3_server, s3_bucket, tmp_path
):
    preserve = two_locations
    summary = preserve.json("ingest", str(collection))
    assert summary["locations"] == ["primary", "offsite"]
    shown = preserve.json("aip", "show", summary["aip_id"])
    assert [(r["location"], r["status"]) for r in shown["replicas"]] == [("offsite", "ok"), ("primary", "ok")]
    copies_made = [e for e in shown["events"] if e["type"] == "replication"]
    assert sorted("'offsite'" in e["detail"] or "'primary'" in e["detail"] for e in copies_made) == [True, True]
    keys = [
        o["Key"]
        for page in s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=s3_bucket)
        for o in page.get("Contents", [])
    ]
    assert any(k.endswith("/inventory.json") for k in keys) and all(k.startswith("aips/") for k in keys)
    assert preserve.json("audit")["ok"] is True

    victim = next(k for k in keys if k.endswith("transcription-notes.txt"))
    s3_server.client().delete_object(Bucket=s3_bucket, Key=victim)
    report = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c for c in report["aips"][0]["copies"]}
    assert copies["primary"]["ok"] is True
    assert [b["problem"] for b in copies["offsite"]["bad"]] == ["missing"]

    out = tmp_path / "out"
    out.mkdir()
    exported = Path(preserve.json("aip", "export", summary["aip_id"], str(out))["bag"])
    assert validate_bag(exported).valid  # from the intact local copy


def test_an_unreachable_location_fails_the_ingest_cleanly(two_locations, collection, s3_server, s3_bucket):
    preserve = two_locations
    config = preserve.home / "preserve.toml"
    config.write_text(config.read_text().replace(s3_server.endpoint, "http://127.0.0.1:9"))
    result = preserve("ingest", str(collection), expect=30)
    assert "cannot reach the server" in result.stderr
    assert preserve.json("aip", "list") == []
    primary = preserve.home / "storage" / "primary"
    assert not list(primary.rglob("0=ocfl_object_1.1"))
