"""``preserve ingest``: a folder becomes a stored, verified, registered AIP."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cli.context import app, is_terminal
from cli.output import console, emit_json, esc, human_size, table
from ingest.pipeline import IngestReport, IngestRequest
from ingest.pipeline import Progress as PipelineProgress
from ingest.pipeline import ingest as run_ingest


class BarProgress(PipelineProgress):
    """Shows ingest progress as a bar on the terminal (stderr)."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[done]}/{task.fields[count]} files"),
            DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(), console=Console(stderr=True),
            transient=True,
        )
        self.files_task = None
        self.done = 0

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.bar.stop()

    def start(self, files: int, size: int) -> None:
        self.files_task = self.bar.add_task("Storing", total=size, done=0, count=files)

    def advance(self, size: int) -> None:
        self.done += 1
        self.bar.update(self.files_task, advance=size, done=self.done)

    def stage(self, text: str) -> None:
        self.bar.console.print(f"[dim]{text}…[/dim]")


@click.command("ingest")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--title", help="Title of the AIP (default: the folder's name).")
@click.option("--metadata", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A metadata.csv of Dublin Core (filename column of objects/… paths, then dc.* columns).")
@click.option("--rights", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A rights.csv (Archivematica's columns: file, basis, status, jurisdiction, grant_act, …).")
@click.option("--archivist", envvar="PRESERVE_ARCHIVIST",
              help="Who is ingesting, recorded as a PREMIS agent (default: $PRESERVE_ARCHIVIST, else your login name).")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
@click.pass_context
def ingest_command(
    ctx: click.Context, path: Path, title: str | None, metadata: Path | None, rights: Path | None,
    archivist: str | None, as_json: bool,
) -> None:
    """Ingest the folder PATH as a new AIP.

    Every file is read once for its SHA-256 and SHA-512, identified against PRONOM, stored in
    each replication location as an OCFL object holding a BagIt bag with a METS/PREMIS record,
    read back and verified, and only then registered in the catalogue. If anything fails,
    nothing is registered or left in storage, and the source folder is never changed.
    """
    obj = app(ctx)
    database = obj.database()
    request = IngestRequest(source=path, title=title or "", archivist=archivist or "", metadata=metadata,
                            rights=rights)
    if is_terminal() and not as_json:
        with BarProgress() as progress:
            report = run_ingest(obj.settings, database, request, progress)
    else:
        report = run_ingest(obj.settings, database, request)
    if as_json:
        emit_json(_summary(report))
        return
    _print_report(report)


def _summary(report: IngestReport) -> dict:
    return {
        "aip_id": report.aip_id,
        "title": report.title,
        "bag_name": report.bag_name,
        "files": report.files,
        "bytes": report.bytes,
        "formats": [{"puid": puid, "name": name, "files": count} for puid, name, count in report.formats],
        "locations": report.locations,
        "seconds": report.seconds,
        "warnings": report.warnings,
        "duplicates": [{"path": d.path, "held_in_aip": d.held_in_aip, "held_as": d.held_as}
                       for d in report.duplicates],
        "virus_check": report.virus_check,
        "quarantined": [{"path": path, "signature": name} for path, name in report.quarantined],
    }


def _print_report(report: IngestReport) -> None:
    out = console()
    out.print(f"Stored AIP [bold]{report.aip_id}[/bold] — {esc(report.title)}")
    out.print(f"  {report.files} files, {human_size(report.bytes)}, in {report.seconds:.1f} s; "
              f"verified in: {', '.join(report.locations)}")
    formats = table("PUID", "Format", "Files")
    for puid, name, count in report.formats:
        formats.add_row(puid or "—", esc(name or "not identified"), str(count))
    out.print(formats)
    out.print(f"  virus check: {esc(report.virus_check)}")
    for path, name in report.quarantined:
        out.print(f"[red]quarantined[/red] {esc(path)}: {esc(name)} (left out of the AIP)")
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {esc(warning)}")
    if report.duplicates:
        out.print(f"[yellow]{len(report.duplicates)} file(s) hold content the archive already holds:[/yellow]")
        for duplicate in report.duplicates[:20]:
            where = "this AIP" if duplicate.held_in_aip == report.aip_id else f"AIP {duplicate.held_in_aip}"
            out.print(f"  {esc(duplicate.path)} = {esc(duplicate.held_as)} in {where}")
        if len(report.duplicates) > 20:
            out.print(f"  … and {len(report.duplicates) - 20} more (--json lists them all)")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(ingest_command)
