"""``preserve formats``: the PRONOM signature set an archive identifies files with."""

from __future__ import annotations

from pathlib import Path

import click

from cli.context import app
from cli.output import emit_json, json_option
from formats.active import active_signature_file, import_droid
from formats.identify import load_signatures


@click.group("formats")
def formats_group() -> None:
    """Manage the PRONOM signatures used to identify files."""


@formats_group.command("import-droid")
@click.argument("signature_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("container_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option(help="Print the result as JSON.")
@click.pass_context
def import_droid_command(ctx: click.Context, signature_file: Path, container_file: Path | None, as_json: bool) -> None:
    """Compile DROID signature files from The National Archives and make them the active set.

    SIGNATURE_FILE is a DROID_SignatureFile_VNNN.xml; CONTAINER_FILE, optional, a
    container-signature-YYYYMMDD.xml. The compiled set is kept in the archive home; every later
    identification (ingest, `preserve identify`) uses it and records its version.
    """
    home = app(ctx).settings.home
    path, compiled = import_droid(home, signature_file, container_file)
    summary = _summary(compiled) | {"file": str(path), "active": True}
    if as_json:
        emit_json(summary)
        return
    click.echo(
        f"Imported {compiled.version}: {summary['formats']} formats, {summary['signatures']} byte "
        f"signatures, {summary['containers']} container signatures."
    )
    click.echo(f"Active signature set: {path}")


@formats_group.command("active")
@json_option(help="Print as JSON.")
@click.pass_context
def active_command(ctx: click.Context, as_json: bool) -> None:
    """Show the signature set in use."""
    path = active_signature_file(app(ctx).settings.home)
    summary = _summary(load_signatures(path)) | {"file": str(path) if path else "built in (FIDO's signature data)"}
    if as_json:
        emit_json(summary)
        return
    click.echo(
        f"{summary['version']}: {summary['formats']} formats, {summary['signatures']} byte signatures, "
        f"{summary['containers']} container signatures ({summary['file']})"
    )


def _summary(signatures) -> dict:
    return {
        "version": signatures.version,
        "formats": len(signatures.formats),
        "signatures": sum(len(f.signatures) for f in signatures.formats),
        "containers": len(signatures.containers),
    }


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(formats_group)
