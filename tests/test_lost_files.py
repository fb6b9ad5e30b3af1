"""Lost files (no intact copy in any location): the catalogue's table and functions, `aip show`, the fixity
report, a rebuild, and migration 0017 on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from catalogue import Database
from catalogue import queries as catalogue
from catalogue.lost import every_lost_file, forget_lost_file, lost_files, replace_lost_files
from preservation.config import load_settings
from preservation.model import Aip, FileRecord, FormatInfo, LostFile, Replica

NOTES = "data/objects/documents/transcription-notes.txt"
TOWER = "data/objects/photographs/church-tower.png"
WHEN = "2026-12-08T02:31:07+00:00"


def _lost(aip_id: str, path: str, *states: tuple[str, str]) -> LostFile:
    return LostFile(aip_id, path, f"v1/content/{path}", tuple(states) or (("primary", "missing"),), WHEN)


def _database(preserve) -> Database:
    return Database(load_settings(preserve.home).catalogue_url)


def _record(preserve, aip_id: str, lost: list[LostFile]) -> None:
    database = _database(preserve)
    try:
        with database.session() as session:
            replace_lost_files(session, aip_id, lost)
    finally:
        database.dispose()


@pytest.mark.both_catalogues
def test_an_audit_replaces_what_it_found_and_a_restored_file_is_forgotten(preserve, collection):
    first = preserve.json("ingest", str(collection))["aip_id"]
    second = preserve.json("ingest", str(collection), "--title", "Second accession")["aip_id"]
    database = _database(preserve)
    try:
        with database.session() as session:
            assert lost_files(session, first) == [] and every_lost_file(session) == []
            replace_lost_files(
                session,
                first,
                [
                    _lost(first, TOWER, ("primary", "checksum mismatch (SHA-256)"), ("offsite", "missing")),
                    _lost(first, NOTES, ("primary", "size 3, expected 1204")),
                ],
            )
            replace_lost_files(session, second, [_lost(second, "data/objects/é [draft].txt")])
        with database.session() as session:
            found = lost_files(session, first)
            assert [f.path for f in found] == [NOTES, TOWER]  # by path
            assert found[1] == LostFile(
                first,
                TOWER,
                f"v1/content/{TOWER}",
                (("primary", "checksum mismatch (SHA-256)"), ("offsite", "missing")),
                WHEN,
            )
            everything = every_lost_file(session)
            assert [(f.aip_id, f.path) for f in everything] == sorted(
                [(first, NOTES), (first, TOWER), (second, "data/objects/é [draft].txt")]
            )

            replace_lost_files(session, first, [_lost(first, TOWER, ("primary", "missing"))])  # the next audit
        with database.session() as session:
            assert [(f.path, f.states) for f in lost_files(session, first)] == [(TOWER, (("primary", "missing"),))]
            assert len(lost_files(session, second)) == 1, "another AIP's lost files are left alone"

            forget_lost_file(session, first, f"v1/content/{TOWER}")  # restored from outside
            forget_lost_file(session, first, "v1/content/no/such/file")  # nothing to forget: no error
        with database.session() as session:
            assert lost_files(session, first) == []
            replace_lost_files(session, second, [])  # an audit that found every file intact somewhere
        with database.session() as session:
            assert every_lost_file(session) == []
            with pytest.raises(ValueError, match="another AIP"):
                replace_lost_files(session, first, [_lost(second, NOTES)])
    finally:
        database.dispose()


@pytest.mark.both_catalogues
def test_aip_show_lists_lost_files_with_each_locations_state_and_how_to_restore_them(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    assert preserve.json("aip", "show", aip_id)["lost"] == []
    assert "Lost files" not in preserve("aip", "show", aip_id).stdout

    _record(
        preserve,
        aip_id,
        [
            _lost(aip_id, TOWER, ("primary", "checksum mismatch (SHA-256)"), ("offsite", "missing")),
            _lost(aip_id, "data/objects/[draft] notes.txt", ("primary", "missing")),
        ],
    )
    shown = preserve.json("aip", "show", aip_id[:8])
    assert shown["lost"] == [
        {
            "path": "data/objects/[draft] notes.txt",
            "key": "v1/content/data/objects/[draft] notes.txt",
            "states": {"primary": "missing"},
            "found_at": WHEN,
        },
        {
            "path": TOWER,
            "key": f"v1/content/{TOWER}",
            "states": {"primary": "checksum mismatch (SHA-256)", "offsite": "missing"},
            "found_at": WHEN,
        },
    ]
    out = preserve("aip", "show", aip_id).stdout
    assert "2 lost files: no intact copy in any location" in out
    section = out[out.index("Lost files — no intact copy in any location") :]
    assert section.index("data/objects/[draft] notes.txt") < section.index(TOWER)  # escaped, not rich markup
    assert "primary: checksum mismatch (SHA-256)" in section and "offsite: missing" in section
    assert f"preserve aip repair {aip_id} --file PATH --from FILE" in " ".join(section.split())


def test_the_fixity_report_lists_lost_files_by_aip_and_exits_1(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    other = preserve.json("ingest", str(collection), "--title", "Intact accession")["aip_id"]
    [clean] = preserve.json("report", "fixity")
    assert clean["lost_files"] == [] and clean["damaged_copies"] == 0
    assert "Lost files —" not in preserve("report", "fixity").stdout

    _record(preserve, aip_id, [_lost(aip_id, TOWER, ("primary", "checksum mismatch (SHA-256)"))])
    [report] = preserve.json("report", "fixity", expect=1)  # the AIP's copies are not counted damaged here
    assert report["damaged_copies"] == 0
    title = preserve.json("aip", "show", aip_id)["aip"]["title"]
    assert report["lost_files"] == [
        {
            "aip_id": aip_id,
            "title": title,
            "files": [
                {
                    "path": TOWER,
                    "key": f"v1/content/{TOWER}",
                    "states": {"primary": "checksum mismatch (SHA-256)"},
                    "found_at": WHEN,
                }
            ],
        }
    ]
    assert other not in str(report["lost_files"])
    out = preserve("report", "fixity", expect=1).stdout
    section = out[out.index("Lost files — no intact copy in any location") :]
    assert aip_id in section and TOWER in section and "primary: checksum mismatch (SHA-256)" in section
    assert "preserve aip repair ID --file PATH --from FILE" in " ".join(section.split())
    html = preserve.home / "fixity.html"
    preserve("report", "fixity", "--html", str(html), expect=1)
    page = html.read_text(encoding="utf-8")
    lost = page[page.index("Lost files — no intact copy in any location") :]
    assert aip_id in lost and TOWER in lost and "primary: checksum mismatch (SHA-256)" in lost

    _record(preserve, aip_id, [])  # restored, and the next audit found every file intact
    preserve.json("report", "fixity", expect=0)


@pytest.mark.both_catalogues
def test_a_rebuild_starts_with_no_lost_files_until_the_next_audit(preserve, collection):
    aip_id = preserve.json("ingest", str(collection))["aip_id"]
    _record(preserve, aip_id, [_lost(aip_id, TOWER)])
    preserve.lose_catalogue()
    assert preserve.json("catalogue", "rebuild")["aips"] == 1
    assert preserve.json("aip", "show", aip_id)["lost"] == []


def _register(database: Database, aip_id: str) -> None:
    """A registered AIP of one file, with its copy in 'primary' (ids fit the columns on PostgreSQL too)."""
    aip = Aip(
        aip_id,
        "Parish minutes",
        "parish-minutes",
        aip_id[::-1],
        f"urn:uuid:{aip_id}",
        "v1",
        1,
        5,
        "data/metadata/mets.xml",
        "f" * 128,
        WHEN,
    )
    record = FileRecord(
        aip_id[:-1] + "f",
        aip_id,
        "data/objects/minutes.jpg",
        "objects/minutes.jpg",
        5,
        "a" * 64,
        "b" * 128,
        FormatInfo("fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature"),
    )
    with database.session() as session:
        catalogue.sync_locations(session, [("primary", "local", "aip")])
        catalogue.register_aip(session, aip, [record], [], [], [Replica(aip_id, "primary", "v1", "r")])


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_catalogue(request, tmp_path):
    """An empty catalogue database on SQLite or on the tests' PostgreSQL cluster."""
    url = (
        f"sqlite:///{tmp_path}/catalogue.db"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_server").create_database()
    )
    database = Database(url)
    yield database
    database.dispose()


def test_migration_0017_adds_and_drops_the_table_and_keeps_every_aip(empty_catalogue):
    database = empty_catalogue
    aip_id = "aaaa1111-0000-4000-8000-000000000001"
    database.migrate("0016")
    _register(database, aip_id)
    database.migrate("0017")
    assert database.current_revision() == "0017"
    with database.engine.connect() as connection:
        table = inspect(connection)
        assert table.get_pk_constraint("lost_files")["constrained_columns"] == ["aip_id", "key"]
        [foreign] = table.get_foreign_keys("lost_files")
        assert (foreign["referred_table"], foreign["constrained_columns"]) == ("aips", ["aip_id"])
        assert {c["name"] for c in table.get_columns("lost_files")} == {"aip_id", "path", "key", "states", "found_at"}
    with database.session() as session:
        replace_lost_files(session, aip_id, [_lost(aip_id, "data/objects/minutes.jpg")])
    with database.session() as session:
        assert [f.path for f in every_lost_file(session)] == ["data/objects/minutes.jpg"]

    database.migrate("0016")
    with database.engine.connect() as connection:
        assert not inspect(connection).has_table("lost_files")
        assert connection.execute(text("SELECT count(*) FROM aips")).scalar() == 1
        assert connection.execute(text("SELECT count(*) FROM files")).scalar() == 1
    database.upgrade()
    with database.session() as session:
        assert every_lost_file(session) == []
        replace_lost_files(session, aip_id, [_lost(aip_id, "data/objects/minutes.jpg")])
    with database.engine.begin() as connection:  # an AIP's lost files go with it
        connection.execute(text("DELETE FROM aips"))
    with database.session() as session:
        assert every_lost_file(session) == []
