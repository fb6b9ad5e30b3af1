"""``preserve``: the command-line interface for archivists and operators.

Exit codes: 0 success; 1 a check found problems (audit, bag validation); 2 usage error;
10-50 a PreservationError (see docs/errors.md); 70 an unexpected internal error.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

import click

from cli.context import AppContext
from cli.output import emit_json_error
from cli.progress import quiet_option, remember_quiet
from preservation.errors import PreservationError

INTERNAL_ERROR = 70
BROKEN_PIPE = 141  # as a shell reports a command killed by SIGPIPE


# Each command and the module under cli/ that registers it. A command's module is imported only when that command
# runs (or when --help lists them all), so a command pays at start-up only for what it uses.
COMMANDS = {
    "init": "init",
    "upgrade": "init",
    "ingest": "ingest",
    "aip": "aip",
    "access": "access",
    "audit": "audit",
    "report": "report",
    "scheduler": "scheduler",
    "policy": "policy",
    "migrate": "migrate",
    "search": "search",
    "identify": "identify",
    "formats": "formats",
    "bag": "bag",
    "storage": "storage",
    "catalogue": "catalogue",
    "user": "user",
    "request": "request",
    "outbox": "request",
    "serve": "serve",
    "doctor": "doctor",
    "worker": "worker",
    "demo": "demo",
    "where": "where",
}


class PreserveGroup(click.Group):
    """The top-level group: loads a command's module when it is asked for, and turns every PreservationError into
    a one-line message, a hint and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, without importing any of them."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command ``cmd_name``, its module imported (and its commands registered) on first use."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"cli.{COMMANDS[cmd_name]}").register(self)
        command = self.commands.get(cmd_name)
        return quiet_option(command) if command is not None else None  # every command takes --quiet

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except PreservationError as exc:
            if _debug(ctx):
                traceback.print_exc()
            click.secho(f"Error: {exc.message}", fg="red", err=True)
            for problem in exc.details[:SHOWN_PROBLEMS]:
                click.echo(f"  - {problem}", err=True)
            if len(exc.details) > SHOWN_PROBLEMS:
                more, listed = len(exc.details) - SHOWN_PROBLEMS, _list_problems(ctx, exc)
                click.echo(f"  … and {more} more: every one is listed in {listed}", err=True)
            if exc.hint:
                click.echo(f"Hint: {exc.hint}", err=True)
            if ctx.meta.get("json"):
                emit_json_error(exc.message, exc.details, exc.hint or "", exc.exit_code)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing half-done was kept.", err=True)
            ctx.exit(130)
        except BrokenPipeError:  # the reader went away (`preserve identify … | head`): stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(BROKEN_PIPE)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if _debug(ctx):
                traceback.print_exc()
            click.secho(f"Internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
            click.echo("Hint: run again with --debug for the traceback, and report it.", err=True)
            ctx.exit(INTERNAL_ERROR)
        finally:
            obj = ctx.find_object(AppContext)
            if obj is not None:
                obj.close()


def _debug(ctx: click.Context) -> bool:
    obj = ctx.find_object(AppContext)
    return bool(obj and obj.debug)


@click.group(cls=PreserveGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="PRESERVE_HOME",
    help="Archive home (default: $PRESERVE_HOME, else the user data directory).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PRESERVE_CONFIG",
    help="preserve.toml to use (default: the one in the archive home).",
)
@click.option("--debug", is_flag=True, help="Show the full traceback when something goes wrong.")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    expose_value=False,
    callback=remember_quiet,
    help="No progress bars or step lines in any command (also PRESERVE_QUIET=1, or --quiet after the command).",
)
@click.version_option(package_name="preserve", prog_name="preserve")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, config: Path | None, debug: bool) -> None:
    """preserve keeps digital records safe and usable: ingest, audit, find and export AIPs.

    \b
    Start with:
      preserve init                  create an archive (or use the default one)
      preserve ingest FOLDER         ingest a folder as a new AIP
      preserve aip list              see what the archive holds
      preserve audit                 check every stored copy
    """
    given = {
        name: "environment" if ctx.get_parameter_source(name) == click.core.ParameterSource.ENVIRONMENT else "option"
        for name, value in (("home", home), ("config", config))
        if value is not None
    }
    ctx.obj = AppContext(home=home, config=config, debug=debug, given=given)


SHOWN_PROBLEMS = 50  # problems printed with an error; all of them go to a file (and into --json)


def _list_problems(ctx: click.Context, exc: PreservationError) -> Path:
    """Write every problem of ``exc`` to a file — the archive home's logs/ if it can be found, else the temporary
    folder — and return its path."""
    folder = Path(tempfile.gettempdir())
    obj = ctx.find_object(AppContext)
    with contextlib.suppress(Exception):  # the settings may be what failed: the list still gets written
        if obj is not None and obj.settings.home.is_dir():
            folder = obj.settings.home / "logs"
            folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = folder / f"problems-{stamp}-{os.getpid()}.txt"
    path.write_text("".join(f"{problem}\n" for problem in exc.details), encoding="utf-8")
    return path


def main() -> None:
    """Entry point of the ``preserve`` console script."""
    cli(prog_name="preserve", auto_envvar_prefix="PRESERVE")


if __name__ == "__main__":  # pragma: no cover
    main()  # click exits with the command's code
