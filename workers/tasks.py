"""Celery tasks: thin adapters that load, call the scoring and policy, and commit once."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from moderation.config import get_settings
from moderation.domain.authors import Author
from moderation.domain.clock import utcnow
from moderation.domain.records import DecisionRecord
from moderation.domain.redis_urls import RedisAddress
from moderation.domain.statuses import CommentStatus
from moderation.messaging.decision_feed import Decided, publish_decisions
from moderation.messaging.queues import (
    ANALYZE_TEXTS,
    APPLY_RETENTION,
    DECIDE_COMMENTS,
    EXPLAIN_COMMENTS,
    RETRAIN_WITH_FEEDBACK,
    SWEEP_QUEUED,
    send_decide,
    send_explain,
    send_webhooks,
    try_send,
)
from moderation.metrics import SWEEP_RESENT
from moderation.services import authors, retention
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage import webhooks as webhooks_store
from moderation.storage.db import session_scope
from workers import emails, webhooks
from workers.analysis import answer_batch
from workers.celery_app import ModerationTask, app
from workers.explanations import explain_batch
from workers.metrics import record_decided, request_ids_of
from workers.rules import current_rules
from workers.scoring import ScoringFailed, decide_batch, fail_closed

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
# The sweep looks for missing explanations among comments this recent only: it keeps the query
# on the (status, created_at) index, and a moderator rarely opens older held comments anyway.
EXPLAIN_HORIZON = timedelta(days=7)


@app.task(name=DECIDE_COMMENTS, base=ModerationTask, bind=True)
def decide_comments(self: ModerationTask, comment_ids: list[int]) -> dict[str, int]:
    """Score and decide a batch of comments. Safe to run twice: decided comments are skipped."""
    started = time.perf_counter()
    settings = self.settings
    ids = [int(i) for i in comment_ids]
    window = timedelta(seconds=settings.flood_window_seconds)
    with self.unit_of_work() as work:
        comments = comment_store.queued_comments(work.session, ids)
        copies = comment_store.count_copies(work.session, comments, window)
        # Bans, trust and word lists from memory (re-read every few seconds); the history of
        # the batch's authors in one statement.
        people = current_rules(work.session, settings)
        standings = authors.standings(
            work.session,
            {c.id: Author(c.author_email, c.client_ip) for c in comments},
            settings.author_history_window,
            people.author_rules,
            people.erasure_salt,
            authors.approvals_needed(
                settings.premoderate_until_approved, people.site_policies.values()
            ),
        )
    if not comments:
        return {"decided": 0, "skipped": len(ids)}
    try:
        records = decide_batch(
            settings, comments, copies, standings, people.word_lists, people.site_policies
        )
    except ScoringFailed as failure:
        if self.request.retries < (self.max_retries or 0):
            log.warning("retrying %d comment(s): %s", len(comments), failure.reason)
            raise self.retry(countdown=min(2**self.request.retries, 30)) from failure
        log.error("sending %d comment(s) to review: %s", len(comments), failure.reason)
        records = fail_closed(comments, failure.reason)
    with self.unit_of_work() as work:
        decided = decision_store.record_decisions(
            work.session,
            records,
            webhook_sites=people.webhook_sites,
            redress=settings.redress_text,
            appeals=settings.appeal_links(),
        )
        # Once committed: wake the API's requests waiting for these (the Akismet-compatible
        # check), then ask for explanations and webhook deliveries (the sweep sends what the
        # broker did not take).
        work.after_commit(
            lambda: _announce(settings.redis_address, records, decided), "decisions", decided
        )
        explain = _to_explain(records, decided)
        work.after_commit(lambda: send_explain(app, explain), "comments to explain", explain)
        deliveries = webhooks_store.written(work.session)
        work.after_commit(lambda: send_webhooks(app, deliveries), "webhook deliveries", deliveries)
    record_decided(comments, records, decided, started, request_ids_of(self.request))
    return {"decided": len(decided), "skipped": len(ids) - len(decided)}


def _announce(
    address: RedisAddress | None, records: list[DecisionRecord], decided: list[int]
) -> None:
    """Publish the decisions this task made on the decision feed; best effort (a failure is
    logged there and never fails the task: the waiting requests also poll the database)."""
    ours = set(decided)
    publish_decisions(
        address,
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


@app.task(name=EXPLAIN_COMMENTS, base=ModerationTask, bind=True)
def explain_comments(self: ModerationTask, comment_ids: list[int]) -> dict[str, int]:
    """Store which words raised the scores of decided comments, for the workspace to highlight.

    Safe to run twice: comments that already have an explanation are skipped.
    """
    ids = [int(i) for i in comment_ids]
    with self.unit_of_work() as work:
        comments = comment_store.comments_to_explain(work.session, ids)
    if not comments:
        return {"explained": 0, "skipped": len(ids)}
    explanations = explain_batch(self.settings, comments)
    with self.unit_of_work() as work:
        comment_store.store_explanations(work.session, explanations)
    return {"explained": len(explanations), "skipped": len(ids) - len(explanations)}


# No retries: the caller waits a second or two for the answer, a retry would come too late.
@app.task(name=ANALYZE_TEXTS)
def analyze_texts(batch: str) -> dict[str, int]:
    """Score the texts of a Perspective-compatible request batch and push the answer to Redis.

    The argument is a batch name, never a text; so is the result Celery logs."""
    return {"scored": answer_batch(get_settings(), batch)}


# A sweep that keeps failing gives way to the next one, a minute later.
@app.task(name=SWEEP_QUEUED, base=ModerationTask, bind=True, max_retries=3)
def sweep_queued(self: ModerationTask) -> dict[str, Any]:
    """Re-send comments still queued after `requeue_after_seconds` (Redis was down, a worker
    died, a message was lost). The decide task is idempotent, so a double send is harmless.

    Then ask again for the explanations of held and removed comments decided that long ago and
    still without one (up to SWEEP_BATCH a sweep); the explain task is idempotent too."""
    settings = self.settings
    cutoff = utcnow() - timedelta(seconds=settings.requeue_after_seconds)
    resent = 0
    while True:
        with self.unit_of_work() as work:
            ids = comment_store.claim_stale_queued(work.session, cutoff, SWEEP_BATCH)
        if not ids:
            break
        # Sent at once, not best effort: with the broker away the sweep fails and is retried,
        # rather than claim every queued comment for nothing.
        send_decide(app, ids)
        SWEEP_RESENT.inc(len(ids))
        resent += len(ids)
        if len(ids) < SWEEP_BATCH:
            break
    if resent:
        log.info("sweep re-sent %d queued comment(s)", resent)
    with self.unit_of_work() as work:
        unexplained = comment_store.unexplained_held_or_removed(
            work.session, cutoff, utcnow() - EXPLAIN_HORIZON, SWEEP_BATCH
        )
    # Best effort: the next sweep asks again for what the broker did not take.
    sent = unexplained and try_send(
        lambda: send_explain(app, unexplained), "comments to explain", unexplained
    )
    explaining = len(unexplained) if sent else 0
    if explaining:
        log.info("sweep asked again for %d missing explanation(s)", explaining)
    # Webhook deliveries whose task was lost (or whose worker died mid-attempt).
    redelivering = webhooks.resend_overdue(settings)
    if redelivering:
        log.info("sweep re-sent %d overdue webhook delivery(ies)", redelivering)
    remailing = emails.resend_overdue(settings)
    if remailing:
        log.info("sweep re-sent %d overdue email(s)", remailing)
    return {
        "resent": resent,
        "explaining": explaining,
        "webhooks": redelivering,
        "emails": remailing,
    }


@app.task(name=APPLY_RETENTION, base=ModerationTask, bind=True, max_retries=3)
def apply_retention(self: ModerationTask) -> dict[str, Any]:
    """Clear the personal data past its retention period (beat sends it daily). Each batch is
    committed on its own, so a retry or a second run only finds what is still due. It works
    for half the soft time limit, then hands what is left to a task it sends after itself, on
    a queue where explanations may run in between."""
    settings = self.settings
    if not settings.retention_enabled:  # a legal hold set after this message was sent
        log.info("retention is disabled (MODERATION_RETENTION_ENABLED): nothing cleared")
        return {"skipped": "retention disabled"}
    run = retention.apply(
        lambda: session_scope(settings.database_url),
        retention.RetentionPeriods.of(settings),
        deadline=time.monotonic() + settings.task_soft_time_limit / 2,
    )
    if not run.finished:
        try:
            app.send_task(APPLY_RETENTION)
        except Exception as error:  # tomorrow's run goes on where this one stopped
            log.warning("could not send the rest of the retention run: %s", error)
    return {"cleared": run.cleared, "finished": run.finished}


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
