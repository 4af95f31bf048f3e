"""The service's side of the queue: Celery configuration, task names, and the dispatcher that
sends comment ids to the workers in batches after their rows are committed.

Two queues: `comments` carries the decisions (the hot path), `explanations` the slower work of
finding which words raised the scores of held and removed comments, so that work never delays
a decision and can be given workers of its own. `webhooks` carries the sites' webhook
deliveries, which wait on other people's servers.

`moderation` never imports `workers`: it sends tasks by name.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any

from celery import Celery

from moderation.config import Settings

log = logging.getLogger(__name__)

DECIDE_COMMENTS = "moderation.decide_comments"
SWEEP_QUEUED = "moderation.sweep_queued"
EXPLAIN_COMMENTS = "moderation.explain_comments"
COMMENTS_QUEUE = "comments"
EXPLANATIONS_QUEUE = "explanations"
# Retraining from the moderators' labels takes minutes and gigabytes: its own queue, served by
# `moderation trainer`, so it never holds up a decision.
RETRAIN_WITH_FEEDBACK = "moderation.retrain_with_feedback"
TRAINING_QUEUE = "training"
# Comments explained by one task: one model call for all of them (about 8 ms each), short
# enough that a task stays far below the time limits.
EXPLAIN_BATCH = 20
# The Perspective-compatible API: texts scored while the caller waits (moderation/analysis.py),
# on the decisions' queue, never behind explanations or webhooks.
ANALYZE_TEXTS = "moderation.analyze_texts"
# Webhook deliveries wait on other people's servers (up to the timeout each): their own queue,
# so a slow receiver never holds up a decision when workers are given to each queue.
DELIVER_WEBHOOKS = "moderation.deliver_webhooks"
WEBHOOKS_QUEUE = "webhooks"
# Deliveries per task, all sent side by side: even if every receiver times out, a task ends
# after one timeout, well within the soft time limit.
WEBHOOK_BATCH = 20


def broker_url(settings: Settings) -> str:
    if settings.redis_url is None:
        raise RuntimeError(
            "no Redis configured: set MODERATION_REDIS_URL, "
            "or start everything with `moderation up`"
        )
    return settings.redis_url


def redis_client_url(url: str) -> str:
    """Kombu spells a Unix socket `redis+socket://`; redis-py spells it `unix://`."""
    return "unix://" + url.removeprefix("redis+socket://") if url.startswith("redis+") else url


def celery_config(settings: Settings) -> dict[str, Any]:
    """Shared by the API's producer and the workers, so both speak the same protocol."""
    return {
        "broker_url": broker_url(settings),
        "task_serializer": "json",
        "accept_content": ["json"],
        "result_serializer": "json",
        "task_ignore_result": True,
        "task_default_queue": COMMENTS_QUEUE,
        # Explanations go to their own queue however they are sent.
        "task_routes": {
            EXPLAIN_COMMENTS: {"queue": EXPLANATIONS_QUEUE},
            RETRAIN_WITH_FEEDBACK: {"queue": TRAINING_QUEUE},
            DELIVER_WEBHOOKS: {"queue": WEBHOOKS_QUEUE},
        },
        # A message is acknowledged only once its comments are decided; if the worker dies,
        # the message goes back to the queue (and the sweep re-sends anything still queued).
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 2,
        # When Redis goes away mid-task, the message cannot be acknowledged; Celery 6's default
        # cancels the task so it is redelivered, which our idempotent tasks are built for.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_soft_time_limit": settings.task_soft_time_limit,
        "task_time_limit": settings.task_time_limit,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": settings.visibility_timeout_seconds,
            # Sending must not hang a request thread for long when Redis is away.
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        },
        "broker_connection_timeout": 2,
        "timezone": "UTC",
        "enable_utc": True,
        "worker_hijack_root_logger": False,
    }


def producer_app(settings: Settings) -> Celery:
    app = Celery("moderation")
    app.conf.update(celery_config(settings))
    return app


# Sending must give up quickly when Redis is down: the comment is already stored as `queued`
# and the sweep will send it again.
_SEND_RETRY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


def send_decide(app: Celery, comment_ids: Sequence[int]) -> None:
    app.send_task(
        DECIDE_COMMENTS,
        args=[list(comment_ids)],
        queue=COMMENTS_QUEUE,
        retry=True,
        retry_policy=_SEND_RETRY,
    )


def send_explain(app: Celery, comment_ids: Sequence[int]) -> None:
    """Ask for the explanations of these decided comments, `EXPLAIN_BATCH` per task."""
    ids = list(comment_ids)
    for start in range(0, len(ids), EXPLAIN_BATCH):
        app.send_task(
            EXPLAIN_COMMENTS,
            args=[ids[start : start + EXPLAIN_BATCH]],
            queue=EXPLANATIONS_QUEUE,
            retry=True,
            retry_policy=_SEND_RETRY,
        )


def send_analyze(app: Celery, batch: str, expires_seconds: float) -> None:
    """Ask for the scores of the texts stored under this batch name. The message names the
    batch only, never a text; a worker that gets it after the caller gave up drops it."""
    app.send_task(
        ANALYZE_TEXTS,
        args=[batch],
        queue=COMMENTS_QUEUE,
        expires=expires_seconds,
        retry=True,
        retry_policy=_SEND_RETRY,
    )


def send_webhooks(app: Celery, delivery_ids: Sequence[int], countdown: float | None = None) -> None:
    """Ask for these webhook deliveries (committed rows), `WEBHOOK_BATCH` per task; with a
    countdown, not before that many seconds (a retry's backoff)."""
    ids = list(delivery_ids)
    for start in range(0, len(ids), WEBHOOK_BATCH):
        app.send_task(
            DELIVER_WEBHOOKS,
            args=[ids[start : start + WEBHOOK_BATCH]],
            queue=WEBHOOKS_QUEUE,
            countdown=countdown,
            retry=True,
            retry_policy=_SEND_RETRY,
        )


class Dispatcher:
    """Collects ids of committed comments and sends them as one task per batch.

    A request only puts an id on an in-memory queue (cheap); a background thread sends a batch
    when `max_batch` ids are waiting or `window` seconds after the first one arrived. If the
    process dies before sending, those comments stay `queued` in the database and the sweep
    re-sends them: the database, not this buffer, is the record of what was accepted.
    """

    def __init__(self, app: Celery, max_batch: int, window_seconds: float) -> None:
        self._app = app
        self._max_batch = max_batch
        self._window = window_seconds
        # Lists of ids: one hand-over per stored group, not one thread wake-up per comment.
        self._ids: queue.SimpleQueue[list[int] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.sent_batches = 0
        self.failed_batches = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="comment-dispatcher", daemon=True)
        self._thread.start()

    def submit(self, comment_ids: list[int]) -> None:
        if comment_ids:
            self._ids.put(comment_ids)

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._ids.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._ids.get()
            if first is None:
                break
            batch = list(first)
            deadline = time.monotonic() + self._window
            while len(batch) < self._max_batch:
                remaining = deadline - time.monotonic()
                try:
                    more = (
                        self._ids.get(timeout=remaining)
                        if remaining > 0
                        else self._ids.get_nowait()
                    )
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.extend(more)
            for start in range(0, len(batch), self._max_batch):
                self._send(batch[start : start + self._max_batch])

    def _send(self, batch: list[int]) -> None:
        try:
            send_decide(self._app, batch)
            self.sent_batches += 1
        except Exception as error:  # the broker is down or unreachable: the sweep recovers
            self.failed_batches += 1
            log.warning(
                "could not queue %d comment(s) (first id %d); they stay queued for the sweep: %s",
                len(batch),
                batch[0],
                error,
            )
