"""One vocabulary of counts and sizes (docs/aip.md, "Counts and sizes"): the same AIP gives the same figures —
original files, metadata files, copies, catalogued files, stored files — in every command that shows them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import text

from catalogue import Database
from catalogue import queries as catalogue
from cli.output import human_size
from preservation.config import load_settings
from preservation.model import Aip, FileRecord, FormatInfo, Replica

TIFF_FOR_PNG = 'version = 2\n[default]\npreservation = "keep"\n[[format]]\npuids = ["fmt/11"]\npreservation = "tiff"\n'


def _transfer(collection: Path, tmp_path: Path) -> Path:
    """An Archivematica-style transfer: the records in objects/, a metadata.csv and a log beside them."""
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text(
        "filename,dc.title\nobjects/documents/vestry-minutes-1923.pdf,Vestry minutes\n"
    )
    (transfer / "logs").mkdir()
    (transfer / "logs" / "transfer.log").write_text("transfer made by hand\n")
    return transfer


def _object_content(home: Path) -> list[Path]:
    """Every content file of the archive's one OCFL object, all versions, as the disk holds them."""
    [marker] = (home / "storage" / "primary").rglob("0=ocfl_object_1.1")
    return [p for p in marker.parent.glob("v*/content/**/*") if p.is_file()]


def _words(files: int, size: int, one: str, many: str) -> str:
    return f"{files} {one if files == 1 else many}, {human_size(size)}"


def test_the_same_aip_has_the_same_figures_in_every_command(preserve, collection, tmp_path):
    (preserve.home / "policies" / "formats.toml").write_text(TIFF_FOR_PNG)
    transfer = _transfer(collection, tmp_path)
    given = [p for p in transfer.rglob("*") if p.is_file()]
    records = [p for p in (transfer / "objects").rglob("*") if p.is_file()]
    ingested = preserve.json("ingest", str(transfer))
    counts = ingested["counts"]
    aip_id = ingested["aip_id"]

    # what the depositor gave, by role; what preserve made; everything catalogued; everything stored
    assert counts["original"] == {"files": len(records), "bytes": sum(p.stat().st_size for p in records)}
    assert counts["metadata"]["files"] == len(given) - len(records) == 2
    assert counts["preservation"]["files"] == 1 and counts["access"] == {"files": 0, "bytes": 0}
    roles = ("original", "metadata", "preservation", "access")
    assert counts["catalogued"] == {k: sum(counts[r][k] for r in roles) for k in ("files", "bytes")}
    content = _object_content(preserve.home)
    assert counts["stored"] == {"files": len(content), "bytes": sum(p.stat().st_size for p in content)}
    assert sum(f["files"] for f in ingested["formats"]) == counts["catalogued"]["files"]

    shown = preserve.json("aip", "show", aip_id)
    assert shown["aip"]["counts"] == counts
    assert (shown["aip"]["file_count"], shown["aip"]["total_bytes"]) == tuple(counts["catalogued"].values())
    for role in roles:  # the files the catalogue lists add up to the counts
        listed = [f for f in shown["files"] if f["role"] == role]
        assert {"files": len(listed), "bytes": sum(f["size"] for f in listed)} == counts[role], role
    [listed] = preserve.json("aip", "list")
    assert listed["counts"] == counts
    audit = preserve.json("audit")
    [copy] = audit["aips"][0]["copies"]
    assert {"files": copy["stored_files"], "bytes": copy["stored_bytes"]} == counts["stored"]
    assert (
        preserve.json("audit", "--metadata-only")["aips"][0]["copies"][0]["stored_bytes"] == counts["stored"]["bytes"]
    )
    [location] = preserve.json("report", "fixity", expect=None)
    assert location["bytes"] == counts["stored"]["bytes"]
    [status] = preserve.json("storage", "status")
    assert status["bytes"] == counts["stored"]["bytes"]
    holdings = preserve.json("report", "formats")
    assert sum(h["files"] for h in holdings) == counts["original"]["files"]
    assert sum(h["bytes"] for h in holdings) == counts["original"]["bytes"]

    # the same words, in binary units, wherever a person reads them
    original = _words(*counts["original"].values(), "original file", "original files")
    metadata = _words(*counts["metadata"].values(), "metadata file", "metadata files")
    copies = _words(*counts["preservation"].values(), "preservation copy", "preservation copies")
    stored = "stored: " + _words(*counts["stored"].values(), "file", "files")
    said = preserve("aip", "show", aip_id).stdout
    assert f"{original}; {metadata}; {copies}; {stored}" in said
    assert preserve("aip", "list").stdout.count(_words(*counts["original"].values(), "file", "files")) == 1
    assert _words(*counts["stored"].values(), "stored file", "stored files") + " read" in preserve("audit").stdout
    assert "MB" not in said and "kB" not in said


def test_a_new_version_is_counted_and_an_audit_agrees(preserve, collection, tmp_path):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    before = preserve.json("aip", "show", aip_id)["aip"]["counts"]
    sheet = tmp_path / "metadata.csv"
    sheet.write_text("filename,dc.title\nobjects,The parish records\n")
    preserve("aip", "update", aip_id, "--metadata", str(sheet))
    after = preserve.json("aip", "show", aip_id)["aip"]["counts"]
    assert after["catalogued"] == before["catalogued"]  # no file was added to the record
    assert after["stored"]["files"] > before["stored"]["files"]  # a new METS, new tag files, the spreadsheet
    content = _object_content(preserve.home)
    assert after["stored"] == {"files": len(content), "bytes": sum(p.stat().st_size for p in content)}
    [copy] = preserve.json("audit")["aips"][0]["copies"]
    assert {"files": copy["stored_files"], "bytes": copy["stored_bytes"]} == after["stored"]


def test_what_is_stored_is_measured_by_the_next_audit_when_unknown(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    measured = preserve.json("aip", "show", aip_id)["aip"]["counts"]["stored"]
    database = Database(load_settings(preserve.home).catalogue_url)
    with database.engine.begin() as connection:  # as an AIP registered before what it stores was counted
        connection.execute(text("UPDATE aips SET stored_files = NULL, stored_bytes = NULL"))
    assert preserve.json("aip", "show", aip_id)["aip"]["counts"]["stored"] is None
    assert "not yet measured" in preserve("aip", "list").stdout
    assert "stored: not yet measured (the next `preserve audit` measures it)" in preserve("aip", "show", aip_id).stdout
    preserve("audit", "--metadata-only")
    assert preserve.json("aip", "show", aip_id)["aip"]["counts"]["stored"] == measured
    database.dispose()


def test_migration_0024_counts_the_files_of_aips_already_registered(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/catalogue.db")
    database.migrate("0023")
    aip_id = "aaaa1111-0000-4000-8000-000000000002"
    aip = Aip(aip_id, "Minutes", "minutes", aip_id[::-1], f"urn:uuid:{aip_id}", "v1", 3, 17, "m", "f" * 128, "t")
    fmt = FormatInfo("fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature")
    files = [
        FileRecord(f"{aip_id[:-1]}{n}", aip_id, path, path[5:], size, "a" * 64, "b" * 128, fmt, role=role)
        for n, path, size, role in (
            (1, "data/objects/a.jpg", 5, "original"),
            (2, "data/objects/b.jpg", 7, "original"),
            (3, "data/metadata/submission/metadata.csv", 5, "metadata"),
        )
    ]
    with database.session() as session:
        catalogue.sync_locations(session, [("primary", "local", "aip")])
        catalogue.register_aip(session, aip, files, [], [], [Replica(aip_id, "primary", "v1", "r")])
    database.upgrade()
    with database.session() as session:
        counts = catalogue.find_aip(session, aip_id).counts
    assert (counts.original, counts.role("metadata"), counts.catalogued) == ((2, 12), (1, 5), (3, 17))
    assert counts.stored is None  # measured by the next audit
    with database.engine.connect() as connection:
        assert json.loads(connection.execute(text("SELECT counts FROM aips")).scalar())["original"]["files"] == 2
    database.migrate("0023")
    database.upgrade()
    database.dispose()
