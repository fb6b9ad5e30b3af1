"""The catalogue database: engine set-up (SQLite in WAL mode), schema state and migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Engine, Update, create_engine, event, inspect, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from preservation.errors import CatalogueError

MIGRATIONS = Path(__file__).parent / "migrations"
# The migration this version of preserve expects the catalogue to be at (a test checks that it is
# Alembic's head); commands compare with it without loading Alembic, which only `upgrade` needs.
SCHEMA_REVISION = "0029"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL mode, foreign keys and a busy timeout."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # noqa: ANN001 - DB-API connection
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA mmap_size=1073741824")  # reads straight from the page cache: searches
            cursor.close()

    return engine


def rows_changed(session: Session, statement: Update | Delete) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed."""
    # Session.execute is typed as returning a Result; for an UPDATE or DELETE it is a CursorResult
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def _alembic_config():
    from alembic.config import Config  # here, not above: Alembic adds ~0.15 s to start-up and only migrating needs it  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The schema revision this version of preserve expects."""
    return SCHEMA_REVISION


class Database:
    """A connection pool to one catalogue, with its schema state and migrations."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def current_revision(self) -> str:
        """The schema revision the database is at ('' when it has no catalogue yet)."""
        try:
            with self.engine.connect() as connection:
                if not inspect(connection).has_table("alembic_version"):
                    return ""
                return connection.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
        except OperationalError as exc:
            raise CatalogueError(
                f"cannot open the catalogue at {self.url}: {exc.orig}",
                hint="Check [catalogue] url in preserve.toml, and that the database server is running.",
            ) from exc

    def upgrade(self) -> tuple[str, str]:
        """Migrate the schema to the head revision; return (before, after)."""
        before = self.current_revision()
        self.migrate("head")
        return before, self.current_revision()

    def migrate(self, revision: str) -> None:
        """Upgrade or downgrade the schema to ``revision``. On SQLite foreign keys are off meanwhile: a migration
        that rebuilds a table (Alembic's batch mode drops and recreates it) would otherwise delete, by cascade,
        every row that refers to it."""
        from alembic import command  # here, not above: see _alembic_config  # noqa: PLC0415

        config = _alembic_config()
        with self.engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    current = (
                        connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                        if inspect(connection).has_table("alembic_version")
                        else None
                    )
                    if revision == "head" or current is None or (revision != "base" and revision > current):
                        command.upgrade(config, revision)
                    else:
                        command.downgrade(config, revision)
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise CatalogueError(
                            f"{self.url}: the migration to {revision} left rows referring to "
                            "rows that are gone; nothing was changed",
                            hint="Report the problem (the database is as it was before the migration).",
                        )
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()

    def require_current(self) -> None:
        """Refuse to work on a catalogue whose schema is not the one this version expects."""
        current, head = self.current_revision(), head_revision()
        if current == head:
            return
        if not current:
            raise CatalogueError(
                f"there is no catalogue at {self.url}", hint="Run `preserve init` to create the archive."
            )
        raise CatalogueError(
            f"the catalogue schema is at revision {current}, this version of preserve needs {head}",
            hint="Back up the catalogue, then run `preserve upgrade`.",
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed as one transaction, or rolled back on any error."""
        session: Session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
