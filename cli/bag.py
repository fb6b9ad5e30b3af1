"""``preserve bag``: validate BagIt bags, and make them for depositors."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cli.output import emit_json
from ingest.bags import BagReport, create_bag, validate_bag

INVALID = 1


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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def validate_command(ctx: click.Context, path: Path, fast: bool, workers: int, as_json: bool) -> None:
    """Check a bag against RFC 8493: exit 0 when valid, 1 when not, each problem on its own line.

    Every manifest and tag manifest is checked (each file read once for all algorithms), files
    missing from or not listed in the manifests, bagit.txt, Payload-Oxum and unsafe paths; a bag
    with fetch.txt is refused. Warnings point out bags that are valid but suspicious.
    """
    report = validate_bag(path, fast=fast, workers=workers or os.cpu_count() or 1)
    _print(report, as_json)
    if not report.valid:
        ctx.exit(INVALID)


@bag_group.command("create")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--info", "info", multiple=True, metavar="'LABEL: VALUE'",
              help="A bag-info.txt field, e.g. --info 'Source-Organization: Parish of St Michael' (repeatable).")
@click.option("--workers", type=int, default=0, help="Processes reading files (default: one per CPU core).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def create_command(folder: Path, info: tuple[str, ...], workers: int, as_json: bool) -> None:
    """Make FOLDER a BagIt bag in place: its contents move under data/, with SHA-256 and SHA-512 manifests."""
    report = create_bag(folder, _info(info), workers=workers or os.cpu_count() or 1)
    _print(report, as_json, made=True)


def _print(report: BagReport, as_json: bool, made: bool = False) -> None:
    if as_json:
        emit_json({"bag": report.path, "valid": report.valid, "errors": report.errors, "warnings": report.warnings,
                   "payload_files": report.payload_files, "payload_bytes": report.payload_bytes,
                   "algorithms": report.algorithms})
        return
    for error in report.errors:
        click.echo(f"error: {error}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}")
    verdict = "valid" if report.valid else f"INVALID ({len(report.errors)} problem(s))"
    what = "Made a bag" if made else "Bag"
    click.echo(f"{what} {report.path}: {verdict}; {report.payload_files} payload files, "
               f"{report.payload_bytes} bytes; checksums: {', '.join(report.algorithms) or 'none'}")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(bag_group)
