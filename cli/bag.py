"""``preserve bag``: validate BagIt bags, and make them for depositors."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.output import emit_json, human_size, json_option
from cli.progress import bar
from ingest.archives import is_archive
from ingest.bags import BagReport, create_bag, validate_bag, validate_packed_bag
from preservation.errors import NotFound, PackageError

EXIT_CODES = {"valid": 0, "invalid": 1, "incomplete": 2}


def _info(values: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        label, colon, text = value.partition(":")
        if not colon or not label.strip():
            raise click.BadParameter(f"{value!r} is not 'Label: value'", param_hint="--info")
        pairs.append((label.strip(), text.strip()))
    return pairs


@click.group("bag")
def bag_group() -> None:
    """Validate BagIt bags, and make them."""


@bag_group.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--fast", is_flag=True, help="Only completeness and Payload-Oxum; no checksums.")
@click.option("--workers", type=int, default=0, help="Processes reading files (default: one per CPU core).")
@json_option(help="Print the result as JSON.")
@click.pass_context
def validate_command(ctx: click.Context, path: Path, fast: bool, workers: int, as_json: bool) -> None:
    """Check a bag (a folder, or a bag packed in a .zip, .tar, .tar.gz or .7z) against RFC 8493 (and BagIt
    0.93-0.97): exit 0 valid, 1 invalid, 2 incomplete.

    Every manifest and tag manifest is checked (each file read once for all algorithms), files
    missing from or not listed in the manifests, bagit.txt, Payload-Oxum, unsafe paths and
    fetch.txt; tag files are read in the encoding bagit.txt declares. A bag whose only problem is
    files listed in fetch.txt but not present is incomplete (nothing is ever fetched). Warnings
    point out bags that are valid but suspicious. See docs/bagit.md.
    """
    workers = workers or os.cpu_count() or 1
    if not path.exists():
        raise NotFound(f"{path}: no such file or folder", hint="Give the bag's folder, or the zip, tar or 7z it is in.")
    packed = is_archive(path)  # a bag exported --as zip|tar is checked as it is, unpacked out of sight
    if not packed and not path.is_dir():
        raise PackageError(
            f"{path}: is a file, but not a zip, tar or 7z archive, so it cannot hold a bag",
            hint="A bag is a folder (with bagit.txt at its top), or such a folder packed in a zip, tar or 7z.",
        )
    with bar(as_json) as progress:
        progress.stage(f"Validating {path.name}")
        if packed:
            report = validate_packed_bag(path, fast, workers, on_file=progress.advance)
        else:
            report = validate_bag(path, fast=fast, workers=workers, on_file=progress.advance)
    _print(report, as_json)
    if report.state != "valid":
        ctx.exit(EXIT_CODES[report.state])


@bag_group.command("create")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--info",
    "info",
    multiple=True,
    metavar="'LABEL: VALUE'",
    help="A bag-info.txt field, e.g. --info 'Source-Organization: Parish of St Michael' (repeatable).",
)
@click.option("--workers", type=int, default=0, help="Processes reading files (default: one per CPU core).")
@json_option(help="Print the result as JSON.")
def create_command(folder: Path, info: tuple[str, ...], workers: int, as_json: bool) -> None:
    """Make FOLDER a BagIt bag in place: its contents move under data/, with SHA-256 and SHA-512 manifests."""
    report = create_bag(folder, _info(info), workers=workers or os.cpu_count() or 1)
    _print(report, as_json, made=True)


def _print(report: BagReport, as_json: bool, made: bool = False) -> None:
    if as_json:
        emit_json(
            {
                "bag": report.path,
                "state": report.state,
                "valid": report.valid,
                "errors": report.errors,
                "warnings": report.warnings,
                "incomplete": report.incomplete,
                "version": report.version,
                "encoding": report.encoding,
                "payload_files": report.payload_files,
                "payload_bytes": report.payload_bytes,
                "algorithms": report.algorithms,
            }
        )
        return
    for error in report.errors:
        click.echo(f"error: {error}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    for missing in report.incomplete:
        click.echo(f"not present (listed in fetch.txt): {missing}")
    verdicts = {
        "valid": "valid",
        "invalid": f"INVALID ({len(report.errors)} problem(s))",
        "incomplete": f"INCOMPLETE ({len(report.incomplete)} file(s) listed in fetch.txt not present)",
    }
    what = "Made a bag" if made else "Bag"
    version = f"BagIt {report.version}, " if report.version else ""
    click.echo(
        f"{what} {report.path}: {verdicts[report.state]}; {version}{report.payload_files} payload files, "
        f"{human_size(report.payload_bytes)}; checksums: {', '.join(report.algorithms) or 'none'}"
    )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(bag_group)
