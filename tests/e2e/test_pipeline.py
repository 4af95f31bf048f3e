"""The pipeline end to end on real parts: HTTP in, Redis, Celery worker processes, decisions out."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from moderation.domain.statuses import CommentStatus
from moderation.storage.db import session_scope
from moderation.storage.models import Comment, Decision, ModerationEvent
from tests.conftest import RedisServer
from tests.support.comments import ABUSE, CLEAN, SPAM
from tests.support.stack import Stack, http


def _article_page_bodies(base: str, article: str) -> str:
    status, page = http("GET", f"{base}/articles/{article}")
    assert status == 200
    return html.unescape(str(page))


def _decision_counts(database_url: str) -> tuple[int, int, int]:
    """(comments, decision rows, distinct comments with a decision)."""
    with session_scope(database_url) as session:
        comments = session.execute(select(func.count()).select_from(Comment)).scalar_one()
        decisions = session.execute(select(func.count()).select_from(Decision)).scalar_one()
        distinct = session.execute(
            select(func.count(func.distinct(Decision.comment_id)))
        ).scalar_one()
    return comments, decisions, distinct


def test_mixed_comments_are_decided_and_only_clean_ones_published(
    database_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(database_url, redis_server)
    stack.start()
    kinds = (
        [("clean", body) for body in CLEAN]
        + [("spam", body) for body in SPAM]
        + [("abuse", body) for body in ABUSE]
    )
    assert len(kinds) == 50
    ids: dict[int, tuple[str, str]] = {}
    started = time.monotonic()
    for number, (kind, body) in enumerate(kinds):
        ids[stack.submit("rail-yard-park", f"Reader {number}", body)] = (kind, body)
    counts = stack.wait_until_decided(50, timeout=20)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"50 comments took {elapsed:.1f}s to be decided: {counts}"
    assert not counts.get(CommentStatus.QUEUED)

    page = _article_page_bodies(stack.base, "rail-yard-park")
    status, listing = http("GET", f"{stack.base}/api/v1/articles/rail-yard-park/comments?limit=200")
    assert status == 200
    listed = {c["body"] for c in listing["comments"]}
    for comment_id, (kind, body) in ids.items():
        status, view = http("GET", f"{stack.base}/api/v1/comments/{comment_id}")
        assert status == 200
        assert view["status"] != "queued"
        if kind == "clean":
            assert view["status"] == "approved", (body, view)
            assert body in listed
            assert body in page
        else:
            assert view["status"] != "approved", (kind, body, view)
            assert body not in listed
            assert body not in page
    # Each decision names its reasons and the model that produced the scores.
    with session_scope(database_url) as session:
        decisions = list(session.execute(select(Decision)).scalars())
    assert len(decisions) == 50
    assert all(d.model_version for d in decisions)
    assert all(d.reasons for d in decisions)
    for decision in decisions:
        # A score at or over its threshold, or a named rule that has none (a self-harm call,
        # a blocked word): what moved the comment away from approved.
        fired = [r for r in decision.reasons if r["op"] in (">=", None)]
        assert bool(fired) == (decision.status is not CommentStatus.APPROVED), decision.reasons


def test_worker_killed_holding_messages_loses_nothing(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(sqlite_url, redis_server, requeue_after_seconds="2")
    stack.start_api()
    total = 150
    for number in range(total):
        stack.submit("crash", f"Reader {number}", CLEAN[number % len(CLEAN)] + f" ({number})")

    client = redis_server_client(redis_server)
    worker = stack.start_worker()
    deadline = time.monotonic() + 30
    while client.hlen("unacked") == 0:
        assert time.monotonic() < deadline, "the worker never took a message\n" + stack.logs()
        assert worker.poll() is None, stack.logs()
        time.sleep(0.005)
    held = client.hlen("unacked")
    stack.kill(worker)
    queued_after_kill = stack.statuses().get(CommentStatus.QUEUED, 0)
    assert held > 0
    assert queued_after_kill > 0, "the worker finished before it was killed: nothing was tested"

    stack.start_worker()
    stack.wait_until_decided(total, timeout=60)
    comments, decisions, distinct = _decision_counts(sqlite_url)
    assert (comments, decisions, distinct) == (total, total, total)
    with session_scope(sqlite_url) as session:
        events = session.execute(select(func.count()).select_from(ModerationEvent)).scalar_one()
    assert events == total


def test_comments_accepted_while_redis_is_down_are_decided_when_it_returns(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any
) -> None:
    stack = stack_factory(
        sqlite_url, redis_server, requeue_after_seconds="1", sweep_interval_seconds="1"
    )
    stack.start()
    first = stack.submit("outage", "Before", CLEAN[0])
    stack.wait_until_decided(1, timeout=30)

    redis_server.stop()
    accepted = []
    for number in range(20):
        started = time.monotonic()
        accepted.append(stack.submit("outage", f"During {number}", CLEAN[number % len(CLEAN)]))
        assert time.monotonic() - started < 5, "accepting must not wait for Redis"
    assert stack.statuses().get(CommentStatus.QUEUED) == 20

    redis_server.start()
    counts = stack.wait_until_decided(21, timeout=90)
    assert sum(counts.values()) == 21
    for comment_id in [first, *accepted]:
        status, view = http("GET", f"{stack.base}/api/v1/comments/{comment_id}")
        assert status == 200 and view["status"] in {"approved", "pending"}, view
    _, decisions, distinct = _decision_counts(sqlite_url)
    assert decisions == distinct == 21


def redis_server_client(server: RedisServer) -> Any:
    import redis

    return redis.Redis.from_url(server.url)


def test_status_url_and_article_page_follow_a_comment(stack: Stack) -> None:
    stack.start()
    status, answer = http(
        "POST",
        f"{stack.base}/api/v1/comments",
        {
            "article_id": "follow",
            "author_name": "Mira",
            "author_email": "mira@example.org",
            "body": "Thanks for the clear explanation of the budget.",
        },
    )
    assert status == 202
    assert re.fullmatch(rf"{stack.base}/api/v1/comments/\d+", answer["status_url"])
    stack.wait_until_decided(1, timeout=30)
    status, view = http("GET", answer["status_url"])
    assert view["status"] == "approved"
    assert view["comment"]["body"] == "Thanks for the clear explanation of the budget."
    assert "mira@example.org" not in str(view)
    assert "Thanks for the clear explanation of the budget." in _article_page_bodies(
        stack.base, "follow"
    )


@pytest.mark.parametrize("folder", ["broken", "missing"])
def test_a_model_that_cannot_load_sends_comments_to_review_never_approves(
    sqlite_url: str, redis_server: RedisServer, stack_factory: Any, tmp_path: Any, folder: str
) -> None:
    broken = tmp_path / "broken-model"
    if folder == "broken":
        broken.mkdir()
        (broken / "manifest.json").write_text("{}")
        (broken / "model.skops").write_bytes(b"not a model")
    stack = stack_factory(sqlite_url, redis_server, model_dir=str(broken), task_max_retries="1")
    stack.start()
    ids = [stack.submit("broken", f"Reader {n}", CLEAN[n]) for n in range(3)]
    stack.wait_until_decided(3, timeout=60)
    for comment_id in ids:
        status, view = http("GET", f"{stack.base}/api/v1/comments/{comment_id}")
        assert status == 200 and view["status"] == "pending"
    with session_scope(sqlite_url) as session:
        decisions = list(session.execute(select(Decision)).scalars())
    assert len(decisions) == 3
    for decision in decisions:
        assert decision.model_version is None
        assert decision.reasons[0]["rule"] == "scoring_failed"
        assert "model unavailable" in decision.reasons[0]["value"]
    # The worker's log says it in a line per batch, at ERROR, naming the folder: no traceback.
    worker_log = "\n".join(p.read_text() for p in tmp_path.glob("worker-*.log"))
    assert "Traceback" not in worker_log
    errors = [line for line in worker_log.splitlines() if ": ERROR" in line]
    assert errors, worker_log
    assert all("model unavailable" in line and str(broken) in line for line in errors), errors
