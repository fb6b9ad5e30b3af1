"""``preserve where``: which archive the commands use, how it was chosen, and what it is made of."""

from __future__ import annotations

from typing import Any

import click

from cli.context import AppContext, app
from cli.output import emit_json, json_option
from preservation.config import LocationSettings


@click.command("where")
@json_option(help="Print it as JSON.")
@click.pass_context
def where_command(ctx: click.Context, as_json: bool) -> None:
    """Say which archive preserve is using: its home and how it was chosen (--home, PRESERVE_HOME, the
    configuration file, or the default), the configuration file, the catalogue and the storage locations.

    Nothing is created: run it to check the shell points where you think it does.
    """
    obj = app(ctx)
    settings = obj.settings
    exists = settings.config_file is not None or settings.home.is_dir()
    found: dict[str, Any] = {
        "home": str(settings.home),
        "chosen_by": obj.home_source(),
        "exists": exists,
        "config_file": str(settings.config_file) if settings.config_file else "",
        "catalogue": _catalogue(obj) if exists else "",
        "locations": [
            {
                "name": location.name,
                "backend": location.backend,
                "where": _where(location),
                "replicated": location.name in settings.replication,
            }
            for location in settings.locations
        ],
    }
    if as_json:
        emit_json(found)
        return
    click.echo(f"Archive home: {found['home']} (chosen by {found['chosen_by']})")
    if not exists:
        made_by = "any other command" if found["chosen_by"] == "the default" else "`preserve ingest`"
        click.echo(f"  It does not exist yet: `preserve init` creates it ({made_by} would too).")
    click.echo(f"Configuration: {found['config_file'] or '(none: built-in defaults)'}")
    if found["catalogue"]:
        click.echo(f"Catalogue: {found['catalogue']}")
    for location in found["locations"]:
        copies = (
            "every AIP is written here; `preserve storage status` counts any without a copy yet"
            if location["replicated"]
            else "not in [replication]"
        )
        click.echo(f"Storage location {location['name']}: {location['backend']} {location['where']} ({copies})")
    if found["chosen_by"] == "the default":
        click.echo("To use another archive: --home DIR, or export PRESERVE_HOME=DIR")


def _where(location: LocationSettings) -> str:
    """A location's folder, or its endpoint and bucket."""
    return str(location.path) if location.backend == "local" else f"{location.endpoint} {location.bucket}"


def _catalogue(obj: AppContext) -> str:
    """The catalogue's address (no password) and where its schema is, read without changing anything."""
    database = obj.database(require_current=False)
    url = database.engine.url.render_as_string(hide_password=True)
    revision = database.current_revision()
    return f"{url} (schema {revision})" if revision else f"{url} (no catalogue yet: `preserve init`)"


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(where_command)
