"""``preserve search``: find records — files and units of description — by words and facets."""

from __future__ import annotations

import dataclasses
import re

import click

from access.search import EVERYTHING, RESEARCHER, search
from catalogue.record_index import FACETS, NO_COLLECTION, RecordQuery, facet_label, puids_named
from cli.context import app
from cli.output import console, emit_json, esc, json_option, table
from preservation.errors import NotFound


@click.command("search")
@click.argument("text", nargs=-1)
@click.option(
    "--collection",
    default="",
    help=f"Only records in this collection (its reference code); {NO_COLLECTION} for those in no collection.",
)
@click.option(
    "--format",
    "puid",
    default="",
    help='Only files of this format: a PUID (fmt/412) or its name as the facets show it ("Plain Text File").',
)
@click.option("--access", type=click.Choice(EVERYTHING), help="Only records with this access status.")
@click.option("--from", "year_from", type=int, help="Only records dated in or after this year.")
@click.option("--to", "year_to", type=int, help="Only records dated in or before this year.")
@click.option("--undated", is_flag=True, help="Only records with no date.")
@click.option("--as-researcher", is_flag=True, help="Find only what a researcher may find (no closed records).")
@click.option("--page", type=click.IntRange(min=1), default=1, show_default=True, help="Which page of results.")
@click.option(
    "--per-page",
    type=click.IntRange(min=1, max=100),
    default=20,
    show_default=True,
    help="Results on a page (at most 100).",
)
@json_option(help="Print the results and facet counts as JSON.")
@click.pass_context
def search_command(
    ctx: click.Context,
    text: tuple[str, ...],
    collection: str,
    puid: str,
    access: str | None,
    year_from: int | None,
    year_to: int | None,
    undated: bool,
    as_researcher: bool,
    page: int,
    per_page: int,
    as_json: bool,
) -> None:
    """Search titles, descriptions, reference codes, file names and formats (PUIDs, format names).

    Every word must match, as a whole word; end a word with * to match its beginning ("minut*" finds
    "minutes"). A reference code (DRO/52/1, or DRO/52/ for everything in DRO/52) finds that unit and
    everything below it, in hierarchy order. With no words, list the records the other options select.
    Facet counts (collection, decade, format, access) are over every match, not just the page shown.
    """
    query = RecordQuery(
        " ".join(text),
        collection,
        _puid(ctx, puid),
        access or "",
        year_from,
        year_to,
        RESEARCHER if as_researcher else EVERYTHING,
        page,
        per_page,
        undated,
    )
    results = search(app(ctx).database(), query)
    if as_json:
        emit_json(
            {
                "total": results.total,
                "approximate": results.approximate,
                "page": page,
                "per_page": per_page,
                "records": [dataclasses.asdict(record) for record in results.records],
                "facets": {name: [{"value": v, "count": n} for v, n in results.facets[name]] for name in FACETS},
            }
        )
        return
    out = console()
    if not results.total:
        out.print("No matches.")
        return
    listing = table("Reference", "Title", "Date", "Format", "Access", "AIP")
    for record in results.records:
        years = "–".join(str(y) for y in dict.fromkeys((record.year_start, record.year_end)) if y is not None)
        listing.add_row(
            esc(record.reference or "—"),
            esc(record.title),
            years,
            esc(results.format_names.get(record.puid, record.puid) if record.puid else "—"),
            record.access + (f" until {record.closed_until}" if record.closed_until else ""),
            record.aip_id[:8],
        )
    out.print(listing)
    first = (page - 1) * per_page + 1
    about = "about " if results.approximate else ""
    out.print(
        f"{first}–{first + len(results.records) - 1} of {about}{results.total:,} records"
        + (
            " (so many that the newest are shown first; add words or filters to rank by relevance)"
            if results.approximate
            else ""
        )
    )
    for name in FACETS:
        named = [(facet_label(name, value, results.format_names), count) for value, count in results.facets[name][:8]]
        counts = ", ".join(f"{esc(label)} {count}" for label, count in named)
        out.print(f"  [dim]{name}:[/dim] {counts}")


def _puid(ctx: click.Context, given: str) -> str:
    """The PUID --format names: as given if it is one, else the one PUID of the format called so."""
    if not given or re.fullmatch(r"(x-)?fmt/\d+", given.strip()):
        return given.strip()
    with app(ctx).database().session() as session:
        named = puids_named(session, given)
    if len(named) == 1:
        return next(iter(named))
    if not named:
        raise NotFound(
            f"no file in the archive has a format called {given!r}",
            hint="Give a PUID (fmt/412), or a format's name as the format facet shows it (`preserve search` lists "
            "them below the results).",
        )
    raise NotFound(
        f"{given!r} names {len(named)} formats: " + ", ".join(f"{p} ({label})" for p, label in sorted(named.items())),
        hint="Give one of their PUIDs with --format.",
    )


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(search_command)
