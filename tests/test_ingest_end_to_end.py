"""The whole path through the CLI: init, ingest, list, show, audit, search, export — and the results checked
by independent tools (bagit, ocfl-py, the official METS and PREMIS schemas)."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import ocfl
import pytest
from lxml import etree
from ocfl.validator import Validator

from tests.conftest import tree_digest
from tests.schemas import validate_mets

pytestmark = pytest.mark.both_catalogues  # the catalogue and pipeline on SQLite and PostgreSQL

EXPECTED_PUIDS = {
    "photographs/harbour-1923.jpg": "fmt/43",
    "photographs/church-tower.png": "fmt/11",
    "photographs/estate-map.tif": "fmt/353",
    "documents/vestry-minutes-1923.pdf": "fmt/17",
    "documents/restoration-report.docx": "fmt/412",
    "documents/tithe-accounts.xlsx": "fmt/214",
    "documents/letter-to-the-bishop.odt": "fmt/290",
    "audio/oral-history-interview.wav": "fmt/141",
    "web/parish-newsletter.html": "fmt/471",
}


def _object_dir(home: Path) -> Path:
    markers = list((home / "storage" / "primary").rglob("0=ocfl_object_1.1"))
    assert len(markers) == 1, markers
    return markers[0].parent


def test_collection_goes_in_is_audited_found_and_comes_out(preserve, collection, tmp_path):
    before = tree_digest(collection)
    summary = preserve.json("ingest", str(collection), "--title", "Parish records")
    aip_id = summary["aip_id"]
    assert summary["counts"]["original"]["files"] == len(before)
    assert summary["counts"]["original"]["bytes"] == sum(p.stat().st_size for p in collection.rglob("*") if p.is_file())
    assert {f["puid"] for f in summary["formats"]} >= set(EXPECTED_PUIDS.values())
    assert tree_digest(collection) == before, "ingest must not change the source"

    listed = preserve.json("aip", "list")
    assert [a["id"] for a in listed] == [aip_id]
    assert listed[0]["title"] == "Parish records"

    shown = preserve.json("aip", "show", aip_id[:8])
    by_name = {f["original_name"].removeprefix("objects/"): f for f in shown["files"]}
    assert set(by_name) == set(before)
    for name, puid in EXPECTED_PUIDS.items():
        assert by_name[name]["format"]["puid"] == puid, name
        assert by_name[name]["format"]["basis"] in ("signature", "container")
    csv = by_name["data/burials-1890-1950.csv"]["format"]
    assert (csv["puid"], csv["basis"], csv["mime_type"]) == ("x-fmt/18", "text", "text/csv")
    for name, digest in before.items():
        assert by_name[name]["sha256"] == digest
        assert by_name[name]["path"] == f"data/objects/{name}"
    event_types = {(e["type"], e["file_id"] != "") for e in shown["events"]}
    assert {
        ("ingestion start", False),
        ("ingestion end", False),
        ("message digest calculation", True),
        ("format identification", True),
        ("fixity check", True),
    } <= event_types
    assert all(e["agent_ids"] for e in shown["events"])
    agent_types = {a["id"]: a["type"] for a in shown["agents"]}
    start = next(e for e in shown["events"] if e["type"] == "ingestion start")
    assert sorted(agent_types[a] for a in start["agent_ids"]) == ["organization", "person", "software"]
    assert all(len(e["agent_ids"]) == 1 for e in shown["events"] if e["file_id"]), "per-file events: the program"
    assert {a["type"] for a in shown["agents"]} == {"software", "organization", "person"}
    assert [(r["location"], r["status"]) for r in shown["replicas"]] == [("primary", "ok")]

    audit = preserve.json("audit")
    assert audit["ok"] is True
    stored = next((preserve.home / "storage" / "primary").rglob("inventory.json"))
    content = [p for paths in json.loads(stored.read_text())["manifest"].values() for p in paths]
    assert len(content) > len(before) + 1  # the payload, the METS and the bag's tag files
    assert audit["aips"][0]["copies"][0]["stored_files"] == len(content)

    hits = preserve.json("search", "vestry", "minutes")["records"]
    assert [(h["aip_id"], h["path"], h["kind"]) for h in hits] == [
        (aip_id, "documents/vestry-minutes-1923.pdf", "file")
    ]
    assert {h["aip_id"] for h in preserve.json("search", "fmt/412")["records"]} == {aip_id}
    assert {(h["kind"], h["path"]) for h in preserve.json("search", "parish")["records"]} == {
        ("unit", ""),
        ("file", "web/parish-newsletter.html"),
    }  # the AIP by its title, a file by its name
    assert preserve.json("search", "nonexistentword") == {
        "total": 0,
        "approximate": False,
        "page": 1,
        "per_page": 20,
        "records": [],
        "facets": {"collection": [], "decade": [], "format": [], "access": []},
    }

    out = tmp_path / "out"
    out.mkdir()
    exported = Path(preserve.json("aip", "export", aip_id, str(out))["bag"])
    assert exported.parent == out and exported.name.endswith(aip_id)
    bag = bagit.Bag(str(exported))
    bag.validate()
    assert bag.info["Internal-Sender-Identifier"] == aip_id
    assert (
        bag.info["Payload-Oxum"] == f"{summary['counts']['original']['bytes'] + _mets_size(exported)}.{len(before) + 1}"
    )
    assert tree_digest(exported / "data" / "objects") == before
    mets_file = next((exported / "data" / "metadata").glob("METS.*.xml"))
    assert validate_mets(mets_file) == []
    roles = {e.text for e in etree.parse(str(mets_file)).iter("{http://www.loc.gov/premis/v3}linkingAgentRole")}
    assert roles == {"executing program", "authorizer", "implementer"}

    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(_object_dir(preserve.home))), validator.status_str()
    assert validator.status_str() == "", "no OCFL warnings expected"
    root = ocfl.StorageRoot(root=str(preserve.home / "storage" / "primary"))
    assert root.validate(log_warnings=True), "the OCFL storage root must validate"


def _mets_size(bag: Path) -> int:
    return next((bag / "data" / "metadata").glob("METS.*.xml")).stat().st_size


def test_audit_names_a_damaged_file_and_exits_1(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    stored = _object_dir(preserve.home) / "v1/content/data/objects/documents/transcription-notes.txt"
    data = bytearray(stored.read_bytes())
    data[5] ^= 0x01  # one flipped bit
    stored.write_bytes(bytes(data))
    (_object_dir(preserve.home) / "v1/content/data/objects/photographs/church-tower.png").unlink()

    result = preserve("audit", expect=1)
    assert "documents/transcription-notes.txt" in result.stdout and "checksum mismatch" in result.stdout
    assert "church-tower.png" in result.stdout and "missing" in result.stdout
    report = preserve.json("audit", "--aip", aip_id, expect=1)
    bad = {b["path"]: b["problem"] for b in report["aips"][0]["copies"][0]["bad"]}
    assert set(bad) == {"data/objects/documents/transcription-notes.txt", "data/objects/photographs/church-tower.png"}
    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["status"] == "damaged"
    checks = [e for e in shown["events"] if e["type"] == "fixity check" and not e["file_id"]]
    assert [e["outcome"] for e in checks] == ["failure", "failure"]
    assert "transcription-notes.txt" in checks[0]["outcome_detail"]


def test_demo_style_human_output(preserve, collection):
    result = preserve("ingest", str(collection), "--title", "Minutes [draft]")
    assert "Stored AIP" in result.stdout and "Minutes [draft]" in result.stdout
    assert "fmt/43" in result.stdout
    listing = preserve("aip", "list")
    assert "Minutes [draft]" in listing.stdout
    audit = preserve("audit")
    assert "[primary]" in audit.stdout and "intact" in audit.stdout


def test_events_after_ingest_are_kept_in_storage_too(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    preserve.json("audit")
    logs = sorted((preserve.home / "storage" / "primary" / "extensions" / "preserve-event-log" / aip_id).iterdir())
    assert len(logs) == 2  # the end of ingest, then the audit
    from lxml import etree as tree

    premis = "{http://www.loc.gov/premis/v3}"
    kinds = [tree.parse(str(p)).findtext(f".//{premis}eventType") for p in logs]
    assert kinds == ["replication", "fixity check"]  # the first document: the copy made, then the end of ingest
    from tests.schemas import premis_schema

    assert all(premis_schema().validate(tree.parse(str(p))) for p in logs)
    root = ocfl.StorageRoot(root=str(preserve.home / "storage" / "primary"))
    assert root.validate(log_warnings=True), "the event log must not break the OCFL storage root"
