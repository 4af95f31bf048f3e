"""Webhooks on the real path: a comment submitted to the served API, decided by a real worker,
reaches a small real HTTP receiver that checks every signature; it retries through the
receiver's failures, gives up after the last attempt, and `moderation webhooks resend
--failed` delivers what failed once the receiver is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from moderation.services import sites, webhooks
from moderation.storage.db import session_scope
from moderation.storage.models import WebhookDelivery, WebhookEndpoint, utcnow
from tests.conftest import RedisServer, run_moderation
from tests.support.stack import Stack
from tests.support.webhook_receiver import Receiver
from tests.support.webhooks import approved_on_a_hooked_site


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver(secret="")
    try:
        yield found
    finally:
        found.close()


def by_path(database_url: str) -> dict[str, tuple[str, int, int | None]]:
    """Each endpoint's path: its delivery's status, attempts and last status code."""
    with session_scope(database_url) as session:
        rows = session.execute(
            select(
                WebhookEndpoint.url,
                WebhookDelivery.status,
                WebhookDelivery.attempts,
                WebhookDelivery.last_status_code,
            ).join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        ).all()
    return {url.rsplit("/", 1)[1]: (status, attempts, code) for url, status, attempts, code in rows}


def lost_delivery(database_url: str, receiver: Receiver) -> str:
    """Another site's comment decided before any worker ran, its delivery's task never sent
    (as when Redis was down at the commit). Its event id."""
    with session_scope(database_url) as session:
        site = approved_on_a_hooked_site(
            session,
            "evening-post",
            receiver.url("/lost"),
            "late-edition",
            "Bo",
            "Decided while the queue was down.",
        )
        receiver.secrets["/lost"] = site.secret_key
        # Due an hour ago: long overdue, whenever the worker comes up.
        session.execute(
            update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(hours=1))
        )
        (delivery,) = session.execute(select(WebhookDelivery.event_id)).scalars()
    return str(delivery)


def wait_for(what: Callable[[], bool], stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out\n{stack.logs()}")


def test_a_decision_reaches_a_real_receiver_through_failures_and_a_failed_one_is_resent(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, receiver: Receiver
) -> None:
    with session_scope(sqlite_url) as session:
        site = sites.add_site(session, "daily-news", "Daily News", None, [], {})
        receiver.secret = site.secret_key
        webhooks.add_endpoint(session, "daily-news", receiver.url("/flaky"))
        webhooks.add_endpoint(session, "daily-news", receiver.url("/down"))
    receiver.fail_first["/flaky"] = 2
    receiver.failing.add("/down")
    lost = lost_delivery(sqlite_url, receiver)
    stack: Stack = stack_factory(
        sqlite_url,
        redis_server,
        webhook_retry_base_seconds="0.2",
        webhook_max_attempts="3",
    )
    stack.start_worker(beat=False)
    stack.start_api()

    comment = stack.submit("story-1", "Ann Reader", "A fair summary of the debate.",
                           site_id="daily-news")  # fmt: skip
    wait_for(
        lambda: (
            by_path(sqlite_url).get("flaky", ("",))[0] == "delivered"
            and by_path(sqlite_url).get("down", ("",))[0] == "failed"
        ),
        stack,
    )

    found = by_path(sqlite_url)
    assert (found["flaky"], found["down"]) == (("delivered", 3, 200), ("failed", 3, 500))
    flaky, down = receiver.of("/flaky"), receiver.of("/down")
    assert [r.answered for r in flaky] == [500, 500, 200]
    assert [r.answered for r in down] == [500, 500, 500]
    # Every attempt was signed with the site's key and a fresh timestamp; the event stayed the
    # same, byte for byte, and the receiver got exactly one of it.
    assert all(r.verified for r in flaky + down)
    assert len({r.body for r in flaky}) == 1
    assert len({r.headers["moderation-event-id"] for r in flaky}) == 1
    assert [r.headers["moderation-attempt"] for r in flaky] == ["1", "2", "3"]
    event = flaky[-1].event
    assert event["id"] == flaky[-1].headers["moderation-event-id"]
    assert (event["type"], event["site"]) == ("comment.status_changed", "daily-news")
    assert event["data"]["comment"]["id"] == comment
    assert event["data"]["comment"]["article_id"] == "story-1"
    assert (event["data"]["previous_status"], event["data"]["actor"]) == ("queued", "policy")
    assert event["data"]["status"] == event["data"]["comment"]["status"] == "approved"
    assert event["data"]["model_version"]
    assert event["id"] != down[0].event["id"]  # one event per endpoint
    logs = stack.logs()
    assert "attempt 1 of 3: HTTP 500; next attempt in" in logs
    assert "attempt 3 of 3: HTTP 500; failed (moderation webhooks resend" in logs

    receiver.failing.discard("/down")
    resent = run_moderation(
        "webhooks",
        "resend",
        "--failed",
        settings={"database_url": sqlite_url, "redis_url": redis_server.url},
    )
    assert resent.returncode == 0, resent.stderr
    assert "resending 1 delivery(ies)" in resent.stdout
    wait_for(
        lambda: by_path(sqlite_url)["down"][0] == by_path(sqlite_url)["lost"][0] == "delivered",
        stack,
    )

    assert by_path(sqlite_url)["down"] == ("delivered", 1, 200)
    assert [r.answered for r in receiver.of("/down")] == [500, 500, 500, 200]
    assert receiver.of("/down")[-1].verified
    assert receiver.of("/down")[-1].body == down[0].body
    assert len(receiver.of("/flaky")) == 3  # nothing sent twice
    # The delivery whose task was lost went out with the worker's start-up sweep.
    (found,) = receiver.of("/lost")
    assert found.verified and found.event["id"] == lost and found.answered == 200
