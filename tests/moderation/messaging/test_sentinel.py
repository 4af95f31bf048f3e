"""Every kind of Redis client the service has reaches the master through real Sentinels
(tests/support/sentinel.py), and reaches the new master after the old one is lost."""

from __future__ import annotations

import asyncio

import redis

from moderation.config import Settings
from moderation.domain.statuses import CommentStatus
from moderation.http.ratelimits import RateLimits
from moderation.messaging.decision_feed import Decided, DecisionFeed, publish_decisions
from moderation.messaging.queues import COMMENTS_QUEUE, producer_app, send_decide
from moderation.messaging.redis_clients import async_client, redis_client
from tests.support.sentinel import SentinelGroup


def _settings(group: SentinelGroup, **extra: str) -> Settings:
    return Settings(**group.settings, **extra)  # type: ignore[arg-type]


def _on(port: int) -> redis.Redis:
    """A plain client of the Redis on this port: what is really there."""
    return redis.Redis("127.0.0.1", port, decode_responses=True)


def _decide_messages(port: int) -> int:
    with _on(port) as server:
        return int(server.llen(COMMENTS_QUEUE))


def test_the_sync_and_asyncio_clients_reach_the_master(redis_sentinel: SentinelGroup) -> None:
    client = redis_client(redis_sentinel.address)
    try:
        client.set("moderation:test:sync", "1")
    finally:
        client.close()

    async def write() -> None:
        aclient = async_client(redis_sentinel.address)
        try:
            await aclient.set("moderation:test:async", "2")
        finally:
            await aclient.aclose()

    asyncio.run(write())
    with _on(redis_sentinel.master.port) as master:
        assert master.mget("moderation:test:sync", "moderation:test:async") == ["1", "2"]


def test_celery_sends_through_the_sentinels(redis_sentinel: SentinelGroup) -> None:
    app = producer_app(_settings(redis_sentinel))
    try:
        send_decide(app, [1, 2, 3])
    finally:
        app.close()
    assert _decide_messages(redis_sentinel.master.port) == 1


def test_rate_limits_count_on_the_master(redis_sentinel: SentinelGroup) -> None:
    limits = RateLimits(_settings(redis_sentinel, rate_sign_ins_per_address="2/minute;100/hour"))

    async def sign_ins() -> list[object]:
        try:
            return [await limits.sign_in("192.0.2.7") for _ in range(3)]
        finally:
            await limits.close()

    first, second, third = asyncio.run(sign_ins())
    assert first is None and second is None
    assert third is not None and third.limit == "rate_sign_ins_per_address"  # type: ignore[attr-defined]
    with _on(redis_sentinel.master.port) as master:
        assert master.keys("moderation:rate*")


def test_the_decision_feed_hears_what_workers_announce(redis_sentinel: SentinelGroup) -> None:
    address = redis_sentinel.address

    async def scenario() -> Decided | None:
        feed = DecisionFeed(address, lambda ids: [], poll_seconds=5)
        try:
            assert await feed.ready(5)
            decided = Decided(7, CommentStatus.SPAM, 0.97)
            assert await asyncio.to_thread(publish_decisions, address, [decided])
            return await feed.wait(7, timeout=5)
        finally:
            await feed.stop()

    assert asyncio.run(scenario()) == Decided(7, CommentStatus.SPAM, 0.97)
    assert feed_messages_seen_on_master(redis_sentinel) >= 1


def feed_messages_seen_on_master(group: SentinelGroup) -> int:
    """PUBLISH commands the master ran: the feed went through it, not around it."""
    with _on(group.master.port) as master:
        stats = master.info("commandstats").get("cmdstat_publish", {})
    return int(stats.get("calls", 0)) if isinstance(stats, dict) else 0


def test_clients_made_before_a_failover_reach_the_new_master(
    redis_sentinel: SentinelGroup,
) -> None:
    settings = _settings(redis_sentinel)
    client = redis_client(redis_sentinel.address, timeout=2.0)
    app = producer_app(settings)
    try:
        client.set("moderation:test:before", "1")
        send_decide(app, [1])
        # Replication is asynchronous: what the master had not passed on when it died is
        # lost (docs/scaling.md). Here it had.
        assert client.wait(1, 2000) == 1
        redis_sentinel.lose_the_master()
        # The connection to the dead master fails: the next command asks the Sentinels again
        # and goes to the master they now name.
        client.set("moderation:test:after", "2")
        send_decide(app, [2])
    finally:
        client.close()
        app.close()
    new = redis_sentinel.replica.port
    assert redis_sentinel.master_port() == new
    with _on(new) as master:
        assert master.mget("moderation:test:before", "moderation:test:after") == ["1", "2"]
    assert _decide_messages(new) == 2
