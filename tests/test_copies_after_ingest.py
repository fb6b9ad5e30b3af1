"""preservation_copies = "after": the AIP is registered as soon as its originals are safe, and its preservation
copies follow as its next version, made in the background (`preserve migrate --pending` code)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from ingest.samples import make_sample_collection
from policies import DEFAULTS
from storage.ocfl import object_root
from tests.conftest import require_tool

WAIT = 180  # seconds the background copies may take on a busy CI machine


@pytest.fixture
def after_policy(preserve):
    require_tool("soffice", "the sample's office documents are normalised by LibreOffice")
    text = (
        (DEFAULTS / "formats.toml")
        .read_text()
        .replace('preservation_copies = "ingest"', 'preservation_copies = "after"')
    )
    assert 'preservation_copies = "after"' in text
    (preserve.home / "policies" / "formats.toml").write_text(text)


def _wait_for(condition, what: str, limit: float = WAIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {limit} s")


def _derivatives(preserve, aip_id: str) -> list[str]:
    return [f["path"] for f in preserve.json("aip", "show", aip_id)["files"] if f["role"] != "original"]


def test_the_aip_is_registered_first_and_its_copies_follow_in_the_background(
    preserve, after_policy, tmp_path, monkeypatch
):
    release = tmp_path / "release"
    monkeypatch.setenv("PRESERVE_HOLD_AT", "before copies")  # the background process waits here until released
    monkeypatch.setenv("PRESERVE_HOLD_FILE", str(release))
    source = tmp_path / "parish"
    make_sample_collection(source)

    report = preserve.json("ingest", str(source))
    aip_id = report["aip_id"]
    assert report["copies_pending"] is True
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["copies"] == "pending" and shown["aip"]["head_version"] == "v1"
    assert _derivatives(preserve, aip_id) == []  # registered with its originals only
    assert "preservation copies: pending" in preserve("aip", "show", aip_id).stdout
    assert "copies pending" in preserve("aip", "list").stdout
    assert report["timings"]["steps"][5]["step"] == "normalise" and report["timings"]["conversions"] == []

    _wait_for(Path(f"{release}.reached").exists, "the background process starting")
    release.touch()
    _wait_for(lambda: preserve.json("aip", "show", aip_id)["aip"]["copies"] == "", "the copies being made")
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["head_version"] == "v2"
    made = _derivatives(preserve, aip_id)
    assert "data/derivatives/preservation/documents/restoration-report.docx.odt" in made
    assert "data/derivatives/preservation/documents/tithe-accounts.xlsx.ods" in made
    assert any(e["type"] == "normalization" and e["outcome"] == "success" for e in shown["events"])
    assert "preservation copies: " not in preserve("aip", "show", aip_id).stdout  # no longer pending
    log = (preserve.home / "logs" / "copies-after-ingest.log").read_text()
    assert re.search(rf"^  \d{{4}}-\d\d-\d\dT\S+  {aip_id}  migrated", log, re.MULTILINE)  # stamped
    audited = preserve.json("audit", "--aip", aip_id)  # every copy of both versions intact
    counts = shown["aip"]["counts"]  # the copies counted, and everything both versions store
    assert counts["preservation"]["files"] == 2 and counts["original"] == report["counts"]["original"]
    [copy] = audited["aips"][0]["copies"]
    assert counts["stored"] == {"files": copy["stored_files"], "bytes": copy["stored_bytes"]}


def _ingested_with_maker_dead(preserve, monkeypatch, tmp_path, *names: str) -> list[str]:
    """Ingest a sample collection per name, each background copy-maker killed right after taking its claim; the
    AIP ids, once every maker is gone (the AIPs show 'making:…' held by a dead process)."""
    monkeypatch.setenv("PRESERVE_CRASH_AT", "copies claimed")  # SIGKILL at the point right after the claim
    made = []
    for name in names:
        make_sample_collection(tmp_path / name)
        made.append(preserve.json("ingest", str(tmp_path / name), "--title", name)["aip_id"])
    for aip_id in made:
        _wait_for(lambda a=aip_id: preserve.json("aip", "show", a)["aip"]["copies"].startswith("making:"), "a claim")
    time.sleep(1)  # the processes are gone
    monkeypatch.delenv("PRESERVE_CRASH_AT")
    return made


def test_copies_whose_maker_died_are_made_by_migrate_pending(preserve, after_policy, tmp_path, monkeypatch):
    [aip_id] = _ingested_with_maker_dead(preserve, monkeypatch, tmp_path, "parish")
    assert "being made" in preserve("aip", "show", aip_id).stdout

    done = preserve.json("migrate", "--pending")
    [result] = done["aips"]
    assert result["aip_id"] == aip_id and result["outcome"] == "migrated" and len(result["made"]) == 2
    assert preserve.json("aip", "show", aip_id)["aip"]["copies"] == ""
    assert preserve.json("migrate", "--pending")["aips"] == []  # nothing left owed
    assert "No AIP is waiting" in preserve("migrate", "--pending").stdout


def test_copies_refused_for_a_damaged_aip_stay_pending(preserve, after_policy, tmp_path, monkeypatch):
    [aip_id] = _ingested_with_maker_dead(preserve, monkeypatch, tmp_path, "parish")  # nothing made in the background
    stored = next((preserve.home / "storage" / "primary").rglob("0=ocfl_object_1.1")).parent
    next((stored / "v1" / "content" / "data" / "objects").rglob("*.txt")).write_bytes(b"damaged")
    assert preserve.json("audit", "--aip", aip_id, expect=None)["ok"] is False  # the only copy is damaged

    [result] = preserve.json("migrate", "--pending", expect=None)["aips"]
    assert result["outcome"] == "failed" and "not every copy is intact" in result["failed"][0]
    assert preserve.json("aip", "show", aip_id)["aip"]["copies"] == "pending"  # still owed, and shown so
    assert "preservation copies: pending" in preserve("aip", "show", aip_id).stdout


def test_a_wrong_value_is_refused_naming_the_choices(preserve):
    policy = preserve.home / "policies" / "formats.toml"
    policy.write_text(
        (DEFAULTS / "formats.toml")
        .read_text()
        .replace('preservation_copies = "ingest"', 'preservation_copies = "later"')
    )
    result = preserve("policy", "check", str(policy), expect=None)
    assert result.exit_code != 0
    assert 'default.preservation_copies must be "ingest" or "after", not \'later\'' in result.output


def test_migrate_pending_takes_id_prefixes_and_goes_on_past_a_damaged_aip(
    preserve, after_policy, tmp_path, monkeypatch
):
    damaged, healthy = _ingested_with_maker_dead(preserve, monkeypatch, tmp_path, "first", "second")
    refused = preserve("migrate", "--pending", "--aip", "ffffffff", expect=None)
    assert refused.exit_code != 0 and "no AIP 'ffffffff' in the catalogue" in refused.output
    root = preserve.home / "storage" / "primary" / object_root(f"urn:uuid:{damaged}")
    next((root / "v1" / "content" / "data" / "objects").rglob("*.docx")).write_bytes(b"damaged")  # not yet audited

    result = preserve.json("migrate", "--pending", "--aip", damaged[:8], "--aip", healthy[:8], expect=1)
    outcomes = {r["aip_id"]: r for r in result["aips"]}
    assert outcomes[healthy]["outcome"] == "migrated" and len(outcomes[healthy]["made"]) == 2
    assert (
        outcomes[damaged]["outcome"] == "failed"
        and "does not match its recorded digest" in outcomes[damaged]["failed"][0]
    )
    assert preserve.json("aip", "show", healthy)["aip"]["copies"] == ""
    assert preserve.json("aip", "show", damaged)["aip"]["copies"] == "pending"  # still owed
    assert "No AIP given is waiting" in preserve("migrate", "--pending", "--aip", healthy[:8]).stdout
