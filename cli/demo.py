"""``preserve demo``: the whole path on a built-in sample collection, with no servers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import click

from catalogue import queries as catalogue
from cli.aip import export_command, list_command
from cli.archive_home import initialise_home
from cli.audit import audit_command
from cli.context import AppContext, app
from cli.ingest import ingest_command
from cli.search import search_command
from cli.storage import status_command as storage_status
from ingest.samples import SAMPLE_TITLE, make_sample_collection
from preservation.config import CONFIG_NAME, render_config
from storage import seaweedfs


def _step(number: int, text: str) -> None:
    click.echo("")
    click.secho(f"== {number}. {text}", bold=True)


@click.command("demo")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".demo"),
    show_default=True,
    help="Where the sample collection and the exported bag are written.",
)
@click.option(
    "--s3", "with_s3", is_flag=True, help="Also keep every AIP in a local S3 server (SeaweedFS) started for the demo."
)
@click.pass_context
def demo_command(ctx: click.Context, workdir: Path, with_s3: bool) -> None:
    """Ingest a generated sample collection, audit it, search it and export it again.

    Uses the archive home in effect (--home or $PRESERVE_HOME; `make demo` points it at
    .demo/home so your own archive is not touched). With --s3 (`make demo-s3`) the archive has
    two locations, the local disk and an S3 bucket on a SeaweedFS server run for the demo.
    """
    obj = app(ctx)
    workdir = workdir.resolve()
    if not with_s3:
        _run(ctx, obj, workdir)
        return
    _step(0, "Starting a local S3 server (SeaweedFS) for the demo")
    server = seaweedfs.start(workdir / "seaweedfs")
    try:
        server.client().create_bucket(Bucket="preserve-demo")
        os.environ.update(
            AWS_ACCESS_KEY_ID=seaweedfs.ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=seaweedfs.SECRET_KEY,
            AWS_DEFAULT_REGION="us-east-1",
        )
        home = obj.settings.home
        home.mkdir(parents=True, exist_ok=True)
        config = render_config("Demo Archive Service")
        (home / CONFIG_NAME).write_text(
            config.replace('locations = ["primary"]', 'locations = ["primary", "offsite"]')
            + f'\n[[storage]]\nname = "offsite"\nbackend = "s3"\nendpoint = "{server.endpoint}"\n'
            'bucket = "preserve-demo"\nprefix = "aips"\npurpose = "replica"\n',
            encoding="utf-8",
        )
        obj._settings = None  # read the configuration just written
        click.echo(f"   S3 endpoint {server.endpoint}, bucket preserve-demo; locations: primary (disk), offsite (S3)")

        def where_the_copies_are() -> None:
            _step(8, "Where the copies are")
            ctx.invoke(storage_status, as_json=False)

        _run(ctx, obj, workdir, where_the_copies_are)
    finally:
        server.stop()


def _run(ctx: click.Context, obj: AppContext, workdir: Path, last_step: Callable[[], None] | None = None) -> None:
    sample = workdir / "sample-collection"
    _step(1, f"Generating a sample collection in {sample}")
    for path in make_sample_collection(sample):
        click.echo(f"   {path.relative_to(sample)}  ({path.stat().st_size} bytes)")

    obj.may_create = True  # the demo makes the archive it was given
    _step(2, f"Preparing the archive at {obj.settings.home}")
    initialise_home(obj.settings, obj.database(require_current=False))
    click.echo("   catalogue, default policies and local storage ready")

    _step(3, "Ingesting the collection (digests, PRONOM identification, BagIt + METS/PREMIS, OCFL, verify)")
    ctx.invoke(
        ingest_command,
        path=sample,
        title=SAMPLE_TITLE,
        metadata=None,
        rights=None,
        archivist="demo archivist",
        transfer=None,
        as_json=False,
    )
    with obj.database().session() as session:
        aip = catalogue.list_aips(session)[0]

    _step(4, "What the archive holds")
    ctx.invoke(list_command, as_json=False)

    _step(5, "Auditing every stored copy against the ingest digests")
    try:
        ctx.invoke(audit_command, aip_id=aip.id, as_json=False)
    except click.exceptions.Exit as exit_:
        if exit_.exit_code:
            raise

    _step(6, 'Searching the catalogue for "minutes"')
    ctx.invoke(search_command, text=("minutes",), as_json=False)

    _step(7, "Exporting the AIP as a BagIt bag, validated (RFC 8493) before it appears")
    export_dir = workdir / "export"
    export_dir.mkdir(parents=True, exist_ok=True)
    ctx.invoke(export_command, aip_id=aip.id, dest=export_dir, as_="dir", version=None, into=True, as_json=False)
    if last_step is not None:
        last_step()

    click.echo("")
    click.secho("Done.", bold=True, fg="green")
    click.echo(f"Look around: preserve --home {obj.settings.home} aip show {aip.id[:8]}")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(demo_command)
