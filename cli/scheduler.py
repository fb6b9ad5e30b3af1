"""``preserve scheduler``: the archive's Celery app, running scheduled fixity audits under Celery beat.

The app is the scheduler's adapter to Celery (the executor's is ``ingest.tasks``). One task,
``preserve.audit_due``, does what ``preserve audit --due`` does. ``preserve scheduler`` runs beat
together with one embedded worker for that task, so a single process on one machine is enough;
with ``[executor] kind = "celery"`` that task hands each AIP's audit to the `preserve worker`
processes (the executor ``ingest.executors.executor_for`` chooses).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from access.decisions import refresh_everything
from access.mail import send_outbox
from cli.context import AppContext, app
from ingest.executors import executor_for
from ingest.tasks import check_broker
from policies.fixity import load_fixity_policy
from preservation.errors import ConfigError
from stewardship.schedule import plan_due

QUEUE = "preserve.scheduled"
log = logging.getLogger("preserve.scheduler")


def make_celery(context: AppContext, every_seconds: float | None = None) -> Any:
    """The Celery app for an archive: its broker from preserve.toml, its beat schedule from the fixity policy."""
    try:  # here, not at the top: Celery is optional (preserve[queue]) and takes ~40 ms to import
        from celery import Celery  # noqa: PLC0415
        from celery.schedules import crontab  # noqa: PLC0415
    except ImportError:
        raise ConfigError("the scheduler needs Celery", hint="pip install 'preserve[queue]'") from None
    settings = context.settings
    if not settings.executor_broker:
        raise ConfigError(
            f"{settings.config_file or 'preserve.toml'}: [executor] broker is not set",
            hint='Add broker = "redis://127.0.0.1:6379/0" under [executor] in preserve.toml.',
        )
    policy = load_fixity_policy(settings.policies_path)
    if every_seconds:
        when = timedelta(seconds=every_seconds)
    elif policy.default.runs_per_day == 1:
        hour, minute = policy.run_at.split(":")
        when = crontab(hour=int(hour), minute=int(minute))
    else:
        when = timedelta(days=1 / policy.default.runs_per_day)
    celery = Celery("preserve", broker=settings.executor_broker)
    state = settings.home / "scheduler"
    state.mkdir(parents=True, exist_ok=True)
    celery.conf.update(
        timezone="UTC",
        enable_utc=True,
        task_default_queue=QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=False,
        beat_schedule_filename=str(state / "beat-schedule"),
        beat_schedule={
            "fixity audit": {
                "task": "preserve.audit_due",
                "schedule": when,
                "args": (str(settings.home), str(settings.config_file or "")),
            },
            "access refresh": {
                "task": "preserve.refresh_access",
                "schedule": crontab(hour=0, minute=5),
                "args": (str(settings.home), str(settings.config_file or "")),
            },
        },
    )
    if settings.mail_smtp_host:  # messages to people leave within minutes
        celery.conf.beat_schedule["send messages"] = {
            "task": "preserve.send_outbox",
            "schedule": timedelta(minutes=5),
            "args": (str(settings.home), str(settings.config_file or "")),
        }
    celery.task(name="preserve.audit_due")(audit_due)
    celery.task(name="preserve.refresh_access")(refresh_access_task)
    celery.task(name="preserve.send_outbox")(send_outbox_task)
    return celery


def send_outbox_task(home: str, config: str = "") -> int:
    """Send the outbox's unsent messages through the SMTP server (they stay for the next run if it fails)."""
    context = AppContext(home=Path(home), config=Path(config) if config else None)
    try:
        report = send_outbox(context.settings, context.database())
    finally:
        context.close()
    if report.sent:
        log.info("sent %d message(s)", report.sent)
    for message_id, why in report.failed:
        log.error("message %d set aside, not sent: %s (`preserve outbox --failed`)", message_id, why)
    return report.sent


def refresh_access_task(home: str, config: str = "") -> int:
    """Work out every record's access again, so closures that ended yesterday open today."""
    context = AppContext(home=Path(home), config=Path(config) if config else None)
    try:
        files = refresh_everything(context.settings, context.database())
    finally:
        context.close()
    log.info("access worked out again for %d file(s)", files)
    return files


def audit_due(home: str, config: str = "") -> dict:
    """One scheduled slice of fixity audits for the archive at ``home`` (what ``preserve audit --due`` does)."""
    context = AppContext(home=Path(home), config=Path(config) if config else None)
    try:
        settings = context.settings
        policy = load_fixity_policy(settings.policies_path)
        plan = plan_due(context.database(), policy.cadences(settings.locations))
        executor = executor_for(settings)  # this process, or one task per AIP on the `preserve worker` processes
        results = executor.audit(settings, context.database(), plan, policy.repair)
    finally:
        context.close()
    summary: dict[str, Any] = {
        "aips": len(results),
        "ok": all(r.ok for r in results),
        "repaired": sum(c.status == "repaired" for r in results for c in r.copies),
        "damaged": sorted({r.aip.id for r in results if not r.ok}),
        "no_good_copy": sorted(r.aip.id for r in results if r.no_good_copy),
    }
    if summary["damaged"]:
        log.error(
            "fixity audit: damaged AIPs remain: %s (no intact copy left: %s)",
            ", ".join(summary["damaged"]),
            ", ".join(summary["no_good_copy"]) or "none",
        )
    else:
        log.info(
            "fixity audit: %d AIP(s) checked, all intact (%d copies repaired)", summary["aips"], summary["repaired"]
        )
    return summary


@click.command("scheduler")
@click.option(
    "--every",
    "every_seconds",
    type=click.FloatRange(min=1),
    help="Run an audit slice every this many seconds instead of the policy's daily run_at (for trying it out).",
)
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def scheduler_command(ctx: click.Context, every_seconds: float | None, loglevel: str) -> None:
    """Run scheduled fixity audits under Celery beat (with one embedded worker) until stopped.

    Each run does one slice of `preserve audit --due`, at the fixity policy's run_at (UTC) or
    runs_per_day. The broker is [executor] broker in preserve.toml. Stop with Ctrl-C or SIGTERM.
    """
    obj = app(ctx)
    obj.database()  # refuses an out-of-date catalogue before anything starts
    celery = make_celery(obj, every_seconds)
    check_broker(celery, obj.settings.executor_broker)
    worker = celery.Worker(
        beat=True,
        queues=[QUEUE],
        pool="solo",
        concurrency=1,
        loglevel=loglevel,
        without_mingle=True,
        without_gossip=True,
        quiet=True,
    )
    worker.start()
    ctx.exit(worker.exitcode or 0)


def register(group: click.Group) -> None:
    """Add this module's commands to ``group``."""
    group.add_command(scheduler_command)
