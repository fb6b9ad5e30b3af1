"""``preserve identify``: PRONOM identification of files and folders, without an archive."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from cli.context import app
from cli.output import json_option
from cli.progress import wants_progress
from formats.active import active_signature_file
from formats.batch import IdentifiedFile, identify_paths
from formats.identify import identifier_description
from ingest.sources import display_name
from preservation import software_version
from preservation.identifiers import timestamp

CSV_FIELDS = [
    "filename",
    "filesize",
    "modified",
    "errors",
    "namespace",
    "id",
    "format",
    "version",
    "mime",
    "basis",
    "warning",
]


@click.command("identify")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option(help="One JSON document (siegfried's layout).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV, one row per file.")
@click.option("--workers", type=int, default=0, help="Worker processes (default: one per CPU core).")
@click.option(
    "--signatures",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A compiled signature set (default: the archive's active set, else the built-in one).",
)
@click.pass_context
def identify_command(
    ctx: click.Context, paths: tuple[Path, ...], as_json: bool, as_csv: bool, workers: int, signatures: Path | None
) -> None:
    """Identify the format of every file under PATHS against PRONOM (no archive needed).

    Folders are walked recursively; symbolic links are reported, not followed. The basis says how
    each file was identified: signature, container, text (plain text PRONOM cannot sign, told by its
    content), extension — a match on the file extension alone is tentative, not an identification —
    or none. Output is like siegfried's `sf`: YAML-style text by default, or --json, or --csv.
    Problems are reported file by file; exit 1 if a path given does not exist.
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    workers = workers or os.cpu_count() or 1
    if signatures is None:
        signatures = active_signature_file(app(ctx).settings.home)
    tool, version, signature_version = identifier_description(signatures)
    results = identify_paths([os.fspath(p) for p in paths], workers, signatures)
    header = {
        "tool": f"preserve {software_version()}",
        "identifier": f"{tool} {version}",
        "signatures": signature_version,
        "scandate": timestamp(),
    }
    show_progress = wants_progress() and not sys.stdout.isatty()
    with _progress(show_progress) as advance:
        if as_json:
            _write_json(header, results, advance)
        elif as_csv:
            _write_csv(results, advance)
        else:
            _write_text(header, results, advance)
    missing = [str(path) for path in paths if not os.path.lexists(path)]
    if missing:  # reported with the rest (as siegfried does), but a mistyped path is not a success
        click.echo(f"Error: {len(missing)} path(s) given do not exist: {', '.join(missing)}", err=True)
        ctx.exit(1)


class _NoProgress:
    def __enter__(self):
        return lambda: None

    def __exit__(self, *_exc) -> None:
        return None


class _Spinner:
    def __enter__(self):
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.completed} files identified"),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        task = self.bar.add_task("identify", total=None)
        return lambda: self.bar.advance(task)

    def __exit__(self, *_exc) -> None:
        self.bar.stop()


def _progress(enabled: bool):
    return _Spinner() if enabled else _NoProgress()


def _match(result: IdentifiedFile) -> dict:
    fmt = result.format
    return {
        "ns": "pronom",
        "id": fmt.puid or "UNKNOWN",
        "format": fmt.name,
        "version": fmt.version,
        "mime": fmt.mime_type,
        "basis": fmt.basis,
        "warning": fmt.warning,
    }


def _file(result: IdentifiedFile) -> dict:
    return {
        "filename": display_name(result.path),
        "filesize": result.size,
        "modified": result.modified,
        "errors": result.error,
        "matches": [] if result.error else [_match(result)],
    }


def _write_json(header: dict, results, advance) -> None:
    out = sys.stdout
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "files": [\n')
    for index, result in enumerate(results):
        out.write(("" if index == 0 else ",\n") + json.dumps(_file(result), ensure_ascii=False))
        advance()
    out.write("\n]}\n")


def _write_csv(results, advance) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for result in results:
        entry = _file(result)
        match = entry["matches"][0] if entry["matches"] else {}
        writer.writerow(
            [
                entry["filename"],
                entry["filesize"],
                entry["modified"],
                entry["errors"],
                match.get("ns", ""),
                match.get("id", ""),
                match.get("format", ""),
                match.get("version", ""),
                match.get("mime", ""),
                match.get("basis", ""),
                match.get("warning", ""),
            ]
        )
        advance()


def _yaml(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "" if not text else "'" + text.replace("'", "''") + "'"


def _write_text(header: dict, results, advance) -> None:
    echo = click.echo
    echo("---")
    for key, value in header.items():
        echo(f"{key:<10} : {_yaml(value)}")
    for result in results:
        entry = _file(result)
        echo("---")
        for key in ("filename", "filesize", "modified", "errors"):
            echo(f"{key:<8} : {_yaml(entry[key])}")
        echo("matches  :")
        for match in entry["matches"]:
            first = True
            for key in ("ns", "id", "format", "version", "mime", "basis", "warning"):
                echo(f"  {'- ' if first else '  '}{key:<8}: {_yaml(match[key])}")
                first = False
        advance()


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(identify_command)
