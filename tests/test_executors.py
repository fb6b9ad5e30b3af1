"""The executor is chosen in one place: ``[executor] kind`` in preserve.toml, read by ``executor_for``."""

from __future__ import annotations

from dataclasses import replace

from ingest.executors import LocalExecutor, executor_for
from ingest.tasks import CeleryExecutor
from preservation.config import Settings


def test_the_executor_is_the_one_preserve_toml_asks_for(tmp_path):
    settings = Settings(home=tmp_path, executor_workers=3)
    local = executor_for(settings)
    assert isinstance(local, LocalExecutor) and local.workers == 3 and local.reports_progress
    assert executor_for(settings, workers=1).workers == 1  # a small transfer runs in-process
    celery = executor_for(
        replace(
            settings,
            executor_kind="celery",
            executor_broker="redis://127.0.0.1:6379/0",
            executor_visibility_timeout=60,
            executor_broker_wait=5,
        )
    )
    assert isinstance(celery, CeleryExecutor) and not celery.reports_progress
    assert (celery.broker, celery.visibility_timeout, celery.broker_wait) == ("redis://127.0.0.1:6379/0", 60, 5)
