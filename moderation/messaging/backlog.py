"""What waits in the Celery queues, read from Redis when Prometheus scrapes: cheap, a length
and the header of the oldest message for each queue, in one round trip."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis

from moderation.messaging.queues import QUEUES, SENT_AT_HEADER, redis_client_url


@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    messages: int
    # Seconds since the oldest waiting message was sent; 0 for an empty queue, None when that
    # message carries no time (sent by a version before the header).
    oldest_age: float | None


class QueueReader:
    """One connection per scraping process, with short timeouts: a scrape must not hang."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(
            redis_client_url(url), socket_connect_timeout=1, socket_timeout=1
        )

    def depths(self) -> list[QueueDepth]:
        # Kombu's Redis transport pushes on the left and takes from the right: the oldest
        # message of a queue is its last element.
        pipe = self._client.pipeline(transaction=False)
        for queue in QUEUES:
            pipe.llen(queue)
            pipe.lindex(queue, -1)
        replies = pipe.execute()
        now = time.time()
        return [
            QueueDepth(queue, int(length), _age(oldest, now) if length else 0.0)
            for queue, length, oldest in zip(QUEUES, replies[::2], replies[1::2], strict=True)
        ]

    def close(self) -> None:
        self._client.close()


def _age(raw: bytes | None, now: float) -> float | None:
    if raw is None:  # taken between the two commands
        return 0.0
    try:
        sent_at = json.loads(raw)["headers"][SENT_AT_HEADER]
        return max(0.0, now - float(sent_at))
    except (ValueError, KeyError, TypeError):
        return None
