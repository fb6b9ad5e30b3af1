"""The catalogue: migrations, schema checks, registration, look-ups and search."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalogue import Database, head_revision
from catalogue import queries as catalogue
from catalogue.database import _alembic_config
from catalogue.models import EventAgentRow
from catalogue.record_index import record_count
from preservation.errors import CatalogueError, NotFound
from preservation.model import Agent, Aip, Event, FileRecord, FormatInfo, Replica


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/catalogue.db")
    database.upgrade()
    yield database
    database.dispose()


def _register(db, aip_id: str, title: str, names: list[str]) -> None:
    aip = Aip(
        aip_id,
        title,
        "slug",
        f"t-{aip_id}",
        f"urn:uuid:{aip_id}",
        "v1",
        len(names),
        10,
        "data/metadata/m",
        "f" * 128,
        f"2026-11-26T10:00:0{len(names)}+00:00",
    )
    files = [
        FileRecord(
            f"{aip_id[:8]}-file-{i}",
            aip_id,
            f"data/objects/{n}",
            f"objects/{n}",
            5,
            "a" * 64,
            "b" * 128,
            FormatInfo("fmt/43", "JPEG File Interchange Format", "1.01", "image/jpeg", "signature"),
        )
        for i, n in enumerate(names)
    ]
    agent = Agent("agent-1", "software", "preserve", "0.1")
    events = [
        Event(
            f"{aip_id[:8]}-ev",
            aip_id,
            "ingestion start",
            "2026-11-26T10:00:00+00:00",
            "success",
            agent_ids=("agent-1",),
        )
    ]
    with db.session() as session:
        catalogue.sync_locations(session, [("primary", "local", "aip")])
        catalogue.register_aip(session, aip, files, events, [agent], [Replica(aip_id, "primary", "v1", "r")])


def test_sqlite_runs_in_wal_mode(db):
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_schema_is_at_head_after_upgrade(db):
    assert db.current_revision() == head_revision() != ""
    db.require_current()


def test_expected_revision_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert ScriptDirectory.from_config(_alembic_config()).get_current_head() == head_revision()


def test_missing_and_out_of_date_schemas_are_refused(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/c.db")
    with pytest.raises(CatalogueError, match="there is no catalogue") as caught:
        database.require_current()
    assert "preserve init" in caught.value.hint
    database.upgrade()
    config = _alembic_config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        command.stamp(config, "base")
    with database.engine.begin() as connection:  # an older catalogue: some revision we no longer are at
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32))")
        connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('0000old')")
    with pytest.raises(CatalogueError, match="schema is at revision 0000old") as caught:
        database.require_current()
    assert "preserve upgrade" in caught.value.hint
    database.dispose()


def test_register_and_look_up(db):
    _register(db, "aaaa1111-0000-4000-8000-000000000001", "Parish minutes", ["minutes.jpg", "map.jpg"])
    _register(db, "aaaa2222-0000-4000-8000-000000000002", "School logbooks", ["logbook.jpg"])
    with db.session() as session:
        assert [a.title for a in catalogue.list_aips(session)] == ["Parish minutes", "School logbooks"]
        assert catalogue.get_aip(session, "aaaa2222").title == "School logbooks"
        assert catalogue.get_aip(session, "urn:uuid:AAAA1111-0000-4000-8000-000000000001").title == "Parish minutes"
        with pytest.raises(NotFound, match="ambiguous"):
            catalogue.get_aip(session, "aaaa")
        with pytest.raises(NotFound, match="no AIP"):
            catalogue.get_aip(session, "bbbb")
        files = list(catalogue.aip_files(session, "aaaa1111-0000-4000-8000-000000000001"))
        assert [f.path for f in files] == ["data/objects/map.jpg", "data/objects/minutes.jpg"]
        events = catalogue.aip_events(session, "aaaa1111-0000-4000-8000-000000000001")
        assert events[0].agent_ids == ("agent-1",)
        assert catalogue.format_counts(session, "aaaa1111-0000-4000-8000-000000000001") == [
            ("JPEG File Interchange Format 1.01", "fmt/43", 2, sum(f.size for f in files))
        ]


def test_a_failed_registration_leaves_nothing(db):
    aip_id = "aaaa3333-0000-4000-8000-000000000003"
    aip = Aip(aip_id, "T", "s", "t", "u", "v1", 0, 0, "m", "x", "2026-11-26T10:00:00+00:00")
    with pytest.raises(IntegrityError), db.session() as session:
        catalogue.sync_locations(session, [("primary", "local", "aip")])
        catalogue.register_aip(session, aip, [], [], [], [Replica(aip_id, "no-such-location", "v1", "r")])
    with db.session() as session:
        assert catalogue.list_aips(session) == []
        assert record_count(session) == 0


def test_an_event_recorded_later_links_its_agents_in_the_roles_their_types_give(db):
    """An archivist's decision recorded after ingest: the person implements it, the software executes it."""
    aip_id = "33333333-2222-4333-8444-555555555555"
    _register(db, aip_id, "Vestry minutes", ["a.jpg"])
    person = Agent("agent-person", "person", "A. Archivist")
    decision = Event(
        "ev-decision",
        aip_id,
        "policy assignment",
        "2026-12-04T10:00:00+00:00",
        "success",
        agent_ids=("agent-1", "agent-person"),
    )
    with db.session() as session:
        catalogue.upsert_agents(session, [person])
        catalogue.record_events(session, [decision])
    with db.session() as session:
        roles = dict(
            session.execute(
                select(EventAgentRow.agent_id, EventAgentRow.role).where(EventAgentRow.event_id == "ev-decision")
            ).all()
        )
    assert roles == {"agent-1": "executing program", "agent-person": "implementer"}
