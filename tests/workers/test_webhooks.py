"""The delivery task in this process, against a real database and real sockets: a receiver that
is away counts as a failed attempt (recorded, retried later, failed after the last), a delivery
that is not due is left alone, and one whose endpoint was removed is not sent."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select, update

from moderation.config import get_settings
from moderation.domain.records import DecisionRecord
from moderation.domain.statuses import CommentStatus
from moderation.services import sites, webhooks
from moderation.storage import articles as article_store
from moderation.storage import comments as comment_store
from moderation.storage import decisions as decision_store
from moderation.storage import webhooks as store
from moderation.storage.db import session_scope
from moderation.storage.models import WebhookDelivery, WebhookEndpoint, utcnow
from tests.conftest import free_port
from tests.support.webhook_receiver import Receiver


@pytest.fixture
def worker_webhooks(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """The delivery task, run here. Redis points at a port nobody listens on: scheduling a
    retry fails as when Redis is down (the sweep would send it), which is not what is tested."""
    for name in [n for n in os.environ if n.startswith("MODERATION_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MODERATION_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MODERATION_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setenv("MODERATION_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MODERATION_WEBHOOK_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    try:
        yield importlib.import_module("workers.webhooks")
    finally:
        get_settings.cache_clear()


def decided_with_endpoint(database_url: str, url: str) -> tuple[int, str]:
    """A comment of a site with one endpoint, decided: its delivery's id, and the site's key."""
    with session_scope(database_url) as session:
        site = sites.add_site(session, "daily-news", "Daily News", None, [], {})
        webhooks.add_endpoint(session, "daily-news", url)
        article = article_store.article_for(session, "story-1", None, None, site_id=site.id)
        ((comment, _),) = comment_store.insert_comments(
            session,
            [{"article_id": article.id, "author_name": "Ann", "author_email": "ann@example.org",
              "body": "Well argued."}],
        )  # fmt: skip
        decision_store.record_decisions(
            session,
            [DecisionRecord(comment, CommentStatus.APPROVED, {}, [], "ok", None)],
        )
        (delivery,) = store.written(session)
        return delivery, site.secret_key


def row(database_url: str, delivery_id: int) -> WebhookDelivery:
    with session_scope(database_url) as session:
        found = session.execute(
            select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
        ).scalar_one()
        session.expunge(found)
        return found


def test_a_receiver_that_is_away_fails_the_attempt_until_the_last(
    worker_webhooks: ModuleType, sqlite_url: str
) -> None:
    delivery, _ = decided_with_endpoint(sqlite_url, f"http://127.0.0.1:{free_port()}/hook")

    first = worker_webhooks.deliver_webhooks.run([delivery])
    after_first = row(sqlite_url, delivery)
    early = worker_webhooks.deliver_webhooks.run([delivery])  # a duplicate, before it is due

    assert first == {"delivered": 0, "retrying": 1, "failed": 0, "skipped": 0}
    assert (after_first.status, after_first.attempts) == ("pending", 1)
    assert after_first.last_status_code is None
    assert after_first.last_error and after_first.last_error.startswith("ConnectError")
    assert after_first.next_attempt_at and after_first.last_attempt_at
    assert after_first.next_attempt_at > after_first.last_attempt_at
    assert early["skipped"] == 1 and row(sqlite_url, delivery).attempts == 1

    with session_scope(sqlite_url) as session:  # the backoff (15 to 30 s) has passed
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))
    last = worker_webhooks.deliver_webhooks.run([delivery])
    final = row(sqlite_url, delivery)

    assert last["failed"] == 1
    assert (final.status, final.attempts, final.next_attempt_at) == ("failed", 2, None)


def test_a_delivery_whose_endpoint_was_removed_meanwhile_is_not_sent(
    worker_webhooks: ModuleType, sqlite_url: str
) -> None:
    receiver = Receiver(secret="")
    try:
        delivery, key = decided_with_endpoint(sqlite_url, receiver.url("/hook"))
        receiver.secret = key
        # Removed in the instant between a worker's claim and its POST (a removal fails the
        # pending deliveries itself; this is the race it cannot see).
        with session_scope(sqlite_url) as session:
            session.execute(update(WebhookEndpoint).values(disabled_at=utcnow()))

        result = worker_webhooks.deliver_webhooks.run([delivery])

        assert result["failed"] == 1 and receiver.received == []
        found = row(sqlite_url, delivery)
        assert (found.status, found.last_error) == ("failed", "endpoint removed")
    finally:
        receiver.close()
