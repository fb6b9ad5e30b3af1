"""``preserve search``: find AIPs by title, file name or format."""

from __future__ import annotations

import click

from access.search import search
from cli.context import app
from cli.output import console, emit_json, esc


@click.command("search")
@click.argument("text", nargs=-1, required=True)
@click.option("--limit", default=20, show_default=True, help="At most this many AIPs.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def search_command(ctx: click.Context, text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Search AIP titles, file names and formats (PUIDs, format names, MIME types).

    Every word must match; words match as prefixes, so "minut" finds "minutes".
    """
    hits = search(app(ctx).database(), " ".join(text), limit)
    if as_json:
        emit_json([
            {"aip_id": h.aip.id, "title": h.aip.title, "files": [{"name": n, "format": f} for n, f in h.files]}
            for h in hits
        ])
        return
    out = console()
    if not hits:
        out.print("No matches.")
        return
    for hit in hits:
        out.print(f"[bold]{esc(hit.aip.title)}[/bold]  {hit.aip.id}")
        for name, fmt in hit.files[:10]:
            out.print(f"    {esc(name)}  [dim]{esc(fmt)}[/dim]")
        if len(hit.files) > 10:
            out.print(f"    … and {len(hit.files) - 10} more matching files")


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(search_command)
