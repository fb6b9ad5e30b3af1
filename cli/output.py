"""Printing results: JSON for machines, tables and plain lines for people."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, TaskID
from rich.table import Table

from preservation.model import FileCounts


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON (dataclasses become objects)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, FileCounts):
        return value.to_json()  # the one shape of counts (docs/aip.md)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # nested values: here again
    return str(value)


def console() -> Console:
    """A console on stdout; when piped it is wide enough that ids, paths and digests stay whole."""
    width = None if sys.stdout.isatty() else 200
    return Console(soft_wrap=True, highlight=False, width=width)


def esc(text: object) -> str:
    """Text from users or files, made safe to print through rich (``[`` is markup otherwise)."""
    return escape(str(text))


def table(*columns: str, title: str | None = None) -> Table:
    """A table with these column headings."""
    result = Table(title=title, show_edge=False, pad_edge=False, header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    return result


def human_size(size: int) -> str:
    """A byte count in B, KiB, MiB, GiB or TiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def advance_within(progress: Progress, task: TaskID, amount: float) -> None:
    """Advance a bar by ``amount``, raising its total first if the work has turned out larger than foreseen (an
    audit reads METS, tag files and earlier versions besides the payload): a bar never goes past 100 %."""
    found = next(t for t in progress.tasks if t.id == task)
    if found.total is not None and found.completed + amount > found.total:
        progress.update(task, total=found.completed + amount)
    progress.advance(task, amount)


def json_option(help: str = "Print as JSON."):  # noqa: A002 - click's own name for it
    """The ``--json`` flag; when given, a refusal is printed as a JSON document on stdout too."""
    return click.option("--json", "as_json", is_flag=True, callback=_remember_json, help=help)


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    if value:
        ctx.meta["json"] = True  # meta is shared by every context of the command line
    return value


def emit_json_error(message: str, problems: list, hint: str, exit_code: int) -> None:
    """A refusal as JSON on stdout, for a caller that asked for --json (the message goes to stderr too)."""
    listed = [{"text": str(p), **_fields(p)} for p in problems]
    emit_json({"error": message, "problems": listed, "hint": hint, "exit_code": exit_code})


def _fields(problem: object) -> dict[str, Any]:
    """A problem's fields when it is a dataclass (``Problem``: where, the check …); none for a plain string."""
    return dataclasses.asdict(problem) if dataclasses.is_dataclass(problem) and not isinstance(problem, type) else {}
