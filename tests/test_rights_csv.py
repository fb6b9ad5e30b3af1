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
HEADER = ("file,basis,status,determination_date,jurisdiction,start_date,end_date,note,grant_act,"
          "grant_restriction,grant_start_date,grant_end_date,grant_note\n")
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
    bad = HEADER + (
        "objects/nothing-here.pdf,Copyright,copyrighted,,gb,,,,,,,,\n"
        "objects,Copyleft,,,,,,,,,,,\n"
        "objects,Copyright,copyrighted,,,,,,,,,,\n"
        "objects,Copyright,maybe,,gb,,,,,,,,\n"
        "objects,License,,,,1st May,,,,,,,\n"
        "objects,License,,,,,,,disseminate,,,,\n"
    )
    result = preserve("ingest", str(_transfer(collection, tmp_path, bad)), expect=TransferError.exit_code)
    stderr = result.stderr
    assert "rights.csv: row 2: file 'objects/nothing-here.pdf' is not in the transfer" in stderr
    assert "rights.csv: row 3: basis 'Copyleft' is not one of" in stderr
    assert "rights.csv: row 4: copyright rights need a jurisdiction" in stderr
    assert "rights.csv: row 5: copyright status 'maybe' is not one of" in stderr
    assert "rights.csv: row 6: start_date '1st May' is not a date" in stderr
    assert "rights.csv: row 7: grant_act needs a grant_restriction" in stderr
    assert_nothing_kept(preserve)


def test_a_rights_file_given_on_the_command_line(preserve, collection, tmp_path):
    sheet = tmp_path / "rights.csv"
    sheet.write_text("file,basis,note\nobjects,Policy,Closed under the archive's access policy\n")
    summary = preserve.json("ingest", str(collection), "--rights", str(sheet))
    rights = preserve.json("aip", "show", summary["aip_id"])["rights"]
    assert [(r["target"], r["basis"]) for r in rights] == [("objects", "Policy")]
