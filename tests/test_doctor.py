"""`preserve doctor`: a killed ingest leaves a staging area and an unregistered object; doctor finds and
cleans them, never a running ingest's, and the archive is whole afterwards."""

from __future__ import annotations

from ingest import staging
from tests.crashes import kill_ingest_part_way, make_collection, object_folders


def test_a_killed_ingest_is_found_and_cleaned(preserve, tmp_path):
    source = make_collection(tmp_path / "accession")
    kill_ingest_part_way(preserve.home, source, after_files=1)

    assert preserve.json("aip", "list") == []
    assert preserve.json("doctor")  # nothing is older than a day yet: nothing reported
    found = preserve.json("doctor", "--older-than", "0", expect=1)
    assert len(found["abandoned_staging"]) == 1
    assert [(o["location"], o["kind"], o["complete"]) for o in found["orphans"]] == [("primary", "object", False)]

    live = preserve.home / "staging" / "a-running-ingest"
    held = staging.hold(live)  # an ingest in progress is never touched
    try:
        fixed = preserve.json("doctor", "--older-than", "0", "--fix")
        assert fixed["fixed"] and live.exists()
    finally:
        held.close()
        staging.remove(live)
    assert object_folders(preserve.home) == [] and list((preserve.home / "staging").iterdir()) == []
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == []

    aip_id = preserve.json("ingest", str(source))["aip_id"]  # the same transfer goes in cleanly afterwards
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == [], aip_id


def test_doctor_reports_a_broken_policy(preserve):
    (preserve.home / "policies" / "checks.toml").write_text("version = 1\n[virus]\non_infected = 'ignore'\n")
    result = preserve.json("doctor", expect=1)
    [problem] = [c for c in result["checks"] if not c["ok"]]
    assert problem["check"] == "policy checks" and "on_infected" in problem["detail"]
