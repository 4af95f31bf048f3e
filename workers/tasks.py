"""Celery tasks: thin adapters that load, call the scoring and policy, and commit once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task

from moderation.config import get_settings
from moderation.domain.authors import Author
from moderation.domain.records import DecisionRecord
from moderation.domain.statuses import CommentStatus
from moderation.messaging.decision_feed import Decided, publish_decisions
from moderation.messaging.queues import (
    ANALYZE_TEXTS,
    DECIDE_COMMENTS,
    EXPLAIN_COMMENTS,
    RETRAIN_WITH_FEEDBACK,
    SWEEP_QUEUED,
    send_decide,
    send_deliveries,
    send_explain,
    try_send,
)
from moderation.services import authors
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage import webhooks as webhooks_store
from moderation.storage.db import session_scope
from moderation.storage.models import utcnow
from workers import webhooks
from workers.analysis import answer_batch
from workers.celery_app import ModerationTask, app
from workers.explanations import explain_batch
from workers.rules import current_rules
from workers.scoring import ScoringFailed, decide_batch, fail_closed

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
# The sweep looks for missing explanations among comments this recent only: it keeps the query
# on the (status, created_at) index, and a moderator rarely opens older held comments anyway.
EXPLAIN_HORIZON = timedelta(days=7)


@app.task(name=DECIDE_COMMENTS, base=ModerationTask, bind=True)
def decide_comments(self: Task, comment_ids: list[int]) -> dict[str, int]:
    """Score and decide a batch of comments. Safe to run twice: decided comments are skipped."""
    settings = get_settings()
    ids = [int(i) for i in comment_ids]
    window = timedelta(seconds=settings.flood_window_seconds)
    with session_scope(settings.database_url) as session:
        comments = comment_store.queued_comments(session, ids)
        copies = comment_store.count_copies(session, comments, window)
        # Bans, trust and word lists from memory (re-read every few seconds); the history of
        # the batch's authors in one statement.
        people = current_rules(session, settings)
        standings = authors.standings(
            session,
            {c.id: Author(c.author_email, c.client_ip) for c in comments},
            settings.author_history_window,
            people.author_rules,
        )
        word_lists = people.word_lists
    if not comments:
        return {"decided": 0, "skipped": len(ids)}
    try:
        records = decide_batch(
            settings, comments, copies, standings, word_lists, people.site_policies
        )
    except ScoringFailed as failure:
        if self.request.retries < (self.max_retries or 0):
            log.warning("retrying %d comment(s): %s", len(comments), failure.reason)
            raise self.retry(countdown=min(2**self.request.retries, 30)) from failure
        log.error("sending %d comment(s) to review: %s", len(comments), failure.reason)
        records = fail_closed(comments, failure.reason)
    with session_scope(settings.database_url) as session:
        decided = decision_store.record_decisions(
            session, records, webhook_sites=people.webhook_sites
        )
        deliveries = webhooks_store.written(session)
    # Committed: wake the API's requests waiting for these (the Akismet-compatible check).
    _announce(settings.redis_url, records, decided)
    _ask_for_explanations(_to_explain(records, decided))
    # Best effort like the explanations: the rows are committed, the sweep sends the rest.
    send_deliveries(settings, deliveries, app)
    return {"decided": len(decided), "skipped": len(ids) - len(decided)}


def _announce(redis_url: str | None, records: list[DecisionRecord], decided: list[int]) -> None:
    """Publish the decisions this task made on the decision feed; best effort (a failure is
    logged there and never fails the task: the waiting requests also poll the database)."""
    ours = set(decided)
    publish_decisions(
        redis_url,
        [
            Decided(r.comment_id, r.status, r.scores.get("spam"))
            for r in records
            if r.comment_id in ours
        ],
    )


def _to_explain(records: list[DecisionRecord], decided: list[int]) -> list[int]:
    """The comments this task decided that a moderator may open: held or removed, and scored
    (a fail-closed decision has no scores to explain)."""
    ours = set(decided)
    wanted = (
        r.comment_id
        for r in records
        if r.comment_id in ours and r.status is not CommentStatus.APPROVED and r.scores
    )
    return list(dict.fromkeys(wanted))


def _ask_for_explanations(comment_ids: list[int]) -> int:
    """Send the explain tasks; best effort, since the decisions are committed whatever happens
    here and the sweep finds explanations still missing. Returns how many ids were sent."""
    if not comment_ids:
        return 0
    sent = try_send(lambda: send_explain(app, comment_ids), "comments to explain", comment_ids)
    return len(comment_ids) if sent else 0


@app.task(name=EXPLAIN_COMMENTS, base=ModerationTask)
def explain_comments(comment_ids: list[int]) -> dict[str, int]:
    """Store which words raised the scores of decided comments, for the workspace to highlight.

    Safe to run twice: comments that already have an explanation are skipped.
    """
    settings = get_settings()
    ids = [int(i) for i in comment_ids]
    with session_scope(settings.database_url) as session:
        comments = comment_store.comments_to_explain(session, ids)
    if not comments:
        return {"explained": 0, "skipped": len(ids)}
    explanations = explain_batch(settings, comments)
    with session_scope(settings.database_url) as session:
        comment_store.store_explanations(session, explanations)
    return {"explained": len(explanations), "skipped": len(ids) - len(explanations)}


# No retries: the caller waits a second or two for the answer, a retry would come too late.
@app.task(name=ANALYZE_TEXTS)
def analyze_texts(batch: str) -> dict[str, int]:
    """Score the texts of a Perspective-compatible request batch and push the answer to Redis.

    The argument is a batch name, never a text; so is the result Celery logs."""
    return {"scored": answer_batch(get_settings(), batch)}


# A sweep that keeps failing gives way to the next one, a minute later.
@app.task(name=SWEEP_QUEUED, base=ModerationTask, max_retries=3)
def sweep_queued() -> dict[str, Any]:
    """Re-send comments still queued after `requeue_after_seconds` (Redis was down, a worker
    died, a message was lost). The decide task is idempotent, so a double send is harmless.

    Then ask again for the explanations of held and removed comments decided that long ago and
    still without one (up to SWEEP_BATCH a sweep); the explain task is idempotent too."""
    settings = get_settings()
    cutoff = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    resent = 0
    while True:
        with session_scope(settings.database_url) as session:
            ids = comment_store.claim_stale_queued(session, cutoff, SWEEP_BATCH)
        if not ids:
            break
        send_decide(app, ids)
        resent += len(ids)
        if len(ids) < SWEEP_BATCH:
            break
    if resent:
        log.info("sweep re-sent %d queued comment(s)", resent)
    with session_scope(settings.database_url) as session:
        unexplained = comment_store.unexplained_held_or_removed(
            session, cutoff, utcnow() - EXPLAIN_HORIZON, SWEEP_BATCH
        )
    explaining = _ask_for_explanations(unexplained)
    if explaining:
        log.info("sweep asked again for %d missing explanation(s)", explaining)
    # Webhook deliveries whose task was lost (or whose worker died mid-attempt).
    redelivering = webhooks.resend_overdue(settings)
    if redelivering:
        log.info("sweep re-sent %d overdue webhook delivery(ies)", redelivering)
    return {"resent": resent, "explaining": explaining, "webhooks": redelivering}


@app.task(
    name=RETRAIN_WITH_FEEDBACK,
    # Training takes minutes, far beyond the limits that suit a batch of comments.
    soft_time_limit=3 * 3600,
    time_limit=3 * 3600 + 300,
)
def retrain_with_feedback(force: bool = False) -> dict[str, Any]:
    """Train a version from the datasets plus the moderators' labels once enough labels are
    new, judge it against the active model and promote it if it is not worse."""
    from workers.feedback import labels_since_active, retrain

    settings = get_settings()
    data = settings.training_data_dir
    if not data.is_dir():
        log.warning("no retraining: the training data folder %s does not exist", data)
        return {"skipped": f"no training data at {data}"}
    new = labels_since_active(settings)
    if new < settings.retrain_min_labels and not force:
        log.info("no retraining: %d new moderators' labels, waiting for %d", new,
                 settings.retrain_min_labels)  # fmt: skip
        return {"skipped": f"{new} new labels, fewer than {settings.retrain_min_labels}"}
    verdict = retrain(settings, data, promote=True, progress=log.info)
    outcome = "promoted" if verdict.promote else "kept as a candidate"
    log.info("retrained %s: %s (%s)", verdict.candidate, outcome, "; ".join(verdict.reasons))
    return verdict.as_dict()
