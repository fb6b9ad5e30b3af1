"""``preserve init`` and ``preserve upgrade``: create an archive home, migrate its catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from access.decisions import refresh_everything
from catalogue import Database
from cli.archive_home import initialise_home
from cli.context import app
from cli.output import emit_json, json_option
from preservation.config import CONFIG_NAME, load_settings, render_config
from preservation.errors import ConfigError


@click.command("init")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default="Unnamed archive", show_default=True, help="Your organisation, recorded as an agent.")
@json_option(help="Print the result as JSON.")
@click.pass_context
def init_command(ctx: click.Context, directory: Path | None, name: str, as_json: bool) -> None:
    """Create an archive home: preserve.toml, default policies, the catalogue and local storage.

    DIRECTORY defaults to the archive home (--home, $PRESERVE_HOME or the user data directory).
    Running it again is safe: existing files are kept and the catalogue is migrated if needed.
    """
    obj = app(ctx)
    home = (directory or obj.home or load_settings(None, obj.config).home).expanduser().resolve()
    config_file = obj.config or home / CONFIG_NAME
    created_config = False
    if not config_file.exists():
        if obj.config:
            raise ConfigError(f"{config_file}: configuration file not found")
        home.mkdir(parents=True, exist_ok=True)
        config_file.write_text(render_config(name), encoding="utf-8")
        created_config = True
    settings = load_settings(home, config_file)
    database = Database(settings.catalogue_url)
    try:
        result = initialise_home(settings, database)
    finally:
        database.dispose()
    result["config_written"] = created_config
    if as_json:
        emit_json(result)
        return
    click.echo(f"Archive home: {result['home']}")
    click.echo(f"Configuration: {config_file}{' (new)' if created_config else ''}")
    schema = result["schema"]
    if schema["before"] == schema["after"]:
        click.echo(f"Catalogue: {settings.catalogue_url} (schema {schema['after']}, up to date)")
    else:
        click.echo(f"Catalogue: {settings.catalogue_url} (schema {schema['before'] or 'new'} -> {schema['after']})")
    click.echo(f"Storage locations: {', '.join(result['locations'])}")
    click.echo(f"To use this archive from every command in this shell: export PRESERVE_HOME={home}")
    click.echo("Next: preserve ingest FOLDER --title 'A title'")


@click.command("upgrade")
@json_option(help="Print the result as JSON.")
@click.pass_context
def upgrade_command(ctx: click.Context, as_json: bool) -> None:
    """Migrate the catalogue to the schema this version of preserve needs (back it up first)."""
    obj = app(ctx)
    database = obj.database(require_current=False)
    before, after = database.upgrade()
    if before and before != after:  # access and the records index may be new or computed differently now
        refresh_everything(obj.settings, database)
    if as_json:
        emit_json({"before": before or None, "after": after})
    elif before == after:
        click.echo(f"The catalogue is up to date (schema {after}).")
    else:
        click.echo(f"Catalogue migrated: {before or 'new'} -> {after}.")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(init_command)
    group.add_command(upgrade_command)
