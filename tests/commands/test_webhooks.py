"""`moderation webhooks add|list|deliveries|resend|remove`, run as an operator runs them."""

from __future__ import annotations

import re

from moderation.domain.clock import utcnow
from moderation.domain.statuses import CommentStatus
from moderation.storage import decisions as decision_store
from moderation.storage import webhook_sending as sending
from moderation.storage import webhooks as store
from moderation.storage.db import session_scope
from moderation.storage.webhooks import DeliveryStatus
from tests.conftest import run_moderation
from tests.support.decisions import decision
from tests.support.webhooks import HOOK, add_hooked_site, deliveries, queued


def test_the_webhooks_commands(sqlite_url: str) -> None:
    news = add_hooked_site(sqlite_url, "daily-news")
    settings = {"database_url": sqlite_url}

    added = run_moderation("webhooks", "add", "daily-news", HOOK, settings=settings)
    bad = run_moderation("webhooks", "add", "daily-news", "ftp://x.example/", settings=settings)

    assert added.returncode == 0, added.stderr
    assert re.search(r"added webhook \d+ for site daily-news", added.stdout)
    assert bad.returncode == 2 and "must be an http:// or https:// address" in bad.stderr
    comment = queued(sqlite_url, news.id)
    with session_scope(sqlite_url) as session:
        decision_store.record_decisions(session, [decision(comment, CommentStatus.APPROVED)])
        (delivery,) = store.written(session)
        sending.claim(session, [delivery], utcnow(), utcnow())
        sending.record_attempt(
            session, delivery, 1, DeliveryStatus.FAILED, 500, "HTTP 500: try later", None
        )
    (event,) = [d.event_id for d in deliveries(sqlite_url)]

    listed = run_moderation("webhooks", "list", "daily-news", settings=settings)
    log = run_moderation("webhooks", "deliveries", "--status", "failed", settings=settings)
    resent = run_moderation("webhooks", "resend", "--failed", settings=settings)

    assert re.search(rf"1 +daily-news +enabled +0 +0 +1 +{re.escape(HOOK)}", listed.stdout)
    assert event in log.stdout and "HTTP 500: try later" in log.stdout
    # No Redis configured for the command: the sweep of a running worker sends it.
    assert resent.returncode == 0 and "1 delivery(ies) are pending again" in resent.stdout
    (back,) = deliveries(sqlite_url)
    assert (back.status, back.attempts) == ("pending", 0)

    removed = run_moderation("webhooks", "remove", "1", settings=settings)
    again = run_moderation("webhooks", "remove", "1", settings=settings)
    assert removed.returncode == 0 and again.returncode == 2
    assert "not found" in again.stderr
