"""Everything the depositor gave is kept, and everything they asserted is checked (docs/ingest.md, docs/aip.md).

The transfers are written the way Archivematica's users make them (tests/transfer_fixtures.py): a
standard transfer with submission documentation, the four checksum files, metadata.csv, rights.csv,
metadata.json, identifiers.json, logs/, empty folders and names off old file servers.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote

import bagit
from lxml import etree

from ingest.sources import original_name
from preservation.errors import TransferError
from preservation.mets import href_path
from tests.test_ingest_bad_input import assert_nothing_kept
from tests.transfer_fixtures import archivematica_transfer, digest, empty_folders, every_file

METS = "{http://www.loc.gov/METS/}"
PREMIS = "{http://www.loc.gov/premis/v3}"


def _export(preserve, aip_id: str, tmp_path: Path) -> Path:
    out = tmp_path / "export"
    out.mkdir()
    return Path(preserve.json("aip", "export", aip_id, str(out))["bag"])


def _kept_where(shown: dict) -> dict[str, str]:
    """original name -> path in the bag, for every file of the AIP that came from the transfer."""
    return {f["original_name"]: f["path"] for f in shown["files"] if f["role"] in ("original", "metadata")}


def test_every_byte_of_an_archivematica_transfer_comes_back_out(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession-2026-014")
    summary = preserve.json("ingest", str(source))
    shown = preserve.json("aip", "show", summary["aip_id"])
    kept = _kept_where(shown)
    bag = _export(preserve, summary["aip_id"], tmp_path)
    given = every_file(source)
    for relative, data in given.items():  # each file of the transfer, records and metadata alike, byte for byte
        top, _, inner = relative.partition(os.sep)
        name = original_name(inner) if top == "objects" else original_name(relative)
        stored = kept["objects/" + name if top == "objects" else name]
        assert (bag / stored).read_bytes() == data, relative
    assert len(kept) == len(given)
    assert summary["layout"].startswith("Archivematica standard transfer")
    taken = {m["path"]: m["stored_as"] for m in summary["metadata"]}
    assert (
        taken["metadata/submissionDocumentation/deposit-agreement.txt"]
        == "data/metadata/submission/submissionDocumentation/deposit-agreement.txt"
    )
    assert taken["logs/transfer-tool.log"] == "data/logs/transfer/transfer-tool.log"
    assert {"metadata/checksum.md5", "metadata/checksum.sha512", "metadata/identifiers.json"} <= set(taken)
    # empty folders, records' and metadata's, come back as folders (each holding the documented placeholder)
    for folder in empty_folders(source):
        top, _, inner = folder.partition(os.sep)
        where = bag / "data" / ("objects/" + inner if top == "objects" else "metadata/submission/" + inner)
        assert [p.name for p in where.iterdir()] == [".preserve-empty-folder"], folder
    assert len(summary["empty_folders"]) == len(empty_folders(source)) == 3
    assert preserve.json("bag", "validate", str(bag))["state"] == "valid"


def test_the_mets_describes_the_metadata_and_the_empty_folders(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    bag = _export(preserve, summary["aip_id"], tmp_path)
    mets = etree.parse(str(next((bag / "data" / "metadata").glob("METS.*.xml"))))
    groups = {g.get("USE"): g for g in mets.iter(METS + "fileGrp")}
    submission = {href_path(f.find(METS + "FLocat")): f for f in groups["submissionDocumentation"].iter(METS + "file")}
    agreement = "data/metadata/submission/submissionDocumentation/deposit-agreement.txt"
    assert submission[agreement].get("CHECKSUM") == digest(
        "sha256", (source / "metadata/submissionDocumentation/deposit-agreement.txt").read_bytes()
    )
    assert "data/metadata/bag/bagit.txt" not in submission  # a folder transfer has no bag tag files
    objects = {o.findtext(f"{PREMIS}originalName"): o for o in mets.iter(PREMIS + "object")}
    assert "metadata/checksum.md5" in objects and "logs/transfer-tool.log" in objects
    folders = {div.get("LABEL") for div in mets.iter(METS + "div") if div.get("TYPE") == "Directory" and len(div) == 0}
    assert folders == {"not yet scanned", "drafts", "photos-to-follow"}


def test_every_mets_file_location_is_a_uri_that_names_its_file_in_the_bag(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    bag = _export(preserve, summary["aip_id"], tmp_path)
    mets = etree.parse(str(next((bag / "data" / "metadata").glob("METS.*.xml"))))
    hrefs = [f.get("{http://www.w3.org/1999/xlink}href") for f in mets.iter(METS + "FLocat")]
    assert len(hrefs) == summary["counts"]["original"]["files"] + len(summary["metadata"]) and all(hrefs)
    assert any("%255C" in href for href in hrefs)  # the renaming rule's %5C, itself percent-encoded
    for href in hrefs:  # as any URI-aware tool reads it
        assert (bag / unquote(href, errors="strict")).is_file(), href


def test_the_depositors_checksums_are_checked_and_recorded(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    assert summary["checksums_checked"] == summary["counts"]["original"]["files"]
    shown = preserve.json("aip", "show", summary["aip_id"])
    minutes = next(f for f in shown["files"] if f["original_name"] == "objects/minutes/1921-vestry.txt")
    checks = [
        e
        for e in shown["events"]
        if e["file_id"] == minutes["id"] and e["type"] == "fixity check" and "depositor" in e["detail"]
    ]
    assert sorted(e["detail"].split("'s ")[1].split()[0] for e in checks) == ["MD5", "SHA1", "SHA256", "SHA512"]
    data = (source / "objects/minutes/1921-vestry.txt").read_bytes()
    assert any(e["outcome_detail"].startswith(f"md5:{digest('md5', data)} matches") for e in checks)


def test_a_file_that_does_not_match_its_checksum_refuses_the_transfer(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession", wrong="minutes/1922-vestry.txt")
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    data = (source / "objects/minutes/1922-vestry.txt").read_bytes()
    assert "2 line(s) of the depositor's checksum files do not match" in result.stderr  # md5 and sha256 lines
    assert "objects/minutes/1922-vestry.txt: does not match metadata/checksum.md5, line" in result.stderr
    assert f"found md5:{digest('md5', data)}" in result.stderr
    assert f"expected md5:{digest('md5', b'tampered')}" in result.stderr
    assert "metadata/checksum.sha256" in result.stderr
    assert_nothing_kept(preserve)


def test_a_listed_file_that_is_missing_refuses_the_transfer(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession", missing="photographs/church-porch.jpg")
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "4 line(s) of the depositor's checksum files do not match" in result.stderr
    assert "../objects/photographs/church-porch.jpg: listed in metadata/checksum.md5" in result.stderr
    assert "not in the transfer" in result.stderr
    assert_nothing_kept(preserve)


def test_links_between_the_records_and_their_metadata_are_said_to_be_inside_the_transfer(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    (source / "metadata" / "minutes-link.txt").symlink_to(source / "objects/minutes/1921-vestry.txt")
    (source / "objects" / "agreement-link.txt").symlink_to(
        source / "metadata/submissionDocumentation/deposit-agreement.txt"
    )
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    for link in ("metadata/minutes-link.txt", "objects/agreement-link.txt"):
        line = next(line for line in result.stderr.splitlines() if link in line)
        assert "(inside the transfer); links are not followed" in line, line
    assert_nothing_kept(preserve)


def test_a_file_no_checksum_lists_is_a_warning(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession", unlisted="photographs/church-porch.jpg")
    summary = preserve.json("ingest", str(source))
    assert any(
        "1 file(s) are not listed in the depositor's checksum files" in w
        and "objects/photographs/church-porch.jpg" in w
        for w in summary["warnings"]
    )


def test_names_off_old_file_servers_are_kept_under_the_renaming_rule(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    kept = _kept_where(preserve.json("aip", "show", summary["aip_id"]))
    assert kept["objects/back\\\\slash notes.txt"] == "data/objects/back%5Cslash notes.txt"
    assert kept["objects/two\\x0Alines.txt"] == "data/objects/two%0Alines.txt"
    assert kept["objects/letters/Gemeinde-B\\xFCrgerbuch.txt"] == "data/objects/letters/Gemeinde-B%FCrgerbuch.txt"
    # names that differ only in case or Unicode normalisation are both kept, the later one numbered
    assert {kept["objects/Report.txt"], kept["objects/report.txt"]} == {
        "data/objects/Report.txt",
        "data/objects/report~2.txt",
    }
    assert sorted(kept[n] for n in kept if "caf" in n) == [
        "data/objects/café-accounts.csv",
        "data/objects/café-accounts~2.csv",
    ]
    # every renamed file is listed, name clashes marked; the renaming rule's changes are warned of once
    renamed = {r["stored_as"]: r for r in summary["renamed"]}
    assert {s for s, r in renamed.items() if r["name_taken"]} == {
        "data/objects/report~2.txt",
        "data/objects/café-accounts~2.csv",
    }
    assert {s for s, r in renamed.items() if not r["name_taken"]} == {
        "data/objects/back%5Cslash notes.txt",
        "data/objects/two%0Alines.txt",
        "data/objects/bell%07.txt",
        "data/objects/letters/Gemeinde-B%FCrgerbuch.txt",
        "data/objects/café-accounts.csv",
    }  # (NFD → NFC)
    assert renamed["data/objects/two%0Alines.txt"]["path"] == "two\\x0Alines.txt"
    assert sum("changed by the renaming rule" in w for w in summary["warnings"]) == 1
    assert any("5 file name(s) changed by the renaming rule" in w for w in summary["warnings"])


def test_the_metadata_is_applied_from_metadata_json_too(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    assert summary["title"] == "Parish of St Michael: vestry records"
    shown = preserve.json("aip", "show", summary["aip_id"])
    described = (
        {(d["target"], d["element"], d["value"]) for d in shown["descriptions"]} if "descriptions" in shown else set()
    )
    assert ("objects/minutes/1921-vestry.txt", "title", "Vestry meeting, 1921") in described  # metadata.csv
    assert ("objects/letters/to the bishop.txt", "title", "Letter to the Bishop") in described  # metadata.json


def test_metadata_beside_the_records_without_objects_is_applied(preserve, tmp_path):
    """Archivematica moves everything but metadata/ into objects/: a transfer without objects/ still has its
    metadata applied, and metadata.csv at the top naming objects/… is metadata, not a record."""
    top = tmp_path / "loose"
    (top / "minutes").mkdir(parents=True)
    (top / "minutes" / "1921.txt").write_text("Vestry minutes 1921\n")
    (top / "metadata.csv").write_text("filename,dc.title\nobjects,Loose transfer\nobjects/minutes/1921.txt,Minutes\n")
    summary = preserve.json("ingest", str(top))
    assert summary["title"] == "Loose transfer" and summary["counts"]["original"]["files"] == 1
    assert summary["metadata"] == [{"path": "metadata.csv", "stored_as": "data/metadata/submission/metadata.csv"}]
    folder = tmp_path / "with-metadata-folder"
    (folder / "minutes").mkdir(parents=True)
    (folder / "minutes" / "1922.txt").write_text("Vestry minutes 1922\n")
    (folder / "metadata").mkdir()
    (folder / "metadata" / "metadata.csv").write_text("filename,dc.title\nobjects,Records beside metadata\n")
    summary = preserve.json("ingest", str(folder))
    assert summary["title"] == "Records beside metadata" and summary["counts"]["original"]["files"] == 1


def test_a_bag_of_an_archivematica_transfer_keeps_both_its_tags_and_its_metadata(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "bagged")
    for path in (source / "objects" / "letters").iterdir():  # bagit-python cannot bag names that are not UTF-8
        if path.is_file() and os.fsencode(path.name).decode("utf-8", "ignore") != path.name:
            path.unlink()
    for checksum in (source / "metadata").glob("checksum.*"):
        checksum.unlink()
    bagit.make_bag(str(source), {"Source-Organization": "Parish of St Michael"}, checksums=["sha256", "md5"])
    summary = preserve.json("ingest", str(source))
    taken = {m["path"]: m["stored_as"] for m in summary["metadata"]}
    assert taken["bag-info.txt"] == "data/metadata/bag/bag-info.txt"
    assert taken["manifest-md5.txt"] == "data/metadata/bag/manifest-md5.txt"
    assert taken["data/metadata/rights.csv"] == "data/metadata/submission/rights.csv"
    assert summary["title"] == "Parish of St Michael: vestry records"


def test_the_metadata_files_are_audited(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    stored = next((preserve.home / "storage").rglob("submissionDocumentation/deposit-agreement.txt"))
    stored.write_bytes(b"altered")
    result = preserve("audit", "--no-repair", expect=1)
    assert "deposit-agreement.txt" in result.stdout + result.stderr
    assert summary["aip_id"]


def test_identifiers_json_become_premis_object_identifiers(preserve, tmp_path):
    source = archivematica_transfer(tmp_path / "accession")
    summary = preserve.json("ingest", str(source))
    bag = _export(preserve, summary["aip_id"], tmp_path)
    mets = etree.parse(str(next((bag / "data" / "metadata").glob("METS.*.xml"))))
    objects = {o.findtext(f"{PREMIS}originalName"): o for o in mets.iter(PREMIS + "object")}
    identifiers = [
        (i.findtext(f"{PREMIS}objectIdentifierType"), i.findtext(f"{PREMIS}objectIdentifierValue"))
        for i in objects["objects/minutes/1922-vestry.txt"].iter(PREMIS + "objectIdentifier")
    ]
    assert identifiers[0][0] == "UUID" and identifiers[1:] == [("local", "PR/STM/V/2")]


def test_columns_of_no_standard_are_kept_in_the_mets_with_a_warning(preserve, tmp_path):
    """A CALM export's own columns (names with spaces and brackets) are kept as given, not refused."""
    source = tmp_path / "calm"
    (source / "objects").mkdir(parents=True)
    (source / "objects" / "deed.txt").write_text("Deed of conveyance, 1834\n")
    (source / "metadata").mkdir()
    (source / "metadata" / "metadata.csv").write_text(
        "filename,dc.title,dc.date,AltRefNo,Access Conditions (public),dcterms.extent\n"
        "objects/deed.txt,Deed of conveyance,c. 1834,D/XY/1,Open,1 item\n"
    )
    summary = preserve.json("ingest", str(source))
    assert any("AltRefNo" in w for w in summary["warnings"])
    assert any("c. 1834" in w for w in summary["warnings"])
    bag = _export(preserve, summary["aip_id"], tmp_path)
    mets = etree.parse(str(next((bag / "data" / "metadata").glob("METS.*.xml"))))
    fields = {f.get("name"): f.text for f in mets.iter("{urn:preserve:other-metadata}field")}
    assert fields == {"AltRefNo": "D/XY/1", "Access Conditions (public)": "Open"}
    assert mets.findtext(".//{http://purl.org/dc/terms/}extent") == "1 item"
    assert mets.findtext(".//{http://purl.org/dc/elements/1.1/}date") == "c. 1834"


def test_every_bad_checksum_is_named_though_a_listed_file_is_missing_too(preserve, tmp_path):
    source = archivematica_transfer(
        tmp_path / "accession", missing="photographs/church-porch.jpg", wrong="minutes/1922-vestry.txt"
    )
    result = preserve("ingest", str(source), expect=TransferError.exit_code)
    assert "../objects/photographs/church-porch.jpg: listed in metadata/checksum.md5" in result.stderr
    assert "objects/minutes/1922-vestry.txt: does not match metadata/checksum.md5" in result.stderr
    assert_nothing_kept(preserve)


def test_a_name_of_255_bytes_is_stored_shortened(preserve, tmp_path):
    source = tmp_path / "long"
    source.mkdir()
    name = "z" * 251 + ".txt"
    (source / name).write_text("a legal name, as long as a file system allows\n")
    summary = preserve.json("ingest", str(source))
    [record] = [f for f in preserve.json("aip", "show", summary["aip_id"])["files"] if f["role"] == "original"]
    assert record["original_name"] == "objects/" + name
    stored = record["path"].rsplit("/", 1)[1]
    assert len(stored.encode()) == 200 and stored.startswith("zzz") and stored.endswith(".txt")
