"""New AIP versions for corrected metadata: only what changed is stored; every version exports whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ocfl.validator import Validator

from preservation.bag_validation import validate_bag
from tests.schemas import validate_mets

pytestmark = pytest.mark.both_catalogues  # the catalogue and pipeline on SQLite and PostgreSQL


def _object(home: Path) -> Path:
    return next((home / "storage" / "primary").rglob("0=ocfl_object_1.1")).parent


def test_metadata_update_makes_a_small_new_version(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection), "--title", "Parish records")["aip_id"]
    sheet = tmp_path / "metadata.csv"
    sheet.write_text(
        "filename,dc.title,dc.creator\nobjects,Parish of St Michael: records 1890-1950,The PCC\n"
        "objects/documents/vestry-minutes-1923.pdf,Vestry minutes 1923,Vestry clerk\n"
    )
    rights = tmp_path / "rights.csv"
    rights.write_text("file,basis,note\nobjects,Policy,Open to all\n")
    result = preserve.json("aip", "update", aip[:8], "--metadata", str(sheet), "--rights", str(rights))
    assert result["version"] == "v2"
    assert "the AIP's title is now 'Parish of St Michael: records 1890-1950'" in " ".join(result["warnings"])

    obj = _object(preserve.home)
    v2 = sorted(str(p.relative_to(obj / "v2" / "content")) for p in (obj / "v2" / "content").rglob("*") if p.is_file())
    assert v2 == sorted(
        [
            "bag-info.txt",
            "bagit.txt",
            "manifest-sha256.txt",
            "manifest-sha512.txt",
            "tagmanifest-sha256.txt",
            "tagmanifest-sha512.txt",
            f"data/metadata/METS.{aip}.xml",
            "data/metadata/submission/metadata.csv",
            "data/metadata/submission/rights.csv",
        ]
    )
    validator = Validator(log_warnings=True)
    assert validator.validate_object(str(obj)), validator.status_str()

    shown = preserve.json("aip", "show", aip)
    assert shown["aip"]["head_version"] == "v2" and shown["aip"]["title"] == "Parish of St Michael: records 1890-1950"
    assert {(d["target"], d["element"]) for d in shown["descriptions"]} >= {("objects", "creator")}
    assert [r["basis"] for r in shown["rights"]] == ["Policy"]
    change = [e for e in shown["events"] if e["type"] == "metadata modification"]
    assert len(change) == 1 and "new metadata.csv" in change[0]["detail"]
    assert {r["aip_id"] for r in preserve.json("search", "vestry", "clerk")["records"]} == {aip}
    assert preserve.json("audit")["ok"] is True

    versions = preserve.json("aip", "show", aip, "--versions")["versions"]
    assert [(v["version"], v["head"]) for v in versions] == [("v1", False), ("v2", True)]

    out = tmp_path / "out"
    out.mkdir()
    latest = Path(preserve.json("aip", "export", aip, str(out))["bag"])
    first = Path(preserve.json("aip", "export", aip, str(out), "--version", "v1", "--into")["bag"])
    assert latest != first and first.name.endswith("-v1")
    for bag in (latest, first):
        assert validate_bag(bag).valid, bag
        assert validate_mets(next((bag / "data" / "metadata").glob("METS.*.xml"))) == []
    assert (latest / "data/metadata/submission/rights.csv").exists()
    assert not (first / "data/metadata/submission").exists()
    names = [json.dumps(sorted(p.name for p in (bag / "data/objects").rglob("*"))) for bag in (first, latest)]
    assert names[0] == names[1]

    before = preserve.json("aip", "show", aip)
    preserve.lose_catalogue()
    preserve.json("catalogue", "rebuild")
    after = preserve.json("aip", "show", aip)
    assert after["aip"]["head_version"] == "v2" and after["descriptions"] == before["descriptions"]
    assert sorted(e["id"] for e in after["events"]) == sorted(e["id"] for e in before["events"])


def test_an_update_with_a_bad_sheet_changes_nothing(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    sheet = tmp_path / "metadata.csv"
    sheet.write_text("filename,dc.title\nobjects/not-there.pdf,Nothing\n")
    result = preserve("aip", "update", aip, "--metadata", str(sheet), expect=20)
    assert "row 2: filename 'objects/not-there.pdf' is not in the transfer" in result.stderr
    assert not (_object(preserve.home) / "v2").exists()
    assert preserve.json("aip", "show", aip)["aip"]["head_version"] == "v1"


def test_an_update_warns_of_what_it_kept_but_is_unusual(preserve, collection, tmp_path):
    aip = preserve.json("ingest", str(collection))["aip_id"]
    rights = tmp_path / "rights.csv"
    rights.write_text("file,basis,note,Shelf mark\nobjects,Policy,Open to all,B/12\n")
    result = preserve.json("aip", "update", aip, "--rights", str(rights))
    [warning] = result["warnings"]
    assert "rights.csv: row 1: column 4 'Shelf mark' is not a rights.csv column" in warning
    text = preserve("aip", "update", aip, "--rights", str(rights)).stdout
    assert f"warning: {rights}: row 1: column 4 'Shelf mark'" in text
