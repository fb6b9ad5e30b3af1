"""The object store dies in the middle of an ingest: the ingest fails clearly and registers nothing."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import cli
from storage import seaweedfs
from storage.s3 import S3Storage
from tests.conftest import Preserve, use_s3_credentials


def test_an_ingest_fails_cleanly_when_the_server_dies_mid_upload(tmp_path, monkeypatch, collection):
    server = seaweedfs.start(tmp_path / "seaweedfs")  # our own server: this test kills it
    try:
        server.client().create_bucket(Bucket="doomed")
        use_s3_credentials(monkeypatch)
        home = tmp_path / "home"
        home.mkdir()
        (home / "preserve.toml").write_text(f"""
[[storage]]
name = "offsite"
backend = "s3"
endpoint = "{server.endpoint}"
bucket = "doomed"
[[storage]]
name = "primary"
backend = "local"
path = "storage/primary"
[replication]
locations = ["offsite", "primary"]
""")
        assert CliRunner().invoke(cli, ["--home", str(home), "init"]).exit_code == 0
        preserve = Preserve(home)

        real_put, calls = S3Storage.put, []

        def put_then_die(self, key, stream, **kwargs):
            calls.append(key)
            if sum("/content/data/objects/" in k for k in calls) == 3:  # a few files in, the server crashes
                server.process.kill()
                server.process.wait()
            return real_put(self, key, stream, **kwargs)

        monkeypatch.setattr(S3Storage, "put", put_then_die)
        result = preserve("ingest", str(collection), expect=None)
        assert result.exit_code != 0
        assert "offsite" in result.output and "cannot reach" in result.output
        assert preserve.json("aip", "list") == []
        primary = home / "storage" / "primary"
        assert not [p for p in primary.rglob("*") if "urn%3auuid%3a" in str(p)]  # the local copy was removed
        assert sum("/content/data/objects/" in k for k in calls) >= 3  # it died mid-ingest, not at the start
    finally:
        server.stop()
