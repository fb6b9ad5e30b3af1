"""A catalogue rebuilt from storage alone, compared with the one it replaces table by table, field by field.

Everything the AIPs and their event logs record comes back; what is deliberately not rebuilt is listed
below with the reason, and the test fails if any other table or column differs (or if a new table
appears that nobody has classified).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import MetaData, create_engine, select

from preservation.config import load_settings
from storage.ocfl import object_root
from tests.test_metadata_csv import ARCHIVAL as METADATA
from tests.test_rights_csv import GOOD as RIGHTS
from tests.transfer_fixtures import archivematica_transfer

pytestmark = pytest.mark.both_catalogues  # a rebuild into SQLite and into PostgreSQL

BMP_PUIDS = '["fmt/114", "fmt/115", "fmt/116", "fmt/117", "fmt/118", "fmt/119"]'  # normalised to TIFF (Pillow)

# Tables a rebuild leaves empty, and why: operational data, not preservation data. They live only in the
# database, which operators back up (docs/setting-up.md); no AIP or event log records them.
NOT_REBUILT_TABLES = {
    "users": "portal accounts (and password hashes): never written to storage",
    "requests": "researchers' requests: operational; a delivery itself is a dissemination event and comes back",
    "request_items": "the records in those requests",
    "outbox": "messages to people, sent or waiting",
    "ingests": "the record of ingest runs (host, pid, source path, errors); the AIP keeps its ingestion events",
}
# Tables not compared row by row, and why (what stands in for them is checked instead).
NOT_COMPARED_PREFIXES = {
    "records_fts": "SQLite's full-text index of `records` (FTS5 shadow tables): its pages depend on the order "
    "rows were indexed in; `records` itself is compared, and searches are compared",
}

# Columns not rebuilt, and why. Everything else must be equal.
NOT_REBUILT_COLUMNS = {
    ("storage_locations", "created_at"): "when this catalogue first knew the location: a fact about the "
    "database, not about any AIP (a rebuild writes its own time)",
    ("fixity_checks", "id"): "surrogate key; the rows themselves come back, keyed below by what they are",
    ("descriptions", "id"): "surrogate key",
    ("rights", "id"): "surrogate key",
    ("records", "id"): "surrogate key of the search index, which is worked out again",
    ("oai_items", "datestamp"): "when the OAI-PMH provider saw the record change: after a rebuild, the rebuild's "
    "time, so harvesters take every record again (docs/discovery.md)",
}
# Rows keyed by what they are where the primary key is a surrogate (other tables: all their columns).
NATURAL_KEYS = {
    "fixity_checks": ("aip_id", "location", "kind", "checked_at"),
    "descriptions": ("aip_id", "target", "position"),
}

# An Archivematica transfer's metadata.csv with every kind of column: the archival ones (before the others, as
# a CALM export has them), Dublin Core, DCMI terms and columns of no standard (kept as other.*). The METS keeps
# them in three dmdSecs (DC with dc and dcterms, EAD, OTHER); a file below is described by other columns alone.
AM_METADATA = (
    "\ufefffilename,reference,level,parent,dc.title,dc.date,dcterms.isPartOf,dc.subject,dc.subject,"
    "dcterms.extent,AltRefNo,RecordType\r\n"
    "objects,PR/STM,collection,,Parish of St Michael: vestry records,1921/1923,Parish records of Cornwall,Vestry,"
    "Parish government,12 files,STM 1,Collection\r\n"
    "objects/minutes/,PR/STM/V,series,PR/STM,Vestry minutes,1921/1922,,Meetings,,2 files,STM 1/V,Series\r\n"
    'objects/minutes/1921-vestry.txt,,,,"Vestry meeting, 1921",1921-04-04,Vestry minutes,,,1 page,STM 1/V/1,\r\n'
    "objects/photographs/church-porch.jpg,,,,,,,,,,STM 1/P/1,Item\r\n"
)
# Its rights.csv with every column rights.csv has, and one it does not know (Accession, kept as notes): every
# basis; a licence and a statute each with a note beside its terms or citation; documentation identifiers;
# an end date with no start; grant columns without a grant_act (kept as notes); a note that reads like
# "column: value" but is none; a licence with terms alone.
AM_RIGHTS = (
    "file,basis,status,determination_date,jurisdiction,start_date,end_date,terms,citation,note,grant_act,"
    "grant_restriction,grant_start_date,grant_end_date,grant_note,doc_id_type,doc_id_value,doc_id_role,Accession\n"
    "objects,Copyright,copyrighted,2026-01-01,gb,1921-01-01,open,,,Crown copyright,disseminate,Allow,2026-01-01,"
    "open,Reading room only,URI,https://example.org/rights/1,copyright notice,ACC/2026/14\n"
    "objects/minutes/,License,,,,2020-01-01,,CC BY 4.0,,With credit to the PCC,publish,Conditional,,,"
    "Credit the PCC,URI,https://creativecommons.org/licenses/by/4.0/,licence,ACC/2026/14\n"
    'objects/letters/to the bishop.txt,Statute,,2026-02-01,gb,,2040,,"Data Protection Act 2018, s. 26",'
    "Personal data: closed until 2040,disseminate,Disallow,2026,2040,,,,,\n"
    "objects/photographs/church-porch.jpg,Donor,,,,1923,,,,Deposited by the PCC,,,,,,Agreement,DA/14,"
    "deposit agreement,\n"
    "objects/Report.txt,Policy,,,,,,,,,,,,,Kept under the archive's policy,,,,ACC/2026/15\n"
    "objects/empty-file.txt,License,,,,,,Open Government Licence v3.0,,,,,,,,,,,\n"
)


def _explained(table: str, field: str, was: object, now: object, row: dict) -> str:
    """Why a difference is expected ('' when it is not), for the few fields storage does not hold as the
    catalogue did. Each is allowed, not required, so the test keeps passing once the cause is fixed."""
    return ""


def _dump(home: Path) -> dict[str, dict[tuple, list[dict]]]:
    """Every row of every table of the catalogue, by table and by key (its primary key, its natural key, or
    the whole row)."""
    engine = create_engine(load_settings(home).catalogue_url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        dump = {}
        with engine.connect() as connection:
            for name, table in metadata.tables.items():
                skip = {column for table_name, column in NOT_REBUILT_COLUMNS if table_name == name}
                key = NATURAL_KEYS.get(name) or [c.name for c in table.primary_key.columns if c.name not in skip]
                rows: dict[tuple, list[dict]] = {}
                for row in connection.execute(select(table)):
                    fields = {k: v for k, v in row._mapping.items() if k not in skip}
                    identity = (
                        _rights_key(fields)
                        if name == "rights"
                        else tuple(fields[k] for k in key)
                        if key
                        else tuple(sorted(fields.items(), key=str))
                    )
                    rows.setdefault(identity, []).append(fields)
                dump[name] = rows
        return dump
    finally:
        engine.dispose()


def _compared(name: str) -> bool:
    return name not in NOT_REBUILT_TABLES and not any(name.startswith(p) for p in NOT_COMPARED_PREFIXES)


def _differences(before: dict, after: dict) -> tuple[list[str], list[str]]:
    """What differs in every compared table, one line per field (or per row missing or extra): (unexplained,
    explained)."""
    found = [f"table {name} is new or gone" for name in set(before) ^ set(after)]
    explained = []
    for name in sorted(filter(_compared, set(before) & set(after))):
        old, new = before[name], after[name]
        for identity in sorted(set(old) | set(new), key=str):
            if identity not in new:
                found.append(f"{name} {identity}: not rebuilt")
            elif identity not in old:
                found.append(f"{name} {identity}: appeared in the rebuild")
            elif len(old[identity]) != len(new[identity]):
                found.append(f"{name} {identity}: {len(old[identity])} rows became {len(new[identity])}")
            else:
                for a, b in zip(old[identity], new[identity], strict=True):
                    for field, was in a.items():
                        if (now := b[field]) != was:
                            line = f"{name} {identity} {field}: {was!r} became {now!r}"
                            (explained if _explained(name, field, was, now, a) else found).append(line)
    return found, explained


def _rights_key(fields: dict) -> tuple:
    """A rights row by what it is (AIP, target, basis, rights.csv row), so a statement rebuilt differently shows
    as that statement changed, not as one row missing and another extra."""
    return fields["aip_id"], fields["target"], fields["basis"], json.loads(fields["statement"])["source_row"]


def _transfer(collection: Path, tmp_path: Path) -> Path:
    """The sample collection with a bitmap to normalise, a truncated JPEG, personal data, metadata and rights."""
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    Image.new("RGB", (40, 30), "olive").save(transfer / "objects" / "photographs" / "plan.bmp")
    photo = transfer / "objects" / "photographs" / "harbour-1923.jpg"
    photo.write_bytes(photo.read_bytes()[:11000])  # invalid, with Pillow's messages
    (transfer / "objects" / "registers").mkdir()
    (transfer / "objects" / "registers" / "members.csv").write_text(
        "name,ni,email\nA. Smith,AB 12 34 56 C,a.smith@example.org\nB. Jones,CE 65 43 21 A,b.jones@example.org\n"
    )
    (transfer / "metadata").mkdir()
    (transfer / "metadata" / "metadata.csv").write_text(METADATA)
    (transfer / "metadata" / "rights.csv").write_text(RIGHTS)
    return transfer


def _damage(home_of_location: Path, aip_id: str) -> None:
    """Change a payload file of one copy behind the archive's back."""
    notes = home_of_location / object_root(f"urn:uuid:{aip_id}") / "v1/content/data/objects/documents"
    (notes / "transcription-notes.txt").write_bytes(b"damaged")


def _history(preserve, collection: Path, tmp_path: Path) -> tuple[str, str]:
    """Two AIPs in two locations (and a third, copied to later), audited in full and by metadata, one copy
    damaged and repaired, one damaged and left so, access decided: something in every preservation table."""
    (preserve.home / "policies" / "formats.toml").write_text(
        f'version = 2\n[default]\npreservation = "keep"\n[[format]]\npuids = {BMP_PUIDS}\npreservation = "tiff"\n'
    )
    preserve("storage", "add", "second", "--backend", "local", "--path", str(tmp_path / "second"))
    first = preserve.json("ingest", str(_transfer(collection, tmp_path)))["aip_id"]
    second = preserve.json("ingest", str(collection), "--title", "Second accession")["aip_id"]
    preserve("storage", "add", "third", "--backend", "local", "--path", str(tmp_path / "third"), "--no-replicate")
    assert preserve.json("storage", "replicate", "third")["copied"] == 2
    assert preserve.json("audit")["ok"] is True
    _damage(tmp_path / "second", second)
    assert preserve.json("audit", "--aip", second)["found_damage"] is True  # and repaired from another copy
    assert preserve.json("audit", "--metadata-only", "--location", "third")["ok"] is True
    preserve("access", "set", second, "--closed-until", "2080-01-01", "--reason", "Depositor's agreement")
    preserve("access", "set", first, "--path", "objects/registers", "--restricted", "--reason", "Personal data")
    preserve("access", "set", "DRO/52/1", "--open", "--reason", "Reviewed")
    _damage(tmp_path / "third", first)
    assert preserve.json("audit", "--aip", first, "--location", "third", "--no-repair", expect=1)["ok"] is False
    return first, second


def _searches(preserve) -> list:
    return [preserve.json("search", *words)["records"] for words in (("vestry",), ("harbour",), ("members",))]


def _fixity_report(preserve) -> dict:
    """The fixity report by location; a month's bytes read leave out failed checks' (see _explained)."""
    report = {r["name"]: r for r in preserve.json("report", "fixity", expect=1)}  # 1: a copy is damaged
    for location in report.values():
        for month in location["months"]:
            month.pop("bytes_read")
    return report


def test_a_rebuilt_catalogue_equals_the_original_field_by_field(preserve, collection, tmp_path):
    first, second = _history(preserve, collection, tmp_path)
    before = _dump(preserve.home)
    for table in ("replicas", "fixity_checks", "access_decisions", "units", "rights", "descriptions", "records"):
        assert before[table], f"the scenario leaves nothing in {table} to compare"
    files = {row[0]["path"]: row[0] for row in before["files"].values() if row[0]["aip_id"] == first}
    assert json.loads(files["data/objects/photographs/harbour-1923.jpg"]["validation"])["messages"]
    assert files["data/derivatives/preservation/photographs/plan.bmp.tif"]["derived_from"]
    assert files["data/objects/registers/members.csv"]["review"] == "pending review"
    assert {row[0]["outcome"] for row in before["fixity_checks"].values()} == {"ok", "repaired", "damaged"}
    assert before["aips"][(first,)][0]["status"] == "damaged"
    assert before["replicas"][(first, "third")][0]["metadata_checked_at"]
    searches, report = _searches(preserve), _fixity_report(preserve)

    preserve.lose_catalogue()
    rebuilt = preserve.json("catalogue", "rebuild", expect=0)
    assert (rebuilt["aips"], rebuilt["fixity_checks"], rebuilt["problems"]) == (2, len(before["fixity_checks"]), [])
    after = _dump(preserve.home)

    unexplained, _ = _differences(before, after)
    assert unexplained == []
    for table in NOT_REBUILT_TABLES:
        assert after[table] == {}, table
    assert _searches(preserve) == searches
    assert _fixity_report(preserve) == report
    for location in report.values():  # nothing "never checked" or overdue, as before the rebuild
        assert (location["checked_aips"], location["overdue_aips"]) == (2, 0) and location["last_check"]
    assert report["third"]["damaged_copies"] == 1


def _statements(dump: dict, aip_id: str) -> dict[str, list[dict]]:
    """The rights statements of an AIP by target, as the catalogue holds them."""
    found: dict[str, list[dict]] = {}
    for (aip, target, _, _), rows in sorted(dump["rights"].items()):
        if aip == aip_id:
            found.setdefault(target, []).extend(json.loads(row["statement"]) for row in rows)
    return found


def test_an_archivematica_transfer_comes_back_field_by_field(preserve, tmp_path):
    transfer = archivematica_transfer(tmp_path / "transfer")
    (transfer / "metadata" / "metadata.csv").write_bytes(AM_METADATA.encode("utf-8"))
    (transfer / "metadata" / "rights.csv").write_text(AM_RIGHTS, encoding="utf-8")
    aip_id = preserve.json("ingest", str(transfer))["aip_id"]
    before = _dump(preserve.home)
    elements = {row[0]["element"] for row in before["descriptions"].values()}
    assert {
        "dcterms.isPartOf",
        "dcterms.extent",
        "other.AltRefNo",
        "other.RecordType",
        "archival.reference",
        "title",
    } <= elements
    statements = _statements(before, aip_id)
    licence = statements["minutes/1921-vestry.txt"][0]
    assert (licence["terms"], licence["note"], licence["doc_id_role"], licence["extra"]) == (
        "CC BY 4.0",
        "With credit to the PCC",
        "licence",
        [["Accession", "ACC/2026/14"]],
    )
    bishop = statements["letters/to the bishop.txt"][0]
    assert (bishop["citation"], bishop["note"], bishop["start_date"]) == (
        "Data Protection Act 2018, s. 26",
        "Personal data: closed until 2040",
        "",
    )
    assert statements["Report.txt"][0]["extra"] == [
        ["Accession", "ACC/2026/15"],
        ["grant_note", "Kept under the archive's policy"],
    ]
    assert statements["empty-file.txt"][0]["terms"] == "Open Government Licence v3.0"

    preserve.lose_catalogue()
    rebuilt = preserve.json("catalogue", "rebuild", expect=0)
    assert (rebuilt["aips"], rebuilt["problems"]) == (1, [])
    after = _dump(preserve.home)

    unexplained, _ = _differences(before, after)
    assert unexplained == [], "\n".join(unexplained)
    assert _statements(after, aip_id) == statements
