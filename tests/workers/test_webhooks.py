"""The delivery task in this process, against a real database and real sockets: a receiver that
is away counts as a failed attempt (recorded, retried later, failed after the last), a delivery
that is not due is left alone, and one whose endpoint was removed is not sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import select, update

from moderation.storage import webhooks as store
from moderation.storage.db import session_scope
from moderation.storage.models import WebhookDelivery, WebhookEndpoint, utcnow
from tests.conftest import free_port
from tests.support.webhook_receiver import Receiver
from tests.support.webhooks import approved_on_a_hooked_site
from tests.support.worker_env import worker_module


@pytest.fixture
def worker_webhooks(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    """The delivery task, run here. Redis points at a port nobody listens on: scheduling a
    retry fails as when Redis is down (the sweep would send it), which is not what is tested."""
    yield from worker_module(
        "workers.webhooks", monkeypatch, sqlite_url, tmp_path / "data", webhook_max_attempts="2"
    )


def decided_with_endpoint(database_url: str, url: str) -> tuple[int, str]:
    """A comment of a site with one endpoint, decided: its delivery's id, and the site's key."""
    with session_scope(database_url) as session:
        site = approved_on_a_hooked_site(
            session, "daily-news", url, "story-1", "Ann", "Well argued."
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
