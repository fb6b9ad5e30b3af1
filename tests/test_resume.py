"""Crash-safe ingest: kill `preserve ingest` with SIGKILL part-way, run the same ingest again, and get the
same AIP an undisturbed run makes — no duplicate files, events or objects."""

from __future__ import annotations

import pytest

from ingest.pipeline import STEPS
from tests.crashes import aip_essence, kill_ingest_part_way, make_collection, object_folders, undisturbed_essence
from tests.transfer_fixtures import archivematica_transfer


@pytest.mark.parametrize("after_files", [5, 80])
def test_a_killed_ingest_is_finished_by_running_it_again(preserve, tmp_path, after_files):
    source = make_collection(tmp_path / "accession", files=100)  # enough for the pool of workers
    kill_ingest_part_way(preserve.home, source, after_files)
    assert preserve.json("aip", "list") == []

    report = preserve.json("ingest", str(source))  # the same command again
    [aip] = preserve.json("aip", "list")
    resumed = aip_essence(preserve, aip["id"])
    assert aip["id"] == report["aip_id"] and aip["file_count"] == 100
    assert not any((preserve.home / "staging").iterdir())
    assert len(object_folders(preserve.home)) == 1  # one object: the interrupted one, finished
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == []
    ids = [e["id"] for e in preserve.json("aip", "show", aip["id"])["events"]]
    assert len(ids) == len(set(ids))

    assert resumed == undisturbed_essence(preserve, tmp_path / "second-home", source)


def test_a_killed_ingest_of_a_transfer_with_metadata_keeps_it_all_when_finished(preserve, tmp_path):
    """An Archivematica transfer: its metadata folder, the depositor's checksums and renamed files survive
    the interruption, each once."""
    source = archivematica_transfer(tmp_path / "accession")
    make_collection(source / "objects" / "bulk", files=80)
    kill_ingest_part_way(preserve.home, source, 40)
    assert preserve.json("aip", "list") == []

    report = preserve.json("ingest", str(source))
    shown = preserve.json("aip", "show", report["aip_id"])
    assert any(f["path"] == "data/metadata/submission/checksum.md5" for f in shown["files"])
    assert report["checksums_checked"] > 0 and report["metadata"] and report["renamed"]
    assert len(object_folders(preserve.home)) == 1
    assert aip_essence(preserve, report["aip_id"]) == undisturbed_essence(preserve, tmp_path / "second-home", source)


@pytest.mark.parametrize("step", [step.name for step in STEPS])
def test_an_ingest_killed_after_any_step_is_finished_by_running_it_again(preserve, tmp_path, step):
    """A crash at every step boundary, the last one (after registration, before sealing) included."""
    source = archivematica_transfer(tmp_path / "accession")
    kill_ingest_part_way(preserve.home, source, at=f"after {step}")

    report = preserve.json("ingest", str(source))
    [aip] = preserve.json("aip", "list")
    assert aip["id"] == report["aip_id"]
    resumed = aip_essence(preserve, aip["id"])
    assert not any((preserve.home / "staging").iterdir())
    assert len(object_folders(preserve.home)) == 1
    assert preserve.json("audit")["ok"] is True
    assert preserve.json("doctor", "--older-than", "0")["orphans"] == []
    assert resumed == undisturbed_essence(preserve, tmp_path / "second-home", source)
