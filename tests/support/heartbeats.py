"""A worker's heartbeat written as a worker writes it, for tests that need a ready service
without running a worker."""

from __future__ import annotations

import time

from moderation.domain.redis_urls import parse_redis_url
from moderation.messaging.heartbeats import WorkerBeat, record_beat
from moderation.messaging.redis_clients import redis_client


def beat(redis_url: str, queues: tuple[str, ...] = ("comments",), age: float = 0.0) -> None:
    """A worker's heartbeat, ``age`` seconds old, as a worker serving ``queues`` writes it."""
    now = time.time()
    client = redis_client(parse_redis_url(redis_url))
    try:
        record_beat(
            client, WorkerBeat("web-1", 4242, "celery@web-1", queues, 2, "v0", now, now - age), 600
        )
    finally:
        client.close()
