"""Progress for every long command, drawn the same way: a bar with a true total (bytes in binary units, or
things counted), a spinner with a count where the total is not known, never past 100 %; on standard error, only
at a terminal, and never with --quiet or --json."""

from __future__ import annotations

import time

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from cli.context import is_terminal
from cli.output import advance_within

BYTES, ITEMS = "bytes", "items"
FLUSH_SECONDS = 0.05  # work counted is passed to the bar at most this often (it redraws ten times a second)


def quiet_option(command: click.Command) -> click.Command:
    """Give a command ``--quiet``/``-q`` (no progress; results and errors still printed), once."""
    if not any("--quiet" in getattr(p, "opts", ()) for p in command.params):
        command.params.append(
            click.Option(
                ["--quiet", "-q"],
                is_flag=True,
                expose_value=False,
                callback=remember_quiet,
                help="No progress bars or step lines (results and errors are still printed).",
            )
        )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            quiet_option(sub)
    return command


def remember_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """Note --quiet for every part of the command line."""
    if value:
        ctx.meta["quiet"] = True  # meta is shared by every context of the command line
    return value


def wants_progress(as_json: bool = False) -> bool:
    """Whether progress may be drawn: at a terminal, not --quiet, not --json."""
    ctx = click.get_current_context(silent=True)
    quiet = bool(ctx is not None and ctx.meta.get("quiet"))
    return not quiet and not as_json and is_terminal()


class Bar:
    """One progress display for a command, in stages ("Copying", "Validating" …); does nothing when off."""

    def __init__(self, enabled: bool, unit: str = BYTES) -> None:
        self.enabled = enabled
        self.unit = unit
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.pending: float = 0  # counted, not yet passed to the bar
        self.flushed = 0.0

    def __enter__(self) -> Bar:
        if self.enabled:
            count: ProgressColumn = DownloadColumn(binary_units=True) if self.unit == BYTES else MofNCompleteColumn()
            self.progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                count,
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self.progress is not None:
            self._flush(time.monotonic())
            self.progress.stop()

    def stage(self, description: str, total: float | None = None) -> None:
        """Start the next stage: a bar to ``total``, or a spinner with a count when the total is not known."""
        if self.progress is None:
            return
        if self.task is not None:
            self._flush(time.monotonic())
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task(description, total=total)
        self.progress.refresh()  # every stage is drawn at least once, however short

    def advance(self, amount: float = 1) -> None:
        """Count work done (the total grows if the work turns out larger: never past 100 %); passed to the bar at
        most every FLUSH_SECONDS, so a count per 64 KiB read costs next to nothing."""
        if self.progress is None or self.task is None:
            return
        self.pending += amount
        now = time.monotonic()
        if now - self.flushed >= FLUSH_SECONDS:
            self._flush(now)

    def _flush(self, now: float) -> None:
        if self.progress is not None and self.task is not None and self.pending:
            advance_within(self.progress, self.task, self.pending)
        self.pending, self.flushed = 0, now

    def describe(self, description: str) -> None:
        """Say what the current stage is working on."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, description=description)

    def note(self, text: str) -> None:
        """A line printed above the bar (only where the bar is shown)."""
        if self.progress is not None:
            self.progress.console.print(f"[dim]{text}[/dim]")


def bar(as_json: bool = False, unit: str = BYTES) -> Bar:
    """A Bar, drawn only if ``wants_progress``."""
    return Bar(wants_progress(as_json), unit)
