"""What every command shares: the settings and the catalogue of the archive in use."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from preservation.config import Settings, load_settings
from preservation.errors import CatalogueError

if TYPE_CHECKING:
    from catalogue import Database


@dataclass
class AppContext:
    """Built once per invocation from the global options; settings and catalogue are opened lazily."""

    home: Path | None = None
    config: Path | None = None
    debug: bool = False
    given: dict[str, str] = field(default_factory=dict)  # "home"/"config" -> "option" or "environment"
    may_create: bool = False  # the command stores something (ingest): a named archive that is not there is made
    _settings: Settings | None = field(default=None, repr=False)
    _database: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        """The archive's settings."""
        if self._settings is None:
            self._settings = load_settings(self.home, self.config)
        return self._settings

    def home_source(self) -> str:
        """How the archive home was chosen, in words: --home, PRESERVE_HOME, the configuration file, or the default."""
        if self.home is not None:
            from_env = self.given.get("home") == "environment" or (not self.given and os.environ.get("PRESERVE_HOME"))
            return "PRESERVE_HOME" if from_env else "--home"
        if os.environ.get("PRESERVE_HOME"):
            return "PRESERVE_HOME"
        if self.config is not None or os.environ.get("PRESERVE_CONFIG"):
            return "the configuration file's folder"
        return "the default"

    def database(self, *, require_current: bool = True) -> Database:
        """The catalogue; the embedded default archive is created on first use."""
        if self._database is None:
            # imported here: SQLAlchemy takes ~0.25 s to import, and commands without a catalogue (identify,
            # validate, bag) should not pay it
            from catalogue import Database  # noqa: PLC0415

            self._refuse_a_home_not_there()
            database = Database(self.settings.catalogue_url)
            if require_current:
                self._ensure_ready(database)
            self._database = database  # only once it is ready: a later call must not get one that failed
        return self._database

    def _refuse_a_home_not_there(self) -> None:
        """A home named by --home or PRESERVE_HOME that does not exist is made only by a command that stores
        something: a mistyped path must not become an empty archive that seems to have lost every AIP."""
        settings = self.settings
        named = self.home_source() in ("--home", "PRESERVE_HOME")
        if named and settings.config_file is None and not settings.home.exists() and not self.may_create:
            raise CatalogueError(
                f"no archive at {settings.home} (named by {self.home_source()})",
                hint="Check the path for a typo (`preserve where` says which archive is in use); "
                f"`preserve init {settings.home}` creates an archive there.",
            )

    def _ensure_ready(self, database: Database) -> None:
        if self.settings.config_file is None and not database.current_revision():
            if self.home_source() == "the default":  # loudly: a forgotten PRESERVE_HOME must not look like lost AIPs
                click.secho(
                    f"Note: no archive was named (--home or PRESERVE_HOME), so a new, empty archive is being created "
                    f"at the default place, {self.settings.home}.\n"
                    "      If your AIPs are in another archive, point at it: export PRESERVE_HOME=/path/to/it "
                    "(`preserve where` says which archive is in use).",
                    fg="yellow",
                    err=True,
                )
            else:
                click.echo(f"Creating the archive at {self.settings.home} (named by {self.home_source()})", err=True)
            from cli.archive_home import initialise_home  # noqa: PLC0415 - needs the catalogue: see database()

            initialise_home(self.settings, database)
        database.require_current()

    def close(self) -> None:
        """Release the catalogue's connections."""
        if self._database is not None:
            self._database.dispose()


def app(ctx: click.Context) -> AppContext:
    """The AppContext of the running command."""
    obj = ctx.find_object(AppContext)
    assert obj is not None  # the top-level group makes one before any command runs
    return obj


def is_terminal() -> bool:
    """True when progress can be drawn (stderr is a terminal)."""
    return sys.stderr.isatty()
