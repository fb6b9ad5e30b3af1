"""``preserve ingest``: a folder becomes a stored, verified, registered AIP."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from cli.context import app
from cli.counts import print_tallies, roles_words, stored_words
from cli.output import advance_within, console, emit_json, esc, human_size, json_option, table
from cli.progress import wants_progress
from ingest.pipeline import IngestReport, IngestRequest
from ingest.pipeline import Progress as PipelineProgress
from ingest.pipeline import ingest as run_ingest
from ingest.status import IngestStatus, ingest_status, ingest_statuses


class BarProgress(PipelineProgress):
    """Shows ingest progress as a bar on the terminal (stderr)."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[done]}/{task.fields[count]} files"),
            DownloadColumn(binary_units=True),  # MiB, as the summary says
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.files_task: TaskID | None = None
        self.done = 0
        self.count = 0

    def __enter__(self) -> BarProgress:
        self.bar.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.bar.stop()

    def start(self, files: int, size: int) -> None:
        first = self.files_task is None
        if self.files_task is not None:
            self.bar.remove_task(self.files_task)
        self.done, self.count = 0, files
        self.files_task = self.bar.add_task("Storing" if first else "Storing copies", total=size, done=0, count=files)

    def advance(self, size: int) -> None:
        self.done += 1
        assert self.files_task is not None  # the pipeline calls start() before any file
        advance_within(self.bar, self.files_task, size)
        self.count = max(self.count, self.done)  # copies made count too: the total grows, never passed
        self.bar.update(self.files_task, done=self.done, count=self.count)

    def stage(self, text: str) -> None:
        self.bar.console.print(f"[dim]{text}…[/dim]")


class IngestGroup(click.Group):
    """`preserve ingest PATH …` runs an ingest; `preserve ingest status` reports on them."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Anything but a subcommand's name (or --help alone) is an ingest: the hidden `run` command."""
        if args and args[0] not in self.commands and args != ["--help"]:
            args = ["run", *args]
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The three ways to call it."""
        formatter.write_usage(ctx.command_path, "[OPTIONS] PATH | --resume TRANSFER | status [TRANSFER]")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ingest's own options, then the subcommands."""
        run = self.commands["run"]
        run.format_options(click.Context(run, info_name=ctx.info_name, parent=ctx.parent), formatter)
        self.format_commands(ctx, formatter)


class _IngestRunContext(click.Context):
    """The hidden `run` command's context: it calls itself `preserve ingest` (in usage and in "Try … --help")."""

    @property
    def command_path(self) -> str:
        """`preserve ingest`, not `preserve ingest run`."""
        return self.parent.command_path if self.parent is not None else super().command_path


class IngestRunCommand(click.Command):
    """The hidden `run` command: a mistake in its options shows the usage of `preserve ingest`."""

    context_class = _IngestRunContext

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`preserve ingest [OPTIONS] PATH | --resume TRANSFER`."""
        formatter.write_usage(ctx.command_path, "[OPTIONS] PATH | --resume TRANSFER")


@click.group("ingest", cls=IngestGroup, invoke_without_command=False)
def ingest_group() -> None:
    """Ingest a folder, bag or archive as a new AIP: `preserve ingest PATH [OPTIONS]`.

    Every file is read once for its SHA-256 and SHA-512, identified against PRONOM, stored in
    each replication location as an OCFL object holding a BagIt bag with a METS/PREMIS record,
    read back and verified, and only then registered in the catalogue. If anything fails,
    nothing is registered or left in storage, and the source folder is never changed. An
    ingest that was killed, or stopped because some files could not be processed, keeps what
    it did: run it again (or `preserve ingest --resume TRANSFER`) to finish it.

    `preserve ingest status` shows recent ingests and why any stopped. (To ingest a folder
    named `status`, write `./status`.)
    """


@ingest_group.command("run", cls=IngestRunCommand, hidden=True)
@click.argument("path", type=click.Path(path_type=Path), required=False)
@click.option("--title", help="Title of the AIP (default: the folder's name).")
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A metadata.csv of Dublin Core (filename column of objects/… paths, then dc.* columns).",
)
@click.option(
    "--rights",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A rights.csv (Archivematica's columns: file, basis, status, jurisdiction, grant_act, …).",
)
@click.option(
    "--under",
    metavar="REF",
    default="",
    help="Place the AIP below this unit of description (e.g. DRO/52/1, imported or ingested before); without a "
    "reference code of its own in metadata.csv it is given the next number below it.",
)
@click.option(
    "--archivist",
    envvar="PRESERVE_ARCHIVIST",
    help="Who is ingesting, recorded as a PREMIS agent (default: $PRESERVE_ARCHIVIST, else your login name).",
)
@click.option(
    "--resume",
    "transfer",
    metavar="TRANSFER",
    help="Finish the interrupted ingest TRANSFER (see `preserve ingest status`) instead of giving PATH.",
)
@click.option("--timings", "show_timings", is_flag=True, help="Also say where the time went, step by step.")
@json_option(help="Print a summary as JSON (with where the time went, as 'timings').")
@click.pass_context
def ingest_command(
    ctx: click.Context,
    path: Path | None,
    title: str | None,
    metadata: Path | None,
    rights: Path | None,
    under: str,
    archivist: str | None,
    transfer: str | None,
    show_timings: bool,
    as_json: bool,
) -> None:
    """Ingest PATH as a new AIP, or finish an interrupted ingest with --resume TRANSFER."""
    if (path is None) == (transfer is None):
        raise click.UsageError("give the PATH to ingest, or --resume TRANSFER (not both)")
    obj = app(ctx)
    obj.may_create = True  # an archive named but not made yet is made for its first AIP
    database = obj.database()
    request = IngestRequest(
        source=path or Path(),
        title=title or "",
        archivist=archivist or "",
        metadata=metadata,
        rights=rights,
        resume=transfer or "",
        under=under,
    )
    if wants_progress(as_json):
        with BarProgress() as progress:
            report = run_ingest(obj.settings, database, request, progress)
    else:
        report = run_ingest(obj.settings, database, request)
    if as_json:
        emit_json(_summary(report))
        return
    _print_report(report)
    if show_timings:
        print_timings(report.timings)


@ingest_group.command("status")
@click.argument("transfer", required=False)
@click.option(
    "--state",
    type=click.Choice(["running", "interrupted", "incomplete", "abandoned", "failed", "stored"]),
    help="Only ingests in this state.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many to list.")
@json_option(help="Print as JSON (with tracebacks).")
@click.pass_context
def status_command(ctx: click.Context, transfer: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """Recent ingests and their state; with TRANSFER (a transfer or AIP id, or its start), the whole story:
    where the time went (each step so far, wall and CPU seconds), the error, its traceback, and each
    file that could not be processed."""
    obj = app(ctx)
    if transfer:
        found = ingest_status(obj.settings, obj.database(), transfer)
        if as_json:
            emit_json(_status_json(found, details=True))
        else:
            _print_status(found)
        return
    statuses = ingest_statuses(obj.settings, obj.database(), limit, state or "")
    if as_json:
        emit_json([_status_json(s) for s in statuses])
        return
    if not statuses:
        console().print("No ingests yet." if not state else f"No {state} ingests.")
        return
    listing = table("Transfer", "State", "Started", "Files stored", "Source", "Error")
    for status in statuses:
        run = status.run
        listing.add_row(
            run.transfer_id[:8],
            _state_text(status.state),
            run.started[:19].replace("T", " "),
            f"{status.files_done}/{run.files}",
            esc(run.source),
            esc(_first_line(run.error)),
        )
    console().print(listing)
    if any(s.resumable for s in statuses):
        console().print("Finish an interrupted or incomplete ingest with `preserve ingest --resume TRANSFER`.")


def _state_text(state: str) -> str:
    colour = {"stored": "green", "running": "cyan", "failed": "red"}.get(state, "yellow")
    return f"[{colour}]{state}[/{colour}]"


def _first_line(text: str, width: int = 70) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def _status_json(status: IngestStatus, details: bool = False) -> dict:
    run = status.run
    data = {
        "transfer_id": run.transfer_id,
        "aip_id": run.aip_id,
        "state": status.state,
        "source": run.source,
        "title": run.title,
        "executor": run.executor,
        "host": run.host,
        "pid": run.pid,
        "started": run.started,
        "finished": run.finished,
        "files": run.files,
        "files_done": status.files_done,
        "bytes": run.bytes,
        "error": run.error,
        "hint": run.hint,
        "resumable": status.resumable,
        "failed_files": [
            {"path": f.path, "error": f.error, "attempts": f.attempts} | ({"traceback": f.traceback} if details else {})
            for f in run.failed_files
        ],
    }
    data["timings"] = run.timings
    if details:
        data["traceback"] = run.traceback
    return data


def _print_status(status: IngestStatus) -> None:
    out, run = console(), status.run
    out.print(f"Ingest [bold]{run.transfer_id}[/bold]: {_state_text(status.state)}")
    out.print(f"  source: {esc(run.source)}")
    out.print(f"  AIP: {run.aip_id}" + (f" — {esc(run.title)}" if run.title else ""))
    out.print(
        f"  started {run.started} on {esc(run.host)} (process {run.pid}, {run.executor} executor)"
        + (f"; ended {run.finished}" if run.finished else "")
    )
    out.print(
        f"  files stored: {status.files_done} of {run.files} (original and metadata files, and any copies made; "
        f"{human_size(run.bytes)})"
    )
    if run.error:
        out.print(f"[red]error:[/red] {esc(run.error)}")
        if run.hint:
            out.print(f"[dim]hint:[/dim] {esc(run.hint)}")
    for failed in run.failed_files:
        out.print(
            f"[red]file not processed[/red] {esc(failed.path)} after {failed.attempts} attempt(s): {esc(failed.error)}"
        )
        out.print(esc(failed.traceback.rstrip()), style="dim")
    if run.traceback and not run.failed_files:
        out.print("traceback:", style="dim")
        out.print(esc(run.traceback.rstrip()), style="dim")
    print_timings(run.timings)
    if status.resumable:
        out.print(f"To finish it: [bold]preserve ingest --resume {run.transfer_id}[/bold]")
    elif status.state == "abandoned":
        out.print("Its staging area is gone: it cannot be resumed; ingest the source again.")


MAX_LISTED = 20


def print_timings(timings: dict) -> None:
    """Where an ingest's time went: each step's wall and CPU seconds, the per-file work by format family."""
    if not timings.get("steps"):
        return
    out = console()
    steps = " · ".join(f"{s['step']} {s['wall']:.1f} s" for s in timings["steps"] if s["wall"] >= 0.05)
    out.print(f"  time: {timings['wall']:.1f} s ({timings['cpu']:.1f} s CPU): {steps or 'under 0.1 s'}")
    for family in timings.get("families", []):
        phases = ", ".join(f"{phase} {spent:.1f}" for phase, spent in family["seconds"].items() if spent >= 0.05)
        out.print(f"    {family['family']}: {family['files']} file(s), {phases or 'under 0.1'} worker-seconds")
    for made in timings.get("conversions", []):
        out.print(f"    to {made['target']}: {made['documents']} conversion(s) in {made['wall']:.1f} s")


def _summary(report: IngestReport) -> dict:
    return {
        "aip_id": report.aip_id,
        "title": report.title,
        "bag_name": report.bag_name,
        "counts": report.counts,
        "formats": [
            {"format": label, "puid": puid, "files": count, "bytes": size}
            for label, puid, count, size in report.formats
        ],
        "locations": report.locations,
        "seconds": report.seconds,
        "warnings": report.warnings,
        "duplicates": [{"path": d.path, "held_in_aip": d.held_in_aip, "held_as": d.held_as} for d in report.duplicates],
        "virus_check": report.virus_check,
        "quarantined": [{"path": path, "signature": name} for path, name in report.quarantined],
        "layout": report.layout,
        "metadata": [{"path": path, "stored_as": stored} for path, stored in report.metadata_files],
        "empty_folders": report.empty_folders,
        "renamed": [
            {"path": given, "stored_as": stored, "name_taken": taken} for given, stored, taken in report.renamed
        ],
        "checksums_checked": report.checksums_checked,
        "timings": report.timings,
        "invalid": [{"path": path, "puid": puid, "message": message} for path, puid, message in report.invalid],
        "conversion_failures": [
            {"path": path, "role": role, "target": target, "message": message}
            for path, role, target, message in report.conversion_failures
        ],
        "copies_pending": report.copies_pending,
        "placed": {"under": report.placed[0], "as": report.placed[1]} if report.placed[0] else None,
    }


def _print_report(report: IngestReport) -> None:
    out = console()
    out.print(f"Stored AIP [bold]{report.aip_id}[/bold] — {esc(report.title)}")
    out.print(f"  {roles_words(report.counts)}")
    out.print(f"  {stored_words(report.counts)}; in {report.seconds:.1f} s; verified in: {', '.join(report.locations)}")
    print_tallies(
        "Formats",
        "Format",
        ((label or "not identified", puid, n, size) for label, puid, n, size in report.formats),
        "PUID",
    )
    out.print(f"  virus check: {esc(report.virus_check)}")
    if report.layout:
        out.print(f"  layout: {esc(report.layout)}")
    if report.placed[0]:
        out.print(f"  placed under {esc(report.placed[0])} as {esc(report.placed[1])}")
    if report.checksums_checked:
        out.print(f"  the depositor's checksums match for {report.checksums_checked} file(s)")
    if report.metadata_files:
        out.print(f"  taken as metadata ({len(report.metadata_files)} file(s), kept in the AIP):")
        for path, stored in report.metadata_files[:MAX_LISTED]:
            out.print(f"    {esc(path or '.')} → {esc(stored)}")
        if len(report.metadata_files) > MAX_LISTED:
            out.print(f"    … and {len(report.metadata_files) - MAX_LISTED} more (--json lists them all)")
    if report.empty_folders:
        out.print(f"  {len(report.empty_folders)} empty folder(s) kept")
    for path, name in report.quarantined:
        out.print(f"[red]quarantined[/red] {esc(path)}: {esc(name)} (left out of the AIP)")
    _print_listed(
        "file(s) failed validation (kept: the format policy accepts them; `preserve aip show` has every message)",
        [f"{path} ({puid or 'not identified'}): {message}" for path, puid, message in report.invalid],
    )
    _print_listed(
        "derivative(s) could not be made (the originals are kept as they are)",
        [f"{path}: no {role} copy as {target}: {why}" for path, role, target, why in report.conversion_failures],
    )
    if report.copies_pending:
        out.print(
            "  preservation copies: pending — being made in the background as the AIP's next version "
            "(`preserve aip show` says when; logs/copies-after-ingest.log in the archive home)"
        )
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/yellow] {esc(warning)}")
    if report.duplicates:
        out.print(f"[yellow]{len(report.duplicates)} file(s) hold content the archive already holds:[/yellow]")
        for duplicate in report.duplicates[:20]:
            where = "this AIP" if duplicate.held_in_aip == report.aip_id else f"AIP {duplicate.held_in_aip}"
            out.print(f"  {esc(duplicate.path)} = {esc(duplicate.held_as)} in {where}")
        if len(report.duplicates) > 20:
            out.print(f"  … and {len(report.duplicates) - 20} more (--json lists them all)")


def _print_listed(what: str, lines: list[str]) -> None:
    """``N what:`` in yellow, then the first MAX_LISTED lines (--json has them all)."""
    if not lines:
        return
    out = console()
    out.print(f"[yellow]{len(lines)} {esc(what)}:[/yellow]")
    for line in lines[:MAX_LISTED]:
        out.print(f"    {esc(line)}")
    if len(lines) > MAX_LISTED:
        out.print(f"    … and {len(lines) - MAX_LISTED} more (--json lists them all)")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(ingest_group)
