"""PREMIS rights from rights.csv: into the METS (schema-valid) and the catalogue; bad rows refused by number."""

from __future__ import annotations

import shutil
from pathlib import Path

from lxml import etree

from preservation.errors import TransferError
from tests.schemas import validate_mets
from tests.test_ingest_bad_input import assert_nothing_kept

PREMIS = "{http://www.loc.gov/premis/v3}"
METS = "{http://www.loc.gov/METS/}"
HEADER = (
    "file,basis,status,determination_date,jurisdiction,start_date,end_date,note,grant_act,"
    "grant_restriction,grant_start_date,grant_end_date,grant_note\n"
)
GOOD = HEADER + (
    "objects,Copyright,copyrighted,2026-11-01,gb,1890,2040,Crown copyright,disseminate,Allow,2026,,Reading room\n"
    "objects/photographs/,License,,,,2020-01-01,,CC BY 4.0,publish,Conditional,,,With credit\n"
    "objects/documents/vestry-minutes-1923.pdf,Donor,,,,1923,open,Deposited by the PCC,disseminate,Disallow,"
    "2026,2036,Closed for ten years\n"
)


def _transfer(collection: Path, tmp_path: Path, rights: str) -> Path:
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "rights.csv").write_text(rights, encoding="utf-8")
    return transfer


def test_a_value_its_basis_has_no_place_for_is_kept_in_the_mets_as_a_note(preserve, collection, tmp_path):
    """A donor agreement given a status and a jurisdiction: PREMIS's other-rights block has no place for either."""
    sheet = HEADER + "objects,Donor,copyrighted,2026-11-01,gb,1923,,Deposited by the PCC,disseminate,Allow,,,\n"
    summary = preserve.json("ingest", str(_transfer(collection, tmp_path, sheet)))
    for column, value in (("status", "copyrighted"), ("jurisdiction", "gb"), ("determination_date", "2026-11-01")):
        assert any(
            f"row 2: {column} {value!r} has no place in donor rights in PREMIS; kept as a note" in w
            for w in summary["warnings"]
        ), column
    tree = etree.parse(str(next((preserve.home / "storage").rglob("METS.*.xml"))))
    notes = [n.text for n in tree.iter(f"{PREMIS}otherRightsNote")]
    assert notes == [
        "Deposited by the PCC",
        "status: copyrighted",
        "jurisdiction: gb",
        "determination_date: 2026-11-01",
    ]


def test_rights_reach_the_mets_and_the_catalogue(preserve, collection, tmp_path):
    summary = preserve.json("ingest", str(_transfer(collection, tmp_path, GOOD)))
    shown = preserve.json("aip", "show", summary["aip_id"])
    by_target = {}
    for statement in shown["rights"]:
        by_target.setdefault(statement["target"], []).append(statement)
    assert by_target["objects"][0]["basis"] == "Copyright" and by_target["objects"][0]["jurisdiction"] == "gb"
    photos = [t for t in by_target if t.startswith("objects/photographs/")]
    assert len(photos) == 3 and all(by_target[t][0]["basis"] == "License" for t in photos)
    pdf = by_target["objects/documents/vestry-minutes-1923.pdf"][0]
    assert (pdf["act"], pdf["restriction"], pdf["grant_end_date"]) == ("disseminate", "Disallow", "2036")

    mets_path = next((preserve.home / "storage").rglob("METS.*.xml"))
    assert validate_mets(mets_path) == []
    tree = etree.parse(str(mets_path))
    statements = list(tree.iter(f"{PREMIS}rightsStatement"))
    assert len(statements) == 1 + 3 + 1
    aip_amd = next(tree.iter(f"{METS}amdSec"))
    assert aip_amd.find(f".//{PREMIS}copyrightStatus").text == "copyrighted"
    assert {s.findtext(f"{PREMIS}rightsBasis") for s in statements} == {"Copyright", "License", "Donor"}
    donor = next(s for s in statements if s.findtext(f"{PREMIS}rightsBasis") == "Donor")
    assert donor.findtext(f"{PREMIS}otherRightsInformation/{PREMIS}otherRightsBasis") == "Donor"
    assert donor.findtext(f"{PREMIS}rightsGranted/{PREMIS}restriction") == "Disallow"
    assert donor.find(f"{PREMIS}linkingObjectIdentifier") is not None
    assert next((preserve.home / "storage").rglob("submission/rights.csv")).read_text() == GOOD


def test_bad_rights_rows_are_refused_by_number(preserve, collection, tmp_path):
    bad = (
        HEADER.rstrip("\n")
        + ",citation\n"
        + (
            "objects/nothing-here.pdf,Copyright,copyrighted,,gb,,,,,,,,,\n"
            "objects,Copyleft,,,,,,,,,,,,\n"
            "objects,Copyright,copyrighted,,,,,,,,,,,\n"
            "objects,Copyright,maybe,,gb,,,,,,,,,\n"
            "objects,License,,,,1st May,,,,,,,,\n"
            "objects,License,,,,,,,disseminate,,,,,\n"
            "objects,Statute,,,gb,,,,,,,,,\n"
            "objects,,,,,,,,,,,,,\n"
        )
    )
    result = preserve("ingest", str(_transfer(collection, tmp_path, bad)), expect=TransferError.exit_code)
    stderr = result.stderr
    assert "rights.csv: row 2: file 'objects/nothing-here.pdf' is not in the transfer" in stderr
    assert "rights.csv: row 4: copyright rights need a jurisdiction" in stderr
    assert "rights.csv: row 8: statute rights need the statute's citation (citation column)" in stderr
    assert "rights.csv: row 9: no basis" in stderr
    for kept in ("row 3", "row 5", "row 6", "row 7"):  # outside the vocabulary, not EDTF, no restriction: kept
        assert f"rights.csv: {kept}:" not in stderr
    assert_nothing_kept(preserve)


# Archivematica's own columns and values, as its sample rights.csv writes them (lowercase bases, free text in
# status, a grant with no restriction), saved by Excel: a byte-order mark and CRLF line ends.
ARCHIVEMATICA = (
    "\ufefffile,basis,status,determination_date,jurisdiction,start_date,end_date,terms,citation,note,grant_act,"
    "grant_restriction,grant_start_date,grant_end_date,grant_note,doc_id_type,doc_id_value,doc_id_role,Notes\r\n"
    "objects/documents/vestry-minutes-1923.pdf,copyright,copyright status,2001-01-01,Canada,2002-02-02,2003-03-03,"
    ",,Note 1,Act 1,Allow,2004-04-04,2005-05-05,Grant note 1,local,DEP/1,deposit agreement,Checked\r\n"
    "objects/photographs/,license,,,,1982-01-01,open,License terms,,Note license,Act license,Allow,,,,,,,\r\n"
    "objects,statute,,1972-02-02,Canada,c. 1966,open,,Citation,Note statute,Act statute,Allow,,,,,,,\r\n"
    "objects/audio/oral-history-interview.wav,donor,,,,,,,,,Act donor,,,,,,,,\r\n"
)


def test_archivematicas_columns_are_kept_with_warnings(preserve, collection, tmp_path):
    transfer = _transfer(collection, tmp_path, "")
    (transfer / "metadata" / "rights.csv").write_bytes(ARCHIVEMATICA.encode("utf-8"))
    summary = preserve.json("ingest", str(transfer))
    warnings = summary["warnings"]
    assert any("metadata/rights.csv: row 1: column 19 'Notes' is not a rights.csv column" in w for w in warnings)
    assert any("metadata/rights.csv: row 2: copyright status 'copyright status'" in w for w in warnings)
    assert any(
        "metadata/rights.csv: row 4: start_date 'c. 1966' is not an EDTF date; kept as given" in w for w in warnings
    )
    shown = {r["target"]: r for r in preserve.json("aip", "show", summary["aip_id"])["rights"]}
    pdf = shown["objects/documents/vestry-minutes-1923.pdf"]
    assert (pdf["basis"], pdf["status"], pdf["doc_id_value"], pdf["extra"]) == (
        "Copyright",
        "copyright status",
        "DEP/1",
        [["Notes", "Checked"]],
    )
    assert shown["objects"]["citation"] == "Citation" and shown["objects"]["start_date"] == "c. 1966"

    mets_path = next((preserve.home / "storage").rglob("METS.*.xml"))
    assert validate_mets(mets_path) == []
    tree = etree.parse(str(mets_path))
    assert "Notes: Checked" in [n.text for n in tree.iter(f"{PREMIS}copyrightNote")]
    assert [s.text for s in tree.iter(f"{PREMIS}copyrightStatus")] == ["copyright status"]
    assert next(tree.iter(f"{PREMIS}statuteCitation")).text == "Citation"


def test_a_rights_file_given_on_the_command_line(preserve, collection, tmp_path):
    sheet = tmp_path / "rights.csv"
    sheet.write_text("file,basis,note\nobjects,Policy,Closed under the archive's access policy\n")
    summary = preserve.json("ingest", str(collection), "--rights", str(sheet))
    rights = preserve.json("aip", "show", summary["aip_id"])["rights"]
    assert [(r["target"], r["basis"]) for r in rights] == [("objects", "Policy")]
