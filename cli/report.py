"""``preserve report``: reports for operators (so far: fixity)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from cli.context import app
from cli.output import console, emit_json, esc, human_size, json_option, table
from policies.fixity import load_fixity_policy
from policies.formats import load_format_policy
from preservation import software_version
from preservation.identifiers import timestamp
from stewardship.fixity_report import fixity_report
from stewardship.format_report import format_holdings

CHART_HEIGHT, BAR_WIDTH, GAP = 120, 46, 10


@click.group("report")
def report_group() -> None:
    """Reports for operators."""


@report_group.command("fixity")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the report, with a chart per location, as an HTML page.",
)
@click.option("--months", type=click.IntRange(1, 120), default=12, show_default=True, help="History to include.")
@json_option(help="Print as JSON.")
@click.pass_context
def fixity_command(ctx: click.Context, html_file: Path | None, months: int, as_json: bool) -> None:
    """Per location: AIPs and bytes held, checked within the policy's period, overdue, damaged copies,
    lost files, and checks, failures and repairs by month; then every lost file (no intact copy in any
    location) by AIP. Exit 1 if a copy is damaged, a file is lost or a check is overdue."""
    obj = app(ctx)
    cadences = load_fixity_policy(obj.settings.policies_path).cadences(obj.settings.locations)
    reports = fixity_report(obj.database(), cadences, months)
    if html_file is not None:
        html_file.write_text(_html(obj.settings.archive_name, reports), encoding="utf-8")
    if as_json:
        emit_json(reports)
    else:
        listing = table(
            "Location", "AIPs", "Stored", "Checked in period", "Overdue", "Damaged", "Lost files", "Last check"
        )
        for r in reports:
            listing.add_row(
                esc(r.name),
                str(r.aips),
                human_size(r.bytes),
                f"{r.checked_aips} of {r.aips} (every {r.full_every_days:g} days)",
                f"{r.overdue_aips} ({human_size(r.overdue_bytes)})",
                str(r.damaged_copies),
                str(sum(len(a.files) for a in r.lost_files)),
                r.last_check[:16].replace("T", " ") or "never",
            )
        console().print(listing)
        _print_lost(reports)
        if html_file is not None:
            click.echo(f"HTML report written to {html_file}")
    if any(r.damaged_copies or r.overdue_aips or r.lost_files for r in reports):
        ctx.exit(1)


def _print_lost(reports) -> None:
    """Every lost file once, by AIP (a location's report lists those of the AIPs it holds a copy of)."""
    by_aip = {aip.aip_id: aip for r in reports for aip in r.lost_files}
    if not by_aip:
        return
    out = console()
    out.print()
    out.print("[bold red]Lost files — no intact copy in any location[/bold red]")
    for aip_id in sorted(by_aip):
        aip = by_aip[aip_id]
        out.print(f"  AIP {aip_id}  {esc(aip.title)}")
        for file in aip.files:
            out.print(f"    {esc(file['path'])}")
            for location, state in file["states"].items():
                out.print(f"        {esc(location)}: {esc(state)}")
    out.print(
        "  Restore each from outside (a backup, the depositor) with: preserve aip repair ID --file PATH --from FILE"
    )


RISK_COLOURS = {"high": "#d4351c", "medium": "#f47738", "low": "#00703c", "unknown": "#505a5f"}


@report_group.command("formats")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the profile, with a chart, as an HTML page.",
)
@json_option(help="Print as JSON.")
@click.pass_context
def formats_command(ctx: click.Context, html_file: Path | None, as_json: bool) -> None:
    """The holdings profiled by format (PUID): files, bytes, AIPs, risk, and what the format policy does."""
    obj = app(ctx)
    policy = load_format_policy(obj.settings.policies_path)
    holdings = format_holdings(obj.database(), policy.rule_for)
    if html_file is not None:
        html_file.write_text(
            _render(
                "format-report.html",
                archive=obj.settings.archive_name,
                holdings=holdings,
                chart=_format_chart(holdings),
                policy_version=policy.version,
            ),
            encoding="utf-8",
        )
    if as_json:
        emit_json(holdings)
        return
    listing = table("PUID", "Format", "Original files", "Size", "AIPs", "Risk", "Preservation", "Access")
    for h in holdings:
        listing.add_row(
            h.puid or "—",
            esc(h.label),
            str(h.files),
            human_size(h.bytes),
            str(h.aips),
            h.risk,
            h.preservation + (f" ({h.normalised} done)" if h.normalised else ""),
            h.access,
        )
    console().print(listing)
    if html_file is not None:
        click.echo(f"HTML report written to {html_file}")


def _format_chart(holdings) -> dict:
    """Horizontal bars of bytes per format (the 25 largest), coloured by risk."""
    shown = holdings[:25]
    top = max((h.bytes for h in shown), default=0) or 1
    bars = [
        {
            "y": i * 20,
            "w": max(1, round(400 * h.bytes / top)),
            "colour": RISK_COLOURS.get(h.risk, "#505a5f"),
            "label": (h.puid or "unidentified"),
            "title": f"{h.name}: {human_size(h.bytes)}, {h.files} original files, risk {h.risk}",
        }
        for i, h in enumerate(shown)
    ]
    return {"bars": bars, "left": 110, "width": 530, "height": max(len(bars), 1) * 20}


def _chart(report) -> dict:
    """Bar geometry for bytes read per month (scaled to the busiest month)."""
    top = max((m.bytes_read for m in report.months), default=0) or 1
    bars = []
    for index, month in enumerate(report.months):
        height = round(CHART_HEIGHT * month.bytes_read / top)
        bars.append(
            {
                "x": index * (BAR_WIDTH + GAP),
                "y": CHART_HEIGHT - height,
                "w": BAR_WIDTH,
                "h": height,
                "month": month.month,
                "failures": month.failures,
                "repairs": month.repairs,
                "label": f"{month.month}: {human_size(month.bytes_read)} read in {month.full_checks} full checks",
            }
        )
    return {"bars": bars, "height": CHART_HEIGHT, "width": max(len(bars), 1) * (BAR_WIDTH + GAP)}


def _html(archive: str, reports) -> str:
    return _render(
        "fixity-report.html",
        archive=archive,
        locations=[dataclasses.asdict(r) | {"months": r.months} for r in reports],
        charts={r.name: _chart(r) for r in reports},
    )


def _render(template: str, **values) -> str:
    """An HTML report from cli/templates (autoescaped), with the facts every report carries."""
    # imported here: Jinja2 costs ~14 ms at every start-up, and only the --html reports use it
    from jinja2 import Environment, FileSystemLoader, select_autoescape  # noqa: PLC0415

    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
    )
    return env.get_template(template).render(
        produced=timestamp()[:16].replace("T", " ") + " UTC", version=software_version(), size=human_size, **values
    )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(report_group)
