"""Webhook delivery: claim due deliveries, POST them signed, record each attempt, and schedule
the next one with backoff or keep the delivery as failed after the last.

Deliveries of one task go out side by side (each may wait `webhook_timeout_seconds` on a slow
receiver, so a task lasts about one timeout at most). A delivery is claimed with a guarded
UPDATE that counts the attempt and leases it until after the task's hard time limit, so two
workers never send it at once; the attempt number fences the write of the outcome. A worker
that dies mid-attempt leaves the lease to run out, and the sweep sends the delivery again
(receivers may see an event twice: they dedupe by its id).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx

from moderation.config import Settings
from moderation.domain.clock import utcnow
from moderation.messaging.queues import DELIVER_WEBHOOKS, WEBHOOK_BATCH, send_webhooks
from moderation.services import webhooks
from moderation.storage import webhook_sending as sending
from moderation.storage import webhooks as store
from moderation.storage.db import session_scope
from moderation.storage.webhooks import DeliveryStatus
from workers.celery_app import ModerationTask, app
from workers.metrics import count_deliveries

log = logging.getLogger(__name__)

# Receivers sending back a page of HTML do not fill the log: this much of an answer is kept.
MAX_ERROR_TEXT = 500
# All the deliveries of one task go out at the same time: a task lasts one timeout at most.
PARALLEL_SENDS = WEBHOOK_BATCH
SWEEP_BATCH = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_client: httpx.Client | None = None
_client_lock = threading.Lock()


def _http(settings: Settings) -> httpx.Client:
    """One client per worker process (made after the fork), reusing connections to receivers.
    Redirects are not followed: an event goes to the registered URL or counts as failed."""
    global _client
    with _client_lock:
        if _client is None:
            _client = httpx.Client(
                timeout=settings.webhook_timeout_seconds,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=PARALLEL_SENDS * 2),
            )
        return _client


def post(settings: Settings, delivery: sending.Outgoing) -> Outcome:
    """One attempt: the stored payload, signed now with the site's current key (and the
    previous one during a rotation's grace period)."""
    body = webhooks.event_body(delivery.payload)
    headers = webhooks.signed_headers(
        delivery.secret_key,
        delivery.event_id,
        body,
        int(time.time()),
        delivery.attempt,
        previous_key=delivery.previous_key,
    )
    try:
        with _http(settings).stream("POST", delivery.url, content=body, headers=headers) as answer:
            if 200 <= answer.status_code < 300:
                return Outcome(answer.status_code, None)
            text = b""
            for chunk in answer.iter_bytes():
                text += chunk
                if len(text) >= MAX_ERROR_TEXT:
                    break
            said = text[:MAX_ERROR_TEXT].decode(errors="replace").strip()
            return Outcome(answer.status_code, f"HTTP {answer.status_code}: {said}".strip(": "))
    except httpx.HTTPError as error:
        return Outcome(None, f"{type(error).__name__}: {error}"[:MAX_ERROR_TEXT])


def _send_all(settings: Settings, deliveries: list[sending.Outgoing]) -> list[Outcome]:
    if len(deliveries) <= 1:
        return [post(settings, d) for d in deliveries]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_SENDS, len(deliveries))) as pool:
        return list(pool.map(lambda d: post(settings, d), deliveries))


def _later(delivery_id: int, delay: float) -> Callable[[], None]:
    return lambda: send_webhooks(app, [delivery_id], countdown=delay)


@app.task(name=DELIVER_WEBHOOKS, base=ModerationTask, bind=True)
def deliver_webhooks(self: ModerationTask, delivery_ids: list[int]) -> dict[str, int]:
    """Send the due deliveries among these ids. Safe to run twice and to receive ids that are
    not due: only deliveries this call claims are sent."""
    settings = self.settings
    now = utcnow()
    # The lease outlives the task (hard limit) and one more timeout: by then this worker
    # is certainly done with them.
    lease = timedelta(seconds=settings.task_time_limit + settings.webhook_timeout_seconds)
    with self.unit_of_work() as work:
        claimed = sending.claim(work.session, [int(i) for i in delivery_ids], now, now + lease)
        deliveries = sending.outgoing(work.session, claimed)
    if not deliveries:
        return {"delivered": 0, "retrying": 0, "failed": 0, "skipped": len(delivery_ids)}
    sendable = [d for d in deliveries if d.endpoint_enabled]
    outcomes = dict(zip([d.id for d in sendable], _send_all(settings, sendable), strict=True))
    # Skipped: not due, taken by another worker, or already done (a duplicate message).
    counts = {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
        "skipped": len(delivery_ids) - len(deliveries),
    }
    with self.unit_of_work() as work:
        for delivery in deliveries:
            outcome = outcomes.get(delivery.id, Outcome(None, store.ENDPOINT_REMOVED))
            status, next_at, delay = _next_step(settings, delivery, outcome)
            if not sending.record_attempt(
                work.session,
                delivery.id,
                delivery.attempt,
                status,
                outcome.status_code,
                outcome.error,
                next_at,
            ):
                counts["skipped"] += 1
                continue
            _log_attempt(settings, delivery, outcome, status, delay)
            counts["retrying" if status is DeliveryStatus.PENDING else status.value] += 1
            if delay is not None and delay <= _countdown_limit(settings):
                # One task each: every delay is jittered on its own.
                work.after_commit(_later(delivery.id, delay), "webhook retries", [delivery.id])
    count_deliveries(counts)
    return counts


def _next_step(
    settings: Settings, delivery: sending.Outgoing, outcome: Outcome
) -> tuple[DeliveryStatus, datetime | None, float | None]:
    """Delivered; pending again after a backoff (its delay); or failed for good."""
    if outcome.delivered:
        return DeliveryStatus.DELIVERED, None, None
    if not delivery.endpoint_enabled or delivery.attempt >= settings.webhook_max_attempts:
        return DeliveryStatus.FAILED, None, None
    delay = webhooks.retry_delay(
        delivery.attempt, settings.webhook_retry_base_seconds, settings.webhook_retry_max_seconds
    )
    return DeliveryStatus.PENDING, utcnow() + timedelta(seconds=delay), delay


def _countdown_limit(settings: Settings) -> float:
    """Longer waits are left to the sweep: Redis hands an unacknowledged message (a task
    waiting for its countdown) to another worker after the visibility timeout."""
    return settings.visibility_timeout_seconds / 2


def _log_attempt(
    settings: Settings,
    delivery: sending.Outgoing,
    outcome: Outcome,
    status: DeliveryStatus,
    delay: float | None,
) -> None:
    what = f"HTTP {outcome.status_code}" if outcome.status_code is not None else outcome.error
    head = "webhook %s (delivery %d) to %s, attempt %d of %d: %s"
    args = (
        delivery.event_id,
        delivery.id,
        delivery.url,
        delivery.attempt,
        settings.webhook_max_attempts,
        what,
    )
    if status is DeliveryStatus.DELIVERED:
        log.info(head + ", delivered", *args)
    elif status is DeliveryStatus.PENDING:
        log.warning(head + "; next attempt in %.1f s", *args, delay)
    else:
        log.error(head + "; failed (moderation webhooks resend %s)", *args, delivery.event_id)


def resend_overdue(settings: Settings) -> int:
    """For the sweep: send again the pending deliveries whose task was lost, or whose worker
    died mid-attempt (due since before `requeue_after_seconds` ago). How many were sent."""
    cutoff = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    sent = 0
    while True:
        with session_scope(settings.database_url) as session:
            ids = sending.claim_overdue(session, cutoff, SWEEP_BATCH)
        if ids:
            send_webhooks(app, ids)
            sent += len(ids)
        if len(ids) < SWEEP_BATCH:
            return sent
