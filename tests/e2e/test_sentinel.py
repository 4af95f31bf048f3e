"""The service behind Redis Sentinel, on real processes: an API and a Celery worker given a
`sentinel://` MODERATION_REDIS_URL take and decide comments, count rate limits, report ready,
and go on deciding after the master dies and the Sentinels promote its replica."""

from __future__ import annotations

import time
from typing import Any

import redis

from moderation.messaging.heartbeats import read_workers
from tests.conftest import run_moderation
from tests.support.comments import CLEAN, SPAM
from tests.support.sentinel import SentinelGroup
from tests.support.stack import Stack, http, wait_for_status


def _until_ready(stack: Stack, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    answer: Any = None
    while time.monotonic() < deadline:
        status, answer = http("GET", f"{stack.base}/readyz")
        if status == 200:
            return dict(answer)
        time.sleep(0.2)
    raise AssertionError(f"/readyz never 200: {answer}\n{stack.logs()}")


def _status_exit_code(stack: Stack, group: SentinelGroup) -> tuple[int, str]:
    """`moderation status` as cron runs it with the same settings as the stack."""
    done = run_moderation(
        "status", settings={"database_url": stack.database_url, **group.settings}, timeout=60
    )
    return done.returncode, done.stdout + done.stderr


def _newest_beat_on(port: int) -> float:
    """When a worker last wrote its heartbeat to the Redis on this port (0: never)."""
    with redis.Redis("127.0.0.1", port) as server:
        return max((beat.beat_at for beat in read_workers(server)), default=0.0)


def _submit(stack: Stack, bodies: list[str], article: str) -> list[int]:
    return [stack.submit(article, f"Reader {n}", body) for n, body in enumerate(bodies)]


def test_a_stack_behind_sentinel_decides_comments_counts_limits_and_is_ready(
    sqlite_url: str, redis_sentinel: SentinelGroup, stack_factory: Any
) -> None:
    stack: Stack = stack_factory(
        sqlite_url,
        redis_sentinel,
        redis_sentinel_master=redis_sentinel.settings["redis_sentinel_master"],
        rate_per_address="4/minute",
    )
    stack.start()
    checks = _until_ready(stack)["checks"]
    assert checks["redis"] == "ok" and checks["worker"] == "ok"

    clean, spam = _submit(stack, [CLEAN[0], SPAM[0]], "sentinel-news")
    assert wait_for_status(stack, [clean, spam]) == {clean: "approved", spam: "spam"}
    _submit(stack, CLEAN[1:3], "sentinel-news")
    # The fifth comment from this address within the minute: the limit was counted on the
    # master, through the Sentinels.
    status, answer = http(
        "POST",
        f"{stack.base}/api/v1/comments",
        {
            "article_id": "sentinel-news",
            "author_name": "Reader 5",
            "author_email": "reader.5@example.org",
            "body": CLEAN[3],
        },
    )
    assert status == 429, answer
    assert "too many comments from this address" in answer

    code, printed = _status_exit_code(stack, redis_sentinel)
    assert code == 0, printed
    # Everything went to the master the Sentinels name: the worker's heartbeat is there.
    assert time.time() - _newest_beat_on(redis_sentinel.master.port) < 15
    stack.wait_until_decided(4, timeout=30)


def test_comments_sent_after_the_master_dies_are_decided_by_its_replica(
    sqlite_url: str, redis_sentinel: SentinelGroup, stack_factory: Any
) -> None:
    # The sweep keeps its default minute: a decision within the wait below came from the
    # API's own send to the new master, not from the sweep making up for a lost one.
    stack: Stack = stack_factory(
        sqlite_url,
        redis_sentinel,
        redis_sentinel_master=redis_sentinel.settings["redis_sentinel_master"],
    )
    stack.start()
    _until_ready(stack)
    before = _submit(stack, CLEAN[:2], "failover-news")
    assert set(wait_for_status(stack, before).values()) == {"approved"}

    killed = time.monotonic()
    redis_sentinel.master.stop()
    # While the Sentinels have not yet promoted the replica, a comment is still taken (kept
    # `queued` for the sweep when it cannot be sent), promptly and never with a 5xx.
    _submit(stack, [CLEAN[4]], "failover-news")
    assert time.monotonic() - killed < 5
    took = redis_sentinel.wait_for_promotion(killed)
    lost_at = time.time()
    after = _submit(stack, [CLEAN[2], SPAM[1], CLEAN[3]], "failover-news")
    decided = wait_for_status(stack, after, timeout=30)
    assert decided == {after[0]: "approved", after[1]: "spam", after[2]: "approved"}, took

    # The worker beats on the new master, and the service says it is ready and well.
    new = redis_sentinel.replica.port
    deadline = time.monotonic() + 30
    while _newest_beat_on(new) <= lost_at and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _newest_beat_on(new) > lost_at, stack.logs()
    assert _until_ready(stack)["checks"]["worker"] == "ok"
    code, printed = _status_exit_code(stack, redis_sentinel)
    assert code == 0, printed
