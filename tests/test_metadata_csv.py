"""Dublin Core from metadata.csv: into the METS, the catalogue and search; bad spreadsheets refused by row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree

from preservation.errors import TransferError
from tests.schemas import validate_mets
from tests.test_ingest_bad_input import assert_nothing_kept

pytestmark = pytest.mark.both_catalogues  # the catalogue and pipeline on SQLite and PostgreSQL

METS = "{http://www.loc.gov/METS/}"
DC = "{http://purl.org/dc/elements/1.1/}"

GOOD = (
    "filename,dc.title,dc.creator,dc.date,dc.subject,dc.subject\n"
    "objects,Parish of St Michael: records,Parish of St Michael,1890/1950,Parishes,Cornwall\n"
    "objects/photographs/,Photographs of the harbour and church,,1923,,\n"
    "objects/documents/vestry-minutes-1923.pdf,Vestry minutes 1923,Vestry clerk,1923-04-04,Clocks,Bells\n"
)


def _standard_transfer(collection: Path, tmp_path: Path, csv_text: str) -> Path:
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text(csv_text, encoding="utf-8")
    return transfer


def test_descriptions_reach_mets_catalogue_and_search(preserve, collection, tmp_path):
    transfer = _standard_transfer(collection, tmp_path, GOOD)
    summary = preserve.json("ingest", str(transfer))
    assert summary["counts"]["original"]["files"] == 11 and summary["title"] == "Parish of St Michael: records"
    shown = preserve.json("aip", "show", summary["aip_id"])
    described = {(d["target"], d["element"]): d["value"] for d in shown["descriptions"]}
    assert described[("objects", "creator")] == "Parish of St Michael"
    assert described[("objects/documents/vestry-minutes-1923.pdf", "creator")] == "Vestry clerk"
    subjects = [d["value"] for d in shown["descriptions"] if d["target"] == "objects" and d["element"] == "subject"]
    assert subjects == ["Parishes", "Cornwall"]
    assert [h["path"] for h in preserve.json("search", "vestry", "clerk")["records"]] == [
        "documents/vestry-minutes-1923.pdf"
    ]
    assert [(h["aip_id"], h["path"]) for h in preserve.json("search", "Cornwall")["records"]] == [
        (summary["aip_id"], "")
    ]

    mets_path = next((preserve.home / "storage").rglob("METS.*.xml"))
    assert validate_mets(mets_path) == []
    tree = etree.parse(str(mets_path))
    sections = {s.get("ID"): s for s in tree.iter(f"{METS}dmdSec")}
    assert len(sections) == 3
    pdf_div = next(d for d in tree.iter(f"{METS}div") if d.get("LABEL") == "vestry-minutes-1923.pdf")
    assert sections[pdf_div.get("DMDID")].findtext(f".//{DC}title") == "Vestry minutes 1923"
    folder_div = next(d for d in tree.iter(f"{METS}div") if d.get("LABEL") == "photographs")
    assert sections[folder_div.get("DMDID")].findtext(f".//{DC}date") == "1923"
    kept = next((preserve.home / "storage").rglob("submission/metadata.csv"))
    assert kept.read_text(encoding="utf-8") == GOOD


def test_an_explicit_metadata_file_for_a_plain_folder(preserve, collection, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("filename,dc.title\nobjects/audio/oral-history-interview.wav,Interview with Mrs Rowe\n")
    summary = preserve.json("ingest", str(collection), "--metadata", str(sheet))
    shown = preserve.json("aip", "show", summary["aip_id"])
    assert shown["descriptions"] == [
        {"target": "objects/audio/oral-history-interview.wav", "element": "title", "value": "Interview with Mrs Rowe"}
    ]
    # the sheet is kept like anything else the depositor gave: described in the METS, catalogued, audited
    assert summary["metadata"] == [
        {"path": "(given with --metadata) sheet.csv", "stored_as": "data/metadata/submission/sheet.csv"}
    ]
    kept = next(f for f in shown["files"] if f["path"] == "data/metadata/submission/sheet.csv")
    assert kept["role"] == "metadata" and kept["size"] == sheet.stat().st_size
    mets = next((preserve.home / "storage").rglob("METS.*.xml")).read_text(encoding="utf-8")
    assert "data/metadata/submission/sheet.csv" in mets


def test_a_sheet_given_with_the_ingest_stands_in_for_the_transfers_own_with_a_warning(preserve, collection, tmp_path):
    transfer = _standard_transfer(collection, tmp_path, GOOD)
    sheet = tmp_path / "metadata.csv"
    sheet.write_text("filename,dc.title\nobjects,Corrected title\n")
    summary = preserve.json("ingest", str(transfer), "--metadata", str(sheet))
    assert summary["title"] == "Corrected title"
    assert any(
        "metadata/metadata.csv: kept, but not applied: the metadata.csv given with --metadata is applied instead" in w
        for w in summary["warnings"]
    )
    assert {m["stored_as"] for m in summary["metadata"]} >= {
        "data/metadata/submission/metadata.csv",
        "data/metadata/submission/metadata~2.csv",
    }


def test_a_filename_without_objects_is_refused_naming_the_name_to_use(preserve, collection, tmp_path):
    sheet = "filename,dc.title\ndocuments/vestry-minutes-1923.pdf,Minutes\n"
    transfer = _standard_transfer(collection, tmp_path, sheet)
    result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
    assert (
        "row 2: filename 'documents/vestry-minutes-1923.pdf' does not start with objects/ — the transfer "
        "holds it as 'objects/documents/vestry-minutes-1923.pdf'"
    ) in result.stderr


def test_unknown_filenames_are_refused_by_row(preserve, collection, tmp_path):
    bad = (
        "filename,dc.title,notes\n"
        "objects/documents/vestry-minutes-1923.pdf,Minutes,x\n"
        "objects/documents/no-such-file.pdf,Missing,y\n"
        "objects/documents/vestry-minutes-1923.pdf,Again,z\n"
    )
    transfer = _standard_transfer(collection, tmp_path, bad)
    result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
    assert "metadata.csv: row 3: filename 'objects/documents/no-such-file.pdf' is not in the transfer" in result.stderr
    assert (
        "metadata.csv: row 4: 'objects/documents/vestry-minutes-1923.pdf' is described again (row 2)" in result.stderr
    )
    assert "notes" not in result.stderr  # an unknown column is kept with a warning, not refused
    assert_nothing_kept(preserve)


def test_a_date_that_is_not_edtf_is_kept_and_searched_as_text(preserve, collection, tmp_path):
    sheet = "filename,dc.title,dc.date\r\nobjects/documents/vestry-minutes-1923.pdf,Vestry minutes,Spring 1923\r\n"
    transfer = _standard_transfer(collection, tmp_path, "")
    (transfer / "metadata" / "metadata.csv").write_bytes(b"\xef\xbb\xbf" + sheet.encode("utf-8"))
    summary = preserve.json("ingest", str(transfer))
    assert (
        "metadata/metadata.csv: row 2: dc.date 'Spring 1923' is not an EDTF date; kept as given and searched "
        "as text (not used for date filters)"
    ) in summary["warnings"]
    described = preserve.json("aip", "show", summary["aip_id"])["descriptions"]
    assert {
        "target": "objects/documents/vestry-minutes-1923.pdf",
        "element": "date",
        "value": "Spring 1923",
    } in described
    assert [h["path"] for h in preserve.json("search", "spring")["records"]] == ["documents/vestry-minutes-1923.pdf"]


def test_a_sheet_without_filename_or_in_the_wrong_encoding_is_refused(preserve, collection, tmp_path):
    transfer = _standard_transfer(collection, tmp_path, "dc.title\nSomething\n")
    result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
    assert "row 1 has no 'filename' column" in result.stderr
    (transfer / "metadata" / "metadata.csv").write_bytes("filename,dc.title\nobjects,Caf\xe9\n".encode("latin-1"))
    result = preserve("ingest", str(transfer), expect=TransferError.exit_code)
    assert "metadata.csv: line 2 is not UTF-8 text" in result.stderr
    assert_nothing_kept(preserve)


def test_a_spreadsheet_saved_with_a_byte_order_mark_is_fine(preserve, collection, tmp_path):
    transfer = _standard_transfer(collection, tmp_path, "")
    (transfer / "metadata" / "metadata.csv").write_bytes(b"\xef\xbb\xbffilename,dc.title\r\nobjects,Records\r\n")
    assert preserve.json("ingest", str(transfer))["title"] == "Records"


ARCHIVAL = (
    "filename,reference,level,parent,dc.title,dc.date,closure\n"
    "objects,DRO/52,collection,,Parish of St Michael: records,1890/1950,\n"
    "objects/documents/,DRO/52/1,series,DRO/52,Vestry papers,1920/1929,\n"
    "objects/documents/vestry-minutes-1923.pdf,DRO/52/1/3,item,DRO/52/1,Vestry minutes 1923,1923-04,personal-data\n"
)


def test_archival_description_reaches_mets_as_ead_and_survives_a_rebuild(preserve, collection, tmp_path):
    transfer = _standard_transfer(collection, tmp_path, ARCHIVAL)
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    mets = sorted((preserve.home / "storage" / "primary").rglob("METS.*.xml"))[-1]
    assert validate_mets(mets) == []
    tree = etree.parse(str(mets))
    ead = "{urn:isbn:1-931666-22-9}"
    components = {c.findtext(f"{ead}did/{ead}unitid"): c for c in tree.iter(f"{ead}c")}
    assert set(components) == {"DRO/52", "DRO/52/1", "DRO/52/1/3"}
    item = components["DRO/52/1/3"]
    assert item.get("level") == "item" and item.find(f"{ead}accessrestrict").get("type") == "personal-data"
    assert [u.text for u in item.iterfind(f"{ead}did/{ead}unitid") if u.get("type") == "parent"] == ["DRO/52/1"]
    div = next(d for d in tree.iter(f"{METS}div") if d.get("LABEL") == "vestry-minutes-1923.pdf")
    assert len(div.get("DMDID").split()) == 2  # Dublin Core and EAD

    before = preserve.json("aip", "show", aip_id)["descriptions"]
    assert {
        "target": "objects/documents/vestry-minutes-1923.pdf",
        "element": "archival.parent",
        "value": "DRO/52/1",
    } in before
    preserve.lose_catalogue()
    preserve("catalogue", "rebuild")
    assert preserve.json("aip", "show", aip_id)["descriptions"] == before


@pytest.mark.parametrize(
    "csv_text, problem",
    [
        ("filename,reference,level\nobjects,DRO/1,fonds\n", "level 'fonds' is not a level of description"),
        ("filename,level\nobjects,series\n", "needs a reference code"),
        ("filename,reference,dc.date\nobjects,DRO/1,May 1923\n", "'May 1923' is not an EDTF date"),
        ("filename,reference,dc.date\nobjects,DRO/1,1929/1920\n", "ends before it starts"),
        ("filename,reference,closure\nobjects,DRO/1,secret\n", "closure 'secret' is not a kind"),
        ("filename,reference,parent\nobjects,DRO/1,DRO/1\n", "is its own parent"),
        ("filename,reference,parent\nobjects,DRO/1,DRO/9\n", "parent 'DRO/9' is not described"),
        ("filename,reference,parent\nobjects,DRO/1,DRO/2\nobjects/documents/,DRO/2,DRO/1\n", "is its own ancestor"),
        ("filename,reference\nobjects,DRO/1\nobjects/documents/,DRO/1\n", "reference 'DRO/1' is used again"),
    ],
)
def test_a_bad_archival_description_is_refused_naming_the_row(preserve, collection, tmp_path, csv_text, problem):
    transfer = _standard_transfer(collection, tmp_path, csv_text)
    result = preserve("ingest", str(transfer), expect=20)
    assert problem in result.stderr
    assert preserve.json("aip", "list") == []


def test_a_reference_code_is_unique_and_a_parent_may_be_held_already(preserve, collection, tmp_path):
    first = _standard_transfer(collection, tmp_path / "a", "filename,reference,level\nobjects,DRO/52,collection\n")
    preserve.json("ingest", str(first))
    again = _standard_transfer(collection, tmp_path / "b", "filename,reference\nobjects,DRO/52\n")
    assert "reference 'DRO/52' is already used by AIP" in preserve("ingest", str(again), expect=20).stderr
    child = _standard_transfer(
        collection, tmp_path / "c", "filename,reference,level,parent\nobjects,DRO/52/2,series,DRO/52\n"
    )
    preserve.json("ingest", str(child))  # its parent is the collection ingested first
