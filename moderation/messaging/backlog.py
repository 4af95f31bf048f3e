"""How much waits in each Celery queue, and for how long, read straight from the broker's Redis.

Celery's Redis transport keeps a queue as a Redis list of JSON messages, pushed on the left and
taken from the right: its length is the queue's depth and its rightmost element the oldest
message. Every message this service sends carries an `enqueued_at` header (queues.py); a message
without it (sent by an older version) has no known age. Not counted: messages a worker has
taken but not yet acknowledged (those with a countdown, such as webhook retries, wait there),
and the lists Celery keeps for messages sent with a priority, which this service never sets.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moderation.messaging.queues import ENQUEUED_AT

if TYPE_CHECKING:
    from redis import Redis


@dataclass(frozen=True, slots=True)
class QueueBacklog:
    queue: str
    depth: int
    oldest_age: float | None  # seconds the oldest message has waited; None: empty or unknown


def _enqueued_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        message: Any = json.loads(raw)
        return float(message["headers"][ENQUEUED_AT])
    except (ValueError, TypeError, KeyError):
        return None


def read_backlogs(client: Redis, queues: Sequence[str], now: float) -> list[QueueBacklog]:
    """Each queue's depth and the age of its oldest message, in one round trip."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.llen(queue)
        pipe.lindex(queue, -1)
    answers = pipe.execute()
    backlogs = []
    for i, queue in enumerate(queues):
        depth, oldest = int(answers[2 * i]), _enqueued_at(answers[2 * i + 1])
        age = max(0.0, now - oldest) if oldest is not None else None
        backlogs.append(QueueBacklog(queue, depth, age))
    return backlogs
