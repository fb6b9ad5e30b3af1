"""Scheduled audits: the fixity policy, which copies each run takes, metadata-only passes, the byte budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from catalogue import Database
from policies.fixity import Cadence, load_fixity_policy
from preservation.config import load_settings
from preservation.errors import PolicyError
from preservation.model import Aip, Replica
from stewardship.schedule import plan_due, select_full
from storage.ocfl import object_root

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _copy(name: str, size: int, days_ago: float | None) -> tuple[Aip, Replica]:
    checked = "" if days_ago is None else (NOW - timedelta(days=days_ago)).isoformat()
    return (
        Aip(
            id=name,
            title=name,
            slug=name,
            transfer_id=name,
            ocfl_id=name,
            head_version="v1",
            file_count=1,
            total_bytes=size,
            mets_path="",
            mets_sha512="",
            created_at="",
        ),
        Replica(name, "primary", "v1", name, "ok", "", checked),
    )


def test_each_run_takes_the_oldest_copies_until_its_even_share():
    copies = [_copy(f"aip{i}", 100, days_ago=i / 2) for i in range(90)]  # 9,000 bytes, none overdue
    chosen = select_full(copies, Cadence(full_every_days=90), NOW)
    assert [aip.id for aip, _ in chosen] == ["aip89"]
    twice_a_day = select_full(copies, Cadence(full_every_days=45), NOW)
    assert [aip.id for aip, _ in twice_a_day] == ["aip89", "aip88"]


def test_a_copy_checked_within_one_runs_spacing_is_not_read_again():
    one = [_copy("only", 100, days_ago=1 / 1440)]  # fully audited a minute ago: its share would be due at once
    assert select_full(one, Cadence(full_every_days=90), NOW) == []
    assert [a.id for a, _ in select_full([_copy("only", 100, days_ago=2)], Cadence(full_every_days=90), NOW)] == [
        "only"
    ]  # two days on, a daily run takes it for its share
    assert [a.id for a, _ in select_full([_copy("only", 100, days_ago=91)], Cadence(full_every_days=90), NOW)] == [
        "only"
    ]


def test_overdue_copies_all_go_unless_the_budget_stops_them():
    copies = [_copy("never", 50, None), _copy("old", 50, 200), _copy("older", 50, 300), _copy("fresh", 50, 1)]
    assert [a.id for a, _ in select_full(copies, Cadence(full_every_days=90), NOW)] == ["never", "older", "old"]
    assert [a.id for a, _ in select_full(copies, Cadence(full_every_days=90, budget_bytes=100), NOW)] == [
        "never",
        "older",
    ]
    assert [a.id for a, _ in select_full(copies, Cadence(), NOW, budget_bytes=10)] == ["never"]  # too big: alone


def test_the_shipped_policy_and_per_location_overrides(tmp_path):
    default = load_fixity_policy(tmp_path)  # no file in the archive: the shipped one
    assert default.default == Cadence(90, 7, 1, 0) and default.repair is True and default.run_at == "02:30"
    (tmp_path / "fixity.toml").write_text(
        "version = 1\n[schedule]\nevery_days = 30\nrepair = false\n[location.offsite]\nfull_every_days = 365\n"
        "budget_bytes_per_run = 1_000\n"
    )
    policy = load_fixity_policy(tmp_path)
    assert policy.default.full_every_days == 30 and policy.repair is False
    assert policy.by_location["offsite"] == Cadence(365, 7, 1, 1000)


@pytest.mark.parametrize(
    "text, message",
    [
        ("version = 1\n[schedule]\nfull_every_days = 'often'\n", ":3: schedule.full_every_days must be a number"),
        ("version = 1\n[schedule]\nfull_every_days = 0\n", "must be more than 0"),
        ("version = 1\n[schedule]\nrun_at = '25:00'\n", "run_at must be a time of day"),
        ("version = 1\n[schedule]\nbudget = 5\n", "unknown key 'budget'"),
        ("version = 1\n[location.offsite]\nrepair = false\n", "[location.offsite]: unknown key 'repair'"),
        ("version = 1\n[schedul]\n", "unknown section or key 'schedul'"),
    ],
)
def test_a_bad_fixity_policy_names_file_and_key(tmp_path, text, message):
    (tmp_path / "fixity.toml").write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_fixity_policy(tmp_path)
    assert message in caught.value.message and "fixity.toml" in caught.value.message


def test_due_runs_cover_every_aip_in_turn(preserve, collection, tmp_path):
    ids = []
    for n in range(3):
        ids.append(preserve.json("ingest", str(collection), "--title", f"Accession {n}")["aip_id"])
    settings = load_settings(preserve.home)
    database = Database(settings.catalogue_url)
    with database.session() as session:  # as if ingested days ago (a copy checked within a run's spacing waits)
        for n, aip_id in enumerate(ids):
            when = (datetime.now(UTC) - timedelta(days=3 - n / 2)).isoformat()
            session.execute(
                text("UPDATE replicas SET verified_at = :when WHERE aip_id = :id"), {"when": when, "id": aip_id}
            )
    database.dispose()
    checked = []
    for _ in range(3):
        run = preserve.json("audit", "--due")
        assert run["ok"] is True
        assert [c["kind"] for a in run["aips"] for c in a["copies"]] == ["full"]
        checked.append(run["aips"][0]["aip_id"])
    assert checked == ids, "oldest check first; each run takes its even share (one AIP of three)"

    later = datetime.now(UTC) + timedelta(days=8)  # every metadata pass is due, no full re-read is
    plan = plan_due(
        Database(settings.catalogue_url),
        load_fixity_policy(settings.policies_path).cadences(settings.locations),
        now=later,
    )
    assert sorted((p.aip.id, p.kind) for p in plan if p.kind == "metadata") == sorted(
        (i, "metadata") for i in ids if i != plan[0].aip.id
    )


def test_a_metadata_only_pass_reads_no_bytes_but_finds_a_truncation(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    root = preserve.home / "storage" / "primary" / object_root(f"urn:uuid:{aip_id}")
    quick = preserve.json("audit", "--metadata-only")
    assert quick["ok"] is True and quick["aips"][0]["copies"][0]["kind"] == "metadata"
    tower = root / "v1/content/data/objects/photographs/church-tower.png"
    tower.write_bytes(tower.read_bytes()[:100])
    found = preserve.json("audit", "--metadata-only", expect=1)
    assert [(b["path"], b["problem"].split(",")[0]) for b in found["aips"][0]["copies"][0]["bad"]] == [
        ("data/objects/photographs/church-tower.png", "size 100")
    ]


def test_a_metadata_only_pass_on_s3_compares_the_store_checksum(tmp_path, monkeypatch, request, collection):
    from tests.test_fixity_faults import _archive, _read

    preserve = _archive(tmp_path, monkeypatch, request, "s3")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    settings = load_settings(preserve.home)
    from storage import open_location

    second = open_location(settings.location("second"))
    key = f"{object_root(f'urn:uuid:{aip_id}')}/v1/content/data/objects/documents/transcription-notes.txt"
    data = bytearray(_read(second, key))
    data[3] ^= 0x20  # same size: only a checksum can tell
    second.client.put_object(
        Bucket=second.bucket, Key=second.prefix + key, Body=bytes(data), ChecksumAlgorithm="SHA256"
    )
    found = preserve.json("audit", "--metadata-only", "--location", "second", "--no-repair", expect=1)
    assert [(b["path"], b["problem"]) for b in found["aips"][0]["copies"][0]["bad"]] == [
        ("data/objects/documents/transcription-notes.txt", "store checksum differs from the SHA-256 recorded at ingest")
    ]


def test_audit_of_one_location_and_an_unknown_one(preserve, collection):
    preserve.json("ingest", str(collection))
    run = preserve.json("audit", "--location", "primary")
    assert [c["location"] for c in run["aips"][0]["copies"]] == ["primary"]
    result = preserve("audit", "--location", "nowhere", expect=None)
    assert result.exit_code != 0 and "nowhere" in result.output


def test_the_fixity_report_counts_checks_failures_and_repairs(tmp_path, monkeypatch, request, collection):
    from tests.test_fixity_faults import _archive

    preserve = _archive(tmp_path, monkeypatch, request, "local")
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    preserve.json("audit")
    (
        preserve.home
        / "storage"
        / "second"
        / object_root(f"urn:uuid:{aip_id}")
        / "v1/content/data/objects/documents"
        / "transcription-notes.txt"
    ).write_bytes(b"rot")
    preserve.json("audit")  # found and repaired
    page = tmp_path / "fixity.html"
    report = {r["name"]: r for r in preserve.json("report", "fixity", "--html", str(page))}
    second = report["second"]
    assert (second["aips"], second["checked_aips"], second["overdue_aips"], second["damaged_copies"]) == (1, 1, 0, 0)
    [month] = second["months"]
    assert (month["full_checks"], month["failures"], month["repairs"]) == (2, 1, 1)
    assert report["primary"]["months"][0]["failures"] == 0
    html = page.read_text()
    assert "<svg" in html and "second" in html and "1 failed check(s), 1 repaired" in html


def test_the_report_exits_1_while_a_copy_is_damaged(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    (
        preserve.home
        / "storage"
        / "primary"
        / object_root(f"urn:uuid:{aip_id}")
        / "v1/content/data/objects/documents"
        / "transcription-notes.txt"
    ).write_bytes(b"rot")
    preserve.json("audit", expect=1)
    result = preserve("report", "fixity", expect=1)
    assert "primary" in result.stdout


def test_a_byte_budget_limits_a_plain_audit_too(preserve, collection):
    for n in range(3):
        preserve.json("ingest", str(collection), "--title", f"Accession {n}")
    assert len(preserve.json("audit")["aips"]) == 3
    assert len(preserve.json("audit", "--budget-bytes", "1")["aips"]) == 1  # one AIP larger than it: alone
    size = preserve.json("aip", "list")[0]["counts"]["stored"]["bytes"]  # what a full check of a copy reads
    assert len(preserve.json("audit", "--budget-bytes", str(2 * size))["aips"]) == 2
