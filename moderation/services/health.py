"""What /readyz checks: the database and Redis answer, and a worker serving the comments queue
sent a heartbeat lately; and what /readyz/intake checks: only what this API process needs to
accept comments, the database. Each check is a word (`ok`, or why not), never an exception.

Redis is not among the intake's needs: a comment is stored as `queued` before it is sent, a
send that fails is left to the sweep, and the rate limits fail open while Redis is away
(tests/e2e/test_pipeline.py accepts comments with Redis stopped). Nor is a worker: comments
wait in the database and the queue until one is back."""

from __future__ import annotations

import time

from moderation.config import Settings
from moderation.messaging.heartbeats import newest_beat, worker_check
from moderation.messaging.queues import COMMENTS_QUEUE
from moderation.messaging.redis_clients import redis_client
from moderation.storage import db


def readiness_checks(settings: Settings) -> dict[str, str]:
    """`database`, `redis` and `worker`, each `ok` or what is wrong."""
    return {"database": _database_check(settings), **_broker_checks(settings)}


def intake_checks(settings: Settings) -> dict[str, str]:
    """`database`, `ok` or what is wrong: whether this process can accept comments."""
    return {"database": _database_check(settings)}


def _database_check(settings: Settings) -> str:
    try:
        db.ping(settings.database_url)
    except Exception as error:  # any failure means not ready: said, never raised
        return f"unreachable: {type(error).__name__}"
    return "ok"


def _broker_checks(settings: Settings) -> dict[str, str]:
    """`redis` and `worker` from one read: the newest heartbeat of a worker serving the comments
    queue (which also proves Redis answers)."""
    try:
        address = settings.redis_address
        if address is None:
            raise RuntimeError("MODERATION_REDIS_URL is not set")
        client = redis_client(address)
        try:
            newest = newest_beat(client, COMMENTS_QUEUE)
        finally:
            client.close()
    except Exception as error:
        return {
            "redis": f"unreachable: {type(error).__name__}",
            "worker": "unknown: Redis cannot be read",
        }
    return {
        "redis": "ok",
        "worker": worker_check(newest, time.time(), settings.worker_stale_seconds),
    }
