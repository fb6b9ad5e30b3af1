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

pytestmark = pytest.mark.both_catalogues  # a rebuild into SQLite and into PostgreSQL

BMP_PUIDS = '["fmt/114", "fmt/115", "fmt/116", "fmt/117", "fmt/118", "fmt/119"]'  # normalised to TIFF (Pillow)

# Tables a rebuild leaves empty, and why: operational data, not preservation data. They live only in the
# database, which operators back up (DESIGN.md, docs/setting-up.md); no AIP or event log records them.
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
}
# Rows keyed by what they are where the primary key is a surrogate (other tables: all their columns).
NATURAL_KEYS = {"fixity_checks": ("aip_id", "location", "kind", "checked_at"),
                "descriptions": ("aip_id", "target", "position")}


def _explained(table: str, field: str, was: object, now: object, row: dict) -> str:
    """Why a difference is expected ('' when it is not), for the few fields storage does not hold as the
    catalogue did. Each is allowed, not required, so the test keeps passing once the cause is fixed."""
    if table == "fixity_checks" and field in ("files", "bytes") and row["outcome"] != "ok" and now == 0:
        return ("a fixity check event that found damage lists the problems, not the files and bytes read "
                "(preservation/fixity.py _check_event); a rebuild records 0")
    if table == "event_agents" and field == "role" and (was, now) == ("executing program", "implementer"):
        return ("the catalogue recorded a person as 'executing program' where the event log in storage, the "
                "record, says 'implementer' (catalogue.record_events called without roles for access "
                "decisions); the rebuild follows storage")
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
                    identity = tuple(fields[k] for k in key) if key else tuple(sorted(fields.items(), key=str))
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


def _transfer(collection: Path, tmp_path: Path) -> Path:
    """The sample collection with a bitmap to normalise, a truncated JPEG, personal data, metadata and rights."""
    transfer = tmp_path / "transfer"
    shutil.copytree(collection, transfer / "objects")
    Image.new("RGB", (40, 30), "olive").save(transfer / "objects" / "photographs" / "plan.bmp")
    photo = transfer / "objects" / "photographs" / "harbour-1923.jpg"
    photo.write_bytes(photo.read_bytes()[:11000])  # invalid, with Pillow's messages
    (transfer / "objects" / "registers").mkdir()
    (transfer / "objects" / "registers" / "members.csv").write_text(
        "name,ni,email\nA. Smith,AB 12 34 56 C,a.smith@example.org\nB. Jones,CE 65 43 21 A,b.jones@example.org\n")
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
        f'version = 2\n[default]\npreservation = "keep"\n[[format]]\npuids = {BMP_PUIDS}\npreservation = "tiff"\n')
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
