"""S3 locations with Object Lock: every stored AIP object version carries retention the server enforces."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from cli.main import cli
from preservation.errors import CatalogueError
from tests.conftest import Preserve, use_s3_credentials


def _archive(tmp_path, monkeypatch, s3_server, bucket: str, extra: str = "") -> Preserve:
    use_s3_credentials(monkeypatch)
    home = tmp_path / "home"
    home.mkdir()
    (home / "preserve.toml").write_text(f"""
[[storage]]
name = "primary"
backend = "local"
path = "storage/primary"
[[storage]]
name = "vault"
backend = "s3"
endpoint = "{s3_server.endpoint}"
bucket = "{bucket}"
purpose = "replica"
{extra}
[replication]
locations = ["primary", "vault"]
""")
    result = CliRunner().invoke(cli, ["--home", str(home), "init"])
    assert result.exit_code == 0, result.output
    return Preserve(home)


@pytest.fixture
def locked_bucket(s3_server) -> str:
    name = f"locked-{uuid.uuid4().hex[:8]}"
    s3_server.client().create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def test_every_object_version_is_retained_and_cannot_be_deleted(
    tmp_path, monkeypatch, s3_server, locked_bucket, collection
):
    preserve = _archive(
        tmp_path,
        monkeypatch,
        s3_server,
        locked_bucket,
        'object_lock_days = 2\nobject_lock_mode = "GOVERNANCE"\nserver_side_encryption = "AES256"',
    )
    preserve.json("ingest", str(collection))
    client = s3_server.client()
    versions = [
        v
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if "urn%3auuid%3a" in v["Key"] or "preserve-event-log" in v["Key"]
    ]  # not the storage root's own
    assert any(v["Key"].endswith("/inventory.json") for v in versions)
    assert any("preserve-event-log" in v["Key"] for v in versions)
    for version in versions:
        retention = client.get_object_retention(
            Bucket=locked_bucket, Key=version["Key"], VersionId=version["VersionId"]
        )["Retention"]
        assert retention["Mode"] == "GOVERNANCE"
        assert client.head_object(Bucket=locked_bucket, Key=version["Key"])["ServerSideEncryption"] == "AES256"

    victim = next(v for v in versions if v["Key"].endswith("transcription-notes.txt"))
    with pytest.raises(Exception, match="AccessDenied"):
        client.delete_object(Bucket=locked_bucket, Key=victim["Key"], VersionId=victim["VersionId"])

    client.delete_object(Bucket=locked_bucket, Key=victim["Key"])  # only hides it behind a delete marker
    report = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c for c in report["aips"][0]["copies"]}
    assert copies["primary"]["ok"] is True
    assert [(b["path"], b["problem"].split(":")[0]) for b in copies["vault"]["bad"]] == [
        ("data/objects/documents/transcription-notes.txt", "deleted")
    ]
    kept = client.get_object(Bucket=locked_bucket, Key=victim["Key"], VersionId=victim["VersionId"])["Body"].read()
    assert kept == (collection / "documents" / "transcription-notes.txt").read_bytes()


def test_retention_on_a_bucket_without_object_lock_fails_cleanly(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, "object_lock_days = 2")
    result = preserve("ingest", str(collection), expect=None)
    assert result.exit_code != 0
    assert "Object Lock" in result.output and "vault" in result.output
    assert preserve.json("aip", "list") == []


@pytest.mark.parametrize(
    "extra, message",
    [
        ('object_lock_days = 2\nobject_lock_mode = "FOREVER"', "object_lock_mode must be one of"),
        ("object_lock_days = -1", "cannot be negative"),
        ('server_side_encryption = "rot13"', "server_side_encryption must be one of"),
        ('storage_class = "cheap please"', "is not a storage class name"),
        ('storage_class = "DEEP_ARCHIVE"', "cannot be read without a restore"),
    ],
)
def test_bad_retention_settings_are_refused(tmp_path, monkeypatch, s3_server, extra, message):
    home = tmp_path / "home"
    home.mkdir()
    (home / "preserve.toml").write_text(f"""
[[storage]]
name = "vault"
backend = "s3"
bucket = "b"
{extra}
""")
    result = CliRunner().invoke(cli, ["--home", str(home), "storage", "list"])
    assert result.exit_code != 0
    assert message in result.output and "vault" in result.output


def test_a_failed_ingest_removes_every_version_it_wrote(tmp_path, monkeypatch, s3_server, locked_bucket, collection):
    """Retention is applied only after registration, so nothing of a failed ingest stays locked in the bucket."""
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 2")
    from catalogue import queries

    def refuse(*args, **kwargs):
        raise CatalogueError("the catalogue went away")

    monkeypatch.setattr(queries, "register_aip", refuse)  # a fault a real database will not produce on demand
    result = preserve("ingest", str(collection), expect=CatalogueError.exit_code)
    assert "catalogue went away" in result.output
    answer = s3_server.client().list_object_versions(Bucket=locked_bucket)
    left = [
        v["Key"]
        for v in (*answer.get("Versions", []), *answer.get("DeleteMarkers", []))
        if "urn%3auuid%3a" in v["Key"] or "preserve-event-log" in v["Key"]
    ]
    assert left == []


def test_a_newer_version_hiding_the_verified_one_is_found(tmp_path, monkeypatch, s3_server, locked_bucket, collection):
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 1")
    preserve.json("ingest", str(collection))
    assert preserve.json("audit")["ok"] is True
    client = s3_server.client()
    key = next(
        v["Key"]
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("objects/data/burials-1890-1950.csv")
    )
    client.put_object(Bucket=locked_bucket, Key=key, Body=(collection / "data" / "burials-1890-1950.csv").read_bytes())
    # same bytes, but not the version that was verified and locked
    report = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c for c in report["aips"][0]["copies"]}
    assert [(b["path"], b["problem"].split(":")[0]) for b in copies["vault"]["bad"]] == [
        ("data/objects/data/burials-1890-1950.csv", "replaced")
    ]


def test_a_rebuilt_catalogue_knows_each_copy_s_versions(tmp_path, monkeypatch, s3_server, locked_bucket, collection):
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 1")
    preserve.json("ingest", str(collection))
    for suffix in ("", "-wal", "-shm"):
        (preserve.home / f"catalogue.db{suffix}").unlink(missing_ok=True)
    assert preserve.json("catalogue", "rebuild")["aips"] == 1
    assert preserve.json("audit")["ok"] is True
    client = s3_server.client()
    key = next(
        v["Key"]
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("objects/data/burials-1890-1950.csv")
    )
    client.put_object(Bucket=locked_bucket, Key=key, Body=b"a newer version")
    report = preserve.json("audit", "--no-repair", expect=1)
    copies = {c["location"]: c for c in report["aips"][0]["copies"]}
    assert [(b["path"], b["problem"].split(":")[0]) for b in copies["vault"]["bad"]] == [
        ("data/objects/data/burials-1890-1950.csv", "replaced")
    ]


def test_every_object_is_written_in_the_location_s_storage_class(
    tmp_path, monkeypatch, s3_server, s3_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket, 'storage_class = "STANDARD_IA"')
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    client = s3_server.client()
    keys = [
        o["Key"]
        for o in client.list_objects_v2(Bucket=s3_bucket)["Contents"]
        if aip_id in o["Key"] or "urn%3auuid%3a" in o["Key"]
    ]
    assert keys
    assert {client.head_object(Bucket=s3_bucket, Key=key).get("StorageClass") for key in keys} == {"STANDARD_IA"}


def test_a_legal_hold_keeps_every_version_until_it_is_released(
    tmp_path, monkeypatch, s3_server, locked_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket)  # Object Lock, but no retention
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    client = s3_server.client()

    def victim():
        return next(
            v
            for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
            if v["Key"].endswith("transcription-notes.txt")
        )

    held = preserve.json("aip", "hold", aip_id[:8], "--reason", "Coroner's inquiry 2026/114")
    outcomes = {r["location"]: r["outcome"] for r in held["locations"]}
    assert outcomes == {"primary": "not possible", "vault": "held"}
    assert preserve.json("aip", "show", aip_id)["legal_hold"] is True
    version = victim()
    assert (
        client.get_object_legal_hold(Bucket=locked_bucket, Key=version["Key"], VersionId=version["VersionId"])[
            "LegalHold"
        ]["Status"]
        == "ON"
    )
    with pytest.raises(Exception, match="AccessDenied"):
        client.delete_object(Bucket=locked_bucket, Key=version["Key"], VersionId=version["VersionId"])

    events = [e for e in preserve.json("aip", "show", aip_id)["events"] if e["type"] == "policy assignment"]
    assert len(events) == 1 and "Coroner's inquiry 2026/114" in events[0]["detail"]

    sheet = tmp_path / "metadata.csv"  # a version added while held is held too
    sheet.write_text("filename,dc.title\nobjects,Parish of St Michael\n")
    preserve.json("aip", "update", aip_id, "--metadata", str(sheet))
    latest = [
        v
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("/v2/inventory.json")
    ]
    assert len(latest) == 1
    assert (
        client.get_object_legal_hold(Bucket=locked_bucket, Key=latest[0]["Key"], VersionId=latest[0]["VersionId"])[
            "LegalHold"
        ]["Status"]
        == "ON"
    )

    preserve.json("aip", "hold", aip_id, "--release", "--reason", "Inquiry closed")
    assert preserve.json("aip", "show", aip_id)["legal_hold"] is False
    client.delete_object(Bucket=locked_bucket, Key=version["Key"], VersionId=version["VersionId"])  # now allowed
    remaining = client.list_object_versions(Bucket=locked_bucket, Prefix=version["Key"]).get("Versions", [])
    assert version["VersionId"] not in [v["VersionId"] for v in remaining]


def test_a_hold_with_no_copy_that_can_take_it_fails(tmp_path, monkeypatch, s3_server, s3_bucket, collection):
    preserve = _archive(tmp_path, monkeypatch, s3_server, s3_bucket)  # no versions, no Object Lock
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    result = preserve("aip", "hold", aip_id, "--reason", "test", expect=1)
    assert "not possible" in result.output and "No copy could be held" in result.output
    assert preserve.json("aip", "show", aip_id)["legal_hold"] is False


def test_a_hidden_version_is_repaired_and_the_new_version_retained(
    tmp_path, monkeypatch, s3_server, locked_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 1")
    preserve.json("ingest", str(collection))
    client = s3_server.client()
    key = next(
        v["Key"]
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("transcription-notes.txt")
    )
    client.delete_object(Bucket=locked_bucket, Key=key)  # a delete marker hides the verified version
    report = preserve.json("audit")
    copies = {c["location"]: c for c in report["aips"][0]["copies"]}
    assert copies["vault"]["status"] == "repaired"
    assert preserve.json("audit")["ok"] is True  # the new version is now the recorded one
    latest = next(v for v in client.list_object_versions(Bucket=locked_bucket, Prefix=key)["Versions"] if v["IsLatest"])
    retention = client.get_object_retention(Bucket=locked_bucket, Key=key, VersionId=latest["VersionId"])
    assert retention["Retention"]["Mode"] == "GOVERNANCE"


def test_a_file_bad_in_every_copy_is_repaired_from_the_version_the_lock_kept(
    tmp_path, monkeypatch, s3_server, locked_bucket, collection
):
    """A newer version hides the verified one in the vault and the disk copy is damaged too: the verified
    version is still in the bucket (retained), so the file is not lost — both copies are re-written from it."""
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 1")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    client = s3_server.client()
    tower = next(
        v["Key"]
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("church-tower.png")
    )
    local = next((preserve.home / "storage" / "primary").rglob("church-tower.png"))
    good = local.read_bytes()
    client.put_object(Bucket=locked_bucket, Key=tower, Body=b"damaged in the vault")
    local.write_bytes(b"damaged on disk too")

    report = preserve.json("audit")
    [aip] = report["aips"]
    assert report["ok"] is True and aip["lost"] == []
    sources = {c["location"]: [r["from"] for r in c["repaired"]] for c in aip["copies"]}
    assert sources["primary"][0].startswith("vault (its version ") and local.read_bytes() == good
    assert sources["vault"] == ["primary"]  # by then the disk copy verified again
    latest = next(
        v for v in client.list_object_versions(Bucket=locked_bucket, Prefix=tower)["Versions"] if v["IsLatest"]
    )
    assert client.get_object(Bucket=locked_bucket, Key=tower)["Body"].read() == good
    retention = client.get_object_retention(Bucket=locked_bucket, Key=tower, VersionId=latest["VersionId"])
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("aip", "show", aip_id)["aip"]["status"] == "stored"


def test_a_file_restored_from_outside_into_a_locked_copy_is_one_retained_version(
    tmp_path, monkeypatch, s3_server, locked_bucket, collection
):
    preserve = _archive(tmp_path, monkeypatch, s3_server, locked_bucket, "object_lock_days = 1")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    client = s3_server.client()
    tower = next(
        v["Key"]
        for v in client.list_object_versions(Bucket=locked_bucket)["Versions"]
        if v["Key"].endswith("church-tower.png")
    )
    local = next((preserve.home / "storage" / "primary").rglob("church-tower.png"))
    backup = tmp_path / "church-tower.png"
    backup.write_bytes(local.read_bytes())
    client.put_object(Bucket=locked_bucket, Key=tower, Body=b"damaged in the vault")
    before = len(client.list_object_versions(Bucket=locked_bucket, Prefix=tower)["Versions"])

    done = preserve.json(
        "aip", "repair", aip_id, "--file", "data/objects/photographs/church-tower.png", "--from", str(backup)
    )
    assert done["written"] == ["vault"] and done["already_intact"] == ["primary"] and done["ok"] is True
    versions = client.list_object_versions(Bucket=locked_bucket, Prefix=tower)["Versions"]
    assert len(versions) == before + 1  # one new version, not one more for every audit after it
    latest = next(v for v in versions if v["IsLatest"])
    retention = client.get_object_retention(Bucket=locked_bucket, Key=tower, VersionId=latest["VersionId"])
    assert retention["Retention"]["Mode"] == "GOVERNANCE"
    assert preserve.json("audit")["ok"] is True
