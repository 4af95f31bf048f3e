"""Webhooks in the service: the signature a receiver checks (also with docs/webhooks.md's snippet),
the outbox rows that each kind of status change writes (only for sites with endpoints, only
when the change commits, sent to the queue after the commit), claiming and re-sending
(the `moderation webhooks` commands are in tests/commands/test_webhooks.py)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from moderation.app import create_app
from moderation.domain.clock import utcnow
from moderation.domain.records import DecisionRecord
from moderation.domain.statuses import CommentStatus
from moderation.services import sites, webhooks
from moderation.storage import decisions as decision_store
from moderation.storage import webhook_sending as sending
from moderation.storage import webhooks as store
from moderation.storage.db import session_scope
from moderation.storage.models import Comment
from moderation.storage.webhooks import DeliveryStatus
from tests.conftest import ROOT, RedisServer
from tests.moderation.conftest import settings_for
from tests.support.decisions import decision, record_decisions
from tests.support.staff import add_account
from tests.support.webhook_receiver import verify
from tests.support.webhooks import HOOK, add_hooked_site, deliveries, queued


def hooked(database_url: str, comments: int) -> tuple[sites.SiteInfo, list[int]]:
    """Daily News with its one endpoint (HOOK), and that many of its comments queued."""
    news = add_hooked_site(database_url, "daily-news", HOOK)
    return news, [queued(database_url, news.id) for _ in range(comments)]


def record(comment_id: int, status: CommentStatus) -> DecisionRecord:
    scores = {"spam": 0.02, "toxicity": 0.1}
    return decision(
        comment_id,
        status,
        scores,
        reason_text="scores below the hold thresholds",
        model_version="m-7",
    )


def queued_tasks(server: RedisServer) -> list[list[int]]:
    """The delivery ids of every task waiting on the `webhooks` queue."""
    found = []
    for raw in redis.Redis.from_url(server.url).lrange("webhooks", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "moderation.deliver_webhooks"
        found.append(json.loads(base64.b64decode(message["body"]))[0][0])
    return found


def test_the_signature_verifies_as_a_receiver_checks_it_and_as_the_readme_shows() -> None:
    body = webhooks.event_body({"id": "evt-1", "type": "comment.status_changed", "é": "ü"})
    now = int(time.time())
    headers = {
        k.lower(): v for k, v in webhooks.signed_headers("sk_site", "evt-1", body, now).items()
    }

    assert headers["content-type"] == "application/json"
    assert headers["moderation-event-id"] == "evt-1"
    assert re.fullmatch(rf"t={now},v1=[0-9a-f]{{64}}", headers["moderation-signature"])
    assert verify("sk_site", headers, body, now)
    assert not verify("sk_other", headers, body, now)
    assert not verify("sk_site", headers, body.replace(b"evt-1", b"evt-2"), now)
    assert not verify("sk_site", headers, body, now + 301)  # a replay, five minutes on

    # The documentation's snippet, run as a site would paste it.
    readme = (ROOT / "docs" / "webhooks.md").read_text()
    section = readme[readme.index("## Webhooks") :]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    assert snippet, "docs/webhooks.md has a Python snippet"
    namespace: dict[str, Any] = {}
    exec(snippet.group(1), namespace)
    check = namespace["verify_webhook"]
    assert check("sk_site", body, headers["moderation-signature"], now=now)
    assert not check("sk_other", body, headers["moderation-signature"], now=now)
    assert not check("sk_site", body + b" ", headers["moderation-signature"], now=now)
    assert not check("sk_site", body, headers["moderation-signature"], now=now + 301)

    # Through a key rotation's grace period both keys verify, with either check.
    rotated = webhooks.signed_headers("sk_new", "evt-1", body, now, previous_key="sk_site")
    both = rotated["Moderation-Signature"]
    assert re.fullmatch(rf"t={now},v1=[0-9a-f]{{64}},v1=[0-9a-f]{{64}}", both)
    for key in ("sk_new", "sk_site"):
        assert check(key, body, both, now=now)
    assert not check("sk_other", body, both, now=now)


def test_the_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    low = [webhooks.retry_delay(n, 30, 3600, draw=lambda: 0.0) for n in range(1, 10)]
    high = [webhooks.retry_delay(n, 30, 3600, draw=lambda: 1.0) for n in range(1, 10)]

    assert high == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert low == [h / 2 for h in high]


def test_policy_decisions_write_one_event_per_endpoint_of_the_comments_site(
    database_url: str,
) -> None:
    news = add_hooked_site(database_url, "daily-news", HOOK, "https://backup.example.org/in")
    quiet = add_hooked_site(database_url, "quiet-blog")
    with session_scope(database_url) as session:
        webhooks.add_endpoint(session, "daily-news", "https://old.example.org/gone")
        (gone,) = [e.id for e in webhooks.list_endpoints(session, "daily-news") if "old" in e.url]
        webhooks.remove_endpoint(session, gone)
    ours, theirs = queued(database_url, news.id), queued(database_url, quiet.id)

    with session_scope(database_url) as session:
        decided = decision_store.record_decisions(
            session,
            [record(ours, CommentStatus.APPROVED), record(theirs, CommentStatus.APPROVED)],
        )
        written = store.written(session)

    assert sorted(decided) == sorted([ours, theirs])
    found = deliveries(database_url)
    assert written == [d.id for d in found]
    assert [d.comment_id for d in found] == [ours, ours]
    assert len({d.endpoint_id for d in found}) == 2 and gone not in {d.endpoint_id for d in found}
    assert {d.status for d in found} == {"pending"} and {d.attempts for d in found} == {0}
    event = found[0].payload
    assert event["id"] == found[0].event_id != found[1].event_id
    assert event["type"] == "comment.status_changed" and event["site"] == "daily-news"
    comment = event["data"]["comment"]
    assert comment["id"] == ours and comment["article_id"] == "story-1"
    assert comment["status"] == "approved" and comment["decided_at"] is not None
    assert (comment["author_name"], comment["author_url"]) == ("Ann Reader", "https://ann.example")
    assert comment["body"] == "The council vote was close."
    assert {k: event["data"][k] for k in ("previous_status", "status", "actor")} == {
        "previous_status": "queued",
        "status": "approved",
        "actor": "policy",
    }
    assert event["data"]["reasons"] == "scores below the hold thresholds"
    assert event["data"]["model_version"] == "m-7"
    # The author's email stays with us (see docs/webhooks.md).
    assert "ann.private@example.com" not in json.dumps(event)


def test_no_event_without_endpoints_in_the_workers_memory_nor_when_the_change_rolls_back(
    sqlite_url: str,
) -> None:
    news, (first, second) = hooked(sqlite_url, 2)

    # A worker that knows of no site with endpoints writes none (and runs no query for them).
    with session_scope(sqlite_url) as session:
        decision_store.record_decisions(
            session, [record(first, CommentStatus.APPROVED)], webhook_sites=frozenset()
        )
    with pytest.raises(RuntimeError), session_scope(sqlite_url) as session:
        decision_store.record_decisions(
            session, [record(second, CommentStatus.APPROVED)], webhook_sites={news.id}
        )
        assert len(store.written(session)) == 1
        raise RuntimeError("the commit never happens")

    assert deliveries(sqlite_url) == []
    with session_scope(sqlite_url) as session:
        assert session.get(Comment, second).status is CommentStatus.QUEUED  # type: ignore[union-attr]


@pytest.fixture
def app_client(sqlite_url: str, redis_server: RedisServer) -> Iterator[TestClient]:
    settings = settings_for(sqlite_url, redis_server.url, _env_file=None, reports_to_hide=2)
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


def test_a_moderators_decision_and_its_undo_are_reported_and_queued_after_the_commit(
    app_client: TestClient, sqlite_url: str, redis_server: RedisServer
) -> None:
    _, (comment,) = hooked(sqlite_url, 1)
    with session_scope(sqlite_url) as session:
        decision_store.record_decisions(session, [record(comment, CommentStatus.PENDING)])
    held = deliveries(sqlite_url)
    mona = add_account(sqlite_url, "mona")

    answer = app_client.post(
        f"/api/v1/moderation/comments/{comment}/decision",
        json={"action": "reject", "note": "personal attack"},
        headers=mona.headers,
    )
    undone = app_client.post(f"/api/v1/moderation/comments/{comment}/undo", headers=mona.headers)
    unknown = app_client.post(
        "/api/v1/moderation/comments/999999/decision", json={"action": "approve"},
        headers=mona.headers,
    )  # fmt: skip

    assert answer.status_code == undone.status_code == 200 and unknown.status_code == 404
    found = deliveries(sqlite_url)[len(held) :]
    assert [(d.payload["data"]["previous_status"], d.payload["data"]["status"]) for d in found] == [
        ("pending", "rejected"),
        ("rejected", "pending"),
    ]
    assert {d.payload["data"]["actor"] for d in found} == {"mona"}
    assert found[0].payload["data"]["reasons"] == "reject: personal attack"
    assert found[1].payload["data"]["reasons"].startswith("undo: reject")
    # The policy's model scored it; the event says so whoever decided.
    assert found[0].payload["data"]["model_version"] == "m-7"
    # Each request queued its own deliveries once it had committed.
    assert sorted(queued_tasks(redis_server)) == [[found[0].id], [found[1].id]]


def test_a_comment_hidden_by_readers_reports_is_reported(
    app_client: TestClient, sqlite_url: str
) -> None:
    _, (comment,) = hooked(sqlite_url, 1)
    with session_scope(sqlite_url) as session:
        decision_store.record_decisions(session, [record(comment, CommentStatus.APPROVED)])

    first = app_client.post(f"/api/v1/comments/{comment}/reports", json={"reason": "abuse"})
    with TestClient(
        app_client.app, base_url="https://testserver", client=("198.51.100.9", 1)
    ) as other:  # type: ignore[arg-type]
        second = other.post(f"/api/v1/comments/{comment}/reports", json={"reason": "spam"})

    assert first.json()["hidden"] is False and second.json()["hidden"] is True
    last = deliveries(sqlite_url)[-1].payload["data"]
    assert (last["previous_status"], last["status"], last["actor"]) == (
        "approved",
        "pending",
        "readers",
    )
    assert last["reasons"] == "2 reports (hidden from 2)"
    assert len(deliveries(sqlite_url)) == 2  # the policy's approval, then the hiding


def test_a_delivery_is_claimed_by_one_worker_at_a_time(database_url: str) -> None:
    news, (comment,) = hooked(database_url, 1)
    with session_scope(database_url) as session:
        decision_store.record_decisions(session, [record(comment, CommentStatus.APPROVED)])
        (delivery,) = store.written(session)
    now = utcnow()
    lease = now + timedelta(seconds=100)

    with session_scope(database_url) as session:
        first = sending.claim(session, [delivery], now, lease)
    with session_scope(database_url) as session:
        second = sending.claim(session, [delivery], now, lease)
        (outgoing,) = sending.outgoing(session, first)

    assert first == {delivery: 1} and second == {}
    assert outgoing.url == HOOK and outgoing.secret_key == news.secret_key
    assert outgoing.previous_key is None
    # After a rotation with a grace period, the old key signs too; without one, it does not.
    with session_scope(database_url) as session:
        rotated = sites.rotate_key(session, news.slug, timedelta(hours=1)).secret_key
        (graced,) = sending.outgoing(session, first)
        sites.rotate_key(session, news.slug, timedelta(0))
        (ended,) = sending.outgoing(session, first)
    assert (graced.secret_key, graced.previous_key) == (rotated, news.secret_key)
    assert ended.previous_key is None and ended.secret_key not in (rotated, news.secret_key)
    # The lease ran out (the first worker died): another claims it; the first one's late
    # outcome is not written over the second's attempt.
    later = lease + timedelta(seconds=1)
    with session_scope(database_url) as session:
        assert sending.claim(session, [delivery], later, later + timedelta(seconds=100)) == {
            delivery: 2
        }
        assert not sending.record_attempt(
            session, delivery, 1, DeliveryStatus.DELIVERED, 200, None, None
        )
        assert sending.record_attempt(
            session, delivery, 2, DeliveryStatus.PENDING, 503, "HTTP 503", later
        )
    # Overdue for the sweep once its next attempt is long past.
    with session_scope(database_url) as session:
        assert sending.claim_overdue(session, later, 10) == []
        assert sending.claim_overdue(session, later + timedelta(seconds=1), 10) == [delivery]
        # Sent again just now: not overdue again before another `requeue_after_seconds`.
        assert sending.claim_overdue(session, utcnow() - timedelta(seconds=60), 10) == []


def test_removing_an_endpoint_fails_its_pending_deliveries_and_resend_puts_them_back(
    sqlite_url: str,
) -> None:
    _, (first, second) = hooked(sqlite_url, 2)
    record_decisions(
        sqlite_url, [record(first, CommentStatus.APPROVED), record(second, CommentStatus.SPAM)]
    )
    with session_scope(sqlite_url) as session:
        (endpoint,) = webhooks.list_endpoints(session)
        webhooks.remove_endpoint(session, endpoint.id)
    failed = deliveries(sqlite_url)
    assert [(d.status, d.last_error) for d in failed] == [("failed", "endpoint removed")] * 2

    with session_scope(sqlite_url) as session:
        named = webhooks.put_back(session, [failed[1].event_id])
        rest = webhooks.put_back(session, all_failed=True, site="daily-news")
        log = webhooks.delivery_log(session, status=DeliveryStatus.PENDING)
    assert named == [failed[1].id] and rest == [failed[0].id]
    assert [(d.id, d.attempts) for d in log] == [(failed[1].id, 0), (failed[0].id, 0)]
