"""``preserve worker``: a Celery worker for the archive's per-file ingest work and fixity audits."""

from __future__ import annotations

import os
import socket

import click

from cli.context import app
from ingest.tasks import QUEUE, CeleryExecutor, start_heartbeat
from preservation.errors import ConfigError


@click.command("worker")
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker_command(ctx: click.Context, loglevel: str) -> None:
    """Run a Celery worker that does ingest's per-file work (store, digest, identify, validate, scan)
    and fixity audits sent to workers.

    Start one or more on any machine that reaches the broker, the storage locations and the
    transfers (and staging area) of the archive; set [executor] kind = "celery" to send ingests
    to them. Each worker does one batch at a time (its validators run in child processes of
    their own): start one per core. Stop with Ctrl-C or SIGTERM: work in progress is finished
    or handed back.
    """
    settings = app(ctx).settings
    if not settings.executor_broker:
        raise ConfigError(
            f"{settings.config_file or 'preserve.toml'}: [executor] broker is not set",
            hint='Add broker = "redis://127.0.0.1:6379/0" under [executor] in preserve.toml.',
        )
    executor = CeleryExecutor.from_settings(settings)
    executor.check()
    celery = executor.app
    name = f"preserve-{os.getpid()}@{socket.gethostname()}"
    worker = celery.Worker(
        hostname=name,
        queues=[QUEUE],
        pool="solo",
        concurrency=1,
        loglevel=loglevel,
        without_mingle=True,
        without_gossip=True,
        without_heartbeat=True,
        quiet=True,
    )
    stop_heartbeat = start_heartbeat(celery, name)  # ingests and audits refuse to start with no worker alive
    try:
        worker.start()
    finally:
        stop_heartbeat()
    ctx.exit(worker.exitcode or 0)


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(worker_command)
