"""The result store the Celery executor uses: Redis, read by polling rather than by subscription.

Celery's Redis result backend subscribes to each task's result as the task is sent; when the
broker restarts, that subscription is lost for good ("The Celery application must be restarted").
The executor polls each batch's result instead (see ``ingest.tasks``), so sending needs no
subscription at all.
"""

from __future__ import annotations

from celery.backends.redis import RedisBackend


class PollingRedisBackend(RedisBackend):
    """Celery's Redis result backend without the per-task subscription (results are polled)."""

    def on_task_call(self, producer, task_id) -> None:
        """Subscribe to nothing."""
