"""Workers' heartbeats in Redis: the record each worker keeps of itself, and how the API's
/readyz and `moderation status` read them. The workers write them (workers/heartbeat.py says
why a key of our own rather than Celery's events or `inspect ping`).

Two kinds of key, both in the broker's Redis:

- `moderation:worker:<host>:<pid>`, the worker's record (JSON: host, pid, Celery node name,
  queues, concurrency, model version, when it started and last beat). It expires
  `retain_seconds` after the last beat: a dead worker is listed as stale for a while, then
  forgotten.
- `moderation:workers:<queue>`, a sorted set of the workers serving that queue scored by their
  last beat, so /readyz learns the newest beat on `comments` in one command.

Times are Unix seconds from the writer's clock, compared with the reader's: keep clocks in step
(NTP) across machines, or a worker seconds away from the API's clock looks stale or fresh.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from moderation.messaging.queues import COMMENTS_QUEUE, QUEUES

if TYPE_CHECKING:
    from redis import Redis

_RECORD = "moderation:worker:"
_SERVING = "moderation:workers:"
# How long a dead worker stays listed (as stale) after its last beat, at the least.
MIN_RETAIN_SECONDS = 600.0


@dataclass(frozen=True, slots=True)
class WorkerBeat:
    """What a worker says of itself on each beat."""

    host: str
    pid: int
    name: str  # Celery's node name (celery@host, trainer@host)
    queues: tuple[str, ...]
    concurrency: int
    model_version: str | None  # the version a scoring worker serves; None for webhooks alone
    started_at: float
    beat_at: float

    @property
    def worker_id(self) -> str:
        return worker_id(self.host, self.pid)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> WorkerBeat:
        data = json.loads(raw)
        data["queues"] = tuple(data["queues"])
        return cls(**data)


def worker_id(host: str, pid: int) -> str:
    # Not the Celery node name: two `moderation worker` on one host share `celery@host`.
    return f"{host}:{pid}"


def retain_seconds(stale_seconds: float) -> float:
    return max(MIN_RETAIN_SECONDS, 4 * stale_seconds)


def record_beat(client: Redis, beat: WorkerBeat, retain: float) -> None:
    """Write the worker's record and its place in each queue's set, in one round trip."""
    pipe = client.pipeline(transaction=False)
    pipe.set(_RECORD + beat.worker_id, beat.to_json(), px=int(retain * 1000))
    for queue in beat.queues:
        pipe.zadd(_SERVING + queue, {beat.worker_id: beat.beat_at})
        # Forget the workers of this queue that have not beaten for the whole retention.
        pipe.zremrangebyscore(_SERVING + queue, "-inf", beat.beat_at - retain)
        pipe.pexpire(_SERVING + queue, int(retain * 1000))
    pipe.execute()


def forget_worker(client: Redis, host: str, pid: int) -> None:
    """Remove a worker that stopped (or was seen dead) at once, not after it goes stale."""
    key = worker_id(host, pid)
    pipe = client.pipeline(transaction=False)
    pipe.delete(_RECORD + key)
    for queue in QUEUES:
        pipe.zrem(_SERVING + queue, key)
    pipe.execute()


def newest_beat(client: Redis, queue: str) -> float | None:
    """When a worker serving ``queue`` last beat (Unix seconds), or None: one command."""
    newest = client.zrevrange(_SERVING + queue, 0, 0, withscores=True)
    return float(newest[0][1]) if newest else None


def worker_check(newest: float | None, now: float, stale_seconds: float) -> str:
    """`ok`, or why no worker is taking comments, as /readyz and `moderation status` say it."""
    if newest is None:
        return f"no worker serving the {COMMENTS_QUEUE} queue has sent a heartbeat"
    age = now - newest
    if age > stale_seconds:
        return (
            f"no worker serving the {COMMENTS_QUEUE} queue has sent a heartbeat in "
            f"{stale_seconds:g} s (the last {age:.0f} s ago)"
        )
    return "ok"


def read_workers(client: Redis) -> list[WorkerBeat]:
    """Every worker with a record (live or stale), by host and pid."""
    pipe = client.pipeline(transaction=False)
    for queue in QUEUES:
        pipe.zrange(_SERVING + queue, 0, -1)
    ids = sorted({member for members in pipe.execute() for member in members})
    if not ids:
        return []
    records = client.mget([_RECORD.encode() + member for member in ids])
    beats = [WorkerBeat.from_json(raw) for raw in records if raw is not None]
    return sorted(beats, key=lambda beat: (beat.host, beat.pid))
