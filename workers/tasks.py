"""Celery tasks: thin adapters that load, call the scoring and policy, and commit once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task
from sqlalchemy.exc import DBAPIError, OperationalError

from moderation.config import get_settings
from moderation.queue import DECIDE_COMMENTS, SWEEP_QUEUED, send_decide
from moderation.storage import repository
from moderation.storage.db import session_scope
from moderation.storage.models import utcnow
from workers.celery_app import app
from workers.scoring import ScoringFailed, decide_batch, fail_closed

log = logging.getLogger(__name__)

# Infrastructure trouble is retried with backoff; bad data is not (it would fail again).
INFRASTRUCTURE_ERRORS = (OperationalError, DBAPIError, ConnectionError, TimeoutError)
SWEEP_BATCH = 500


@app.task(
    name=DECIDE_COMMENTS,
    bind=True,
    autoretry_for=INFRASTRUCTURE_ERRORS,
    retry_backoff=True,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=get_settings().task_max_retries,
)
def decide_comments(self: Task, comment_ids: list[int]) -> dict[str, int]:
    """Score and decide a batch of comments. Safe to run twice: decided comments are skipped."""
    settings = get_settings()
    ids = [int(i) for i in comment_ids]
    window = timedelta(seconds=settings.flood_window_seconds)
    with session_scope(settings.database_url) as session:
        comments = repository.queued_comments(session, ids)
        copies = repository.count_copies(session, comments, window)
    if not comments:
        return {"decided": 0, "skipped": len(ids)}
    try:
        records = decide_batch(settings, comments, copies)
    except ScoringFailed as failure:
        if self.request.retries < (self.max_retries or 0):
            log.warning("retrying %d comment(s): %s", len(comments), failure.reason)
            raise self.retry(countdown=min(2**self.request.retries, 30)) from failure
        log.error("sending %d comment(s) to review: %s", len(comments), failure.reason)
        records = fail_closed(comments, failure.reason)
    with session_scope(settings.database_url) as session:
        decided = repository.record_decisions(session, records)
    return {"decided": len(decided), "skipped": len(ids) - len(decided)}


@app.task(name=SWEEP_QUEUED, autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=True, max_retries=3)
def sweep_queued() -> dict[str, Any]:
    """Re-send comments still queued after `requeue_after_seconds` (Redis was down, a worker
    died, a message was lost). The decide task is idempotent, so a double send is harmless."""
    settings = get_settings()
    cutoff = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    resent = 0
    while True:
        with session_scope(settings.database_url) as session:
            ids = repository.claim_stale_queued(session, cutoff, SWEEP_BATCH)
        if not ids:
            break
        send_decide(app, ids)
        resent += len(ids)
        if len(ids) < SWEEP_BATCH:
            break
    if resent:
        log.info("sweep re-sent %d queued comment(s)", resent)
    return {"resent": resent}
