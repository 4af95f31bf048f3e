"""The queues: Celery's configuration, the task names, and the helpers that send them, each
after the rows it names are committed (the dispatcher, dispatcher.py, batches comment ids).

Two queues: `comments` carries the decisions (the hot path), `explanations` the slower work of
finding which words raised the scores of held and removed comments, so that work never delays
a decision and can be given workers of its own. `webhooks` carries the sites' webhook
deliveries, which wait on other people's servers.

`moderation` never imports `workers`: it sends tasks by name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from celery import Celery
from celery.signals import before_task_publish

from moderation.config import Settings
from moderation.domain.redis_urls import RedisAddress
from moderation.messaging.redis_clients import redis_address

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
# The Perspective-compatible API: texts scored while the caller waits (analysis.py), on the
# decisions' queue, never behind explanations or webhooks.
ANALYZE_TEXTS = "moderation.analyze_texts"
# Webhook deliveries wait on other people's servers (up to the timeout each): their own queue,
# so a slow receiver never holds up a decision when workers are given to each queue.
DELIVER_WEBHOOKS = "moderation.deliver_webhooks"
WEBHOOKS_QUEUE = "webhooks"
# The notifiers' emails (when SMTP is configured) wait on the mail server: on the webhooks'
# queue, for the same reason.
SEND_EMAILS = "moderation.send_emails"
# Deliveries per task, all sent side by side: even if every receiver times out, a task ends
# after one timeout, well within the soft time limit.
WEBHOOK_BATCH = 20
# Retention (services/retention.py): daily housekeeping that may run for minutes the first
# time; on the explanations' queue, the one whose work can wait, never ahead of a decision.
APPLY_RETENTION = "moderation.apply_retention"
# Every queue a worker may serve: their depths and workers are read by name (backlog.py,
# heartbeats.py).
QUEUES = (COMMENTS_QUEUE, EXPLANATIONS_QUEUE, WEBHOOKS_QUEUE, TRAINING_QUEUE)
# Message headers of ours. When it was sent (Unix seconds; Celery's own headers carry no time),
# so `moderation status` and /metrics tell how long the oldest message of each queue has
# waited; and the ids of the requests whose comments a decide task carries, for the workers'
# log lines.
ENQUEUED_AT = "enqueued_at"
REQUEST_IDS_HEADER = "request_ids"


@before_task_publish.connect(weak=False, dispatch_uid="moderation.enqueued_at")
def _stamp_enqueued_at(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """Every message any process of ours sends (API, workers, beat) says when it was sent."""
    if headers is not None:
        headers.setdefault(ENQUEUED_AT, time.time())


def broker_url(settings: Settings) -> str:
    """Celery's broker URL: the configured one as it is (Kombu reads `sentinel://` itself)."""
    return redis_address(settings).url


def _sentinel_options(settings: Settings) -> dict[str, Any]:
    """Kombu's options for a Sentinel URL: which master, and how to talk to the Sentinels
    (the master's password is in the URL). None of them for a plain Redis URL."""
    address = settings.redis_address
    if address is None or not address.is_sentinel:
        return {}
    sentinel_kwargs: dict[str, Any] = {"socket_connect_timeout": 2, "socket_timeout": 5}
    if address.sentinel_password is not None:
        sentinel_kwargs["password"] = address.sentinel_password
    return {"master_name": address.master_name, "sentinel_kwargs": sentinel_kwargs}


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
            SEND_EMAILS: {"queue": WEBHOOKS_QUEUE},
            APPLY_RETENTION: {"queue": EXPLANATIONS_QUEUE},
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
            # A worker serving several queues asks Redis for them in the order it was given
            # them (BRPOP takes from the first key that has a message), rather than rotating
            # the last-served queue to the back: `moderation worker` puts `comments` first, so
            # no explanation or webhook is taken while a decision waits.
            "queue_order_strategy": "priority",
            # Sending must not hang a request thread for long when Redis is away.
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
            **_sentinel_options(settings),
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


def _send(app: Celery, task: str, args: list[Any], queue: str, **options: Any) -> None:
    app.send_task(task, args=args, queue=queue, retry=True, retry_policy=_SEND_RETRY, **options)


def _send_in_batches(
    app: Celery, task: str, ids: Sequence[int], batch: int, queue: str, **options: Any
) -> None:
    """One task per `batch` ids, so that no task outgrows its time limits."""
    ids = list(ids)
    for start in range(0, len(ids), batch):
        _send(app, task, [ids[start : start + batch]], queue, **options)


def send_decide(
    app: Celery, comment_ids: Sequence[int], request_ids: Sequence[str] | None = None
) -> None:
    """Ask for the decisions of these comments; `request_ids`, of the requests that brought
    them, travel in a header (an older worker ignores it) for the worker's log line."""
    headers = {REQUEST_IDS_HEADER: list(request_ids)} if request_ids else None
    _send(app, DECIDE_COMMENTS, [list(comment_ids)], COMMENTS_QUEUE, headers=headers)


def send_explain(app: Celery, comment_ids: Sequence[int]) -> None:
    """Ask for the explanations of these decided comments, `EXPLAIN_BATCH` per task."""
    _send_in_batches(app, EXPLAIN_COMMENTS, comment_ids, EXPLAIN_BATCH, EXPLANATIONS_QUEUE)


def send_analyze(app: Celery, batch: str, expires_seconds: float) -> None:
    """Ask for the scores of the texts stored under this batch name. The message names the
    batch only, never a text; a worker that gets it after the caller gave up drops it."""
    _send(app, ANALYZE_TEXTS, [batch], COMMENTS_QUEUE, expires=expires_seconds)


def send_webhooks(app: Celery, delivery_ids: Sequence[int], countdown: float | None = None) -> None:
    """Ask for these webhook deliveries (committed rows), `WEBHOOK_BATCH` per task; with a
    countdown, not before that many seconds (a retry's backoff)."""
    _send_in_batches(
        app, DELIVER_WEBHOOKS, delivery_ids, WEBHOOK_BATCH, WEBHOOKS_QUEUE, countdown=countdown
    )


def send_emails(app: Celery, email_ids: Sequence[int], countdown: float | None = None) -> None:
    """Ask for these emails (committed outbox rows), `WEBHOOK_BATCH` per task."""
    _send_in_batches(
        app, SEND_EMAILS, email_ids, WEBHOOK_BATCH, WEBHOOKS_QUEUE, countdown=countdown
    )


def try_send(send: Callable[[], object], what: str, ids: Sequence[int]) -> bool:
    """Send now if the broker takes it; if not, log and say so. Every message names rows that
    are already committed (comments `queued`, explanations missing, deliveries pending), so a
    message that could not be sent is never lost: the sweep finds the rows and sends again.
    ``what`` names the ids for the log: "comments to decide", "webhook deliveries"."""
    try:
        send()
    except Exception as error:  # the broker is down or unreachable: the sweep recovers
        first = ids[0] if ids else 0
        log.warning(
            "could not queue %d %s (first id %d); the sweep will: %s", len(ids), what, first, error
        )
        return False
    return True


_producers: dict[RedisAddress, Celery] = {}
_producers_lock = threading.Lock()


def producer(settings: Settings) -> Celery | None:
    """One producer per broker per process (its connection pool is reused by every request);
    None where no Redis is configured."""
    address = settings.redis_address
    if address is None:
        return None
    with _producers_lock:
        app = _producers.get(address)
        if app is None:
            app = _producers[address] = producer_app(settings)
        return app


def send_deliveries(
    settings: Settings, delivery_ids: Sequence[int], app: Celery | None = None
) -> bool:
    """Queue committed webhook deliveries for the workers (through `app`, else this process's
    producer). Best effort: the rows are the record, and the sweep sends any that no task took
    within `requeue_after_seconds`."""
    if not delivery_ids:
        return True
    app = app or producer(settings)
    if app is None:
        log.info("no Redis configured here: the sweep will send %d webhook(s)", len(delivery_ids))
        return False
    return try_send(lambda: send_webhooks(app, delivery_ids), "webhook deliveries", delivery_ids)


def send_written_emails(settings: Settings, email_ids: Sequence[int]) -> bool:
    """Queue committed emails for the workers; best effort (the sweep sends what is left)."""
    if not email_ids:
        return True
    app = producer(settings)
    if app is None:
        log.info("no Redis configured here: the sweep will send %d email(s)", len(email_ids))
        return False
    return try_send(lambda: send_emails(app, email_ids), "emails", email_ids)
