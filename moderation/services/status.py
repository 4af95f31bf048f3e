"""What `moderation status` reports: the queues, the workers, the comments still waiting for a
decision, and what is wrong with them (nothing, when the service is taking and deciding
comments)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from moderation.config import Settings
from moderation.messaging.backlog import QueueBacklog, read_backlogs
from moderation.messaging.heartbeats import (
    WorkerBeat,
    newest_beat,
    read_workers,
    worker_check,
)
from moderation.messaging.queues import COMMENTS_QUEUE, QUEUES
from moderation.messaging.redis_clients import redis_client
from moderation.storage import comments as comment_store
from moderation.storage.db import session_scope

# A comment waiting longer than this for its decision is a problem (`moderation status`).
DEFAULT_MAX_QUEUED_AGE_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class WorkerState:
    """A worker's last heartbeat as seen now: live while younger than the stale time."""

    beat: WorkerBeat
    seconds_since_beat: float
    live: bool


@dataclass(slots=True)
class ServiceStatus:
    queues: list[QueueBacklog] = field(default_factory=list)
    workers: list[WorkerState] = field(default_factory=list)
    queued_comments: int | None = None  # None: the database could not be read
    oldest_queued_age: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "problems": self.problems,
            "queues": [asdict(backlog) for backlog in self.queues],
            "workers": [
                {
                    **asdict(state.beat),
                    "seconds_since_beat": round(state.seconds_since_beat, 1),
                    "live": state.live,
                }
                for state in self.workers
            ],
            "database": {
                "queued_comments": self.queued_comments,
                "oldest_queued_age": self.oldest_queued_age,
            },
        }


def read_status(
    settings: Settings, max_queued_age: float = DEFAULT_MAX_QUEUED_AGE_SECONDS
) -> ServiceStatus:
    """Read the broker and the database; each that cannot be read is a problem, not an error."""
    status = ServiceStatus()
    _read_broker(settings, status, time.time())
    _read_database(settings, status, max_queued_age)
    return status


def _read_broker(settings: Settings, status: ServiceStatus, now: float) -> None:
    address = settings.redis_address
    if address is None:
        status.problems.append("no Redis configured (MODERATION_REDIS_URL is not set)")
        return
    stale = settings.worker_stale_seconds
    client = redis_client(address, timeout=2.0)
    try:
        status.queues = read_backlogs(client, QUEUES, now)
        status.workers = [
            WorkerState(beat, now - beat.beat_at, now - beat.beat_at <= stale)
            for beat in read_workers(client)
        ]
        check = worker_check(newest_beat(client, COMMENTS_QUEUE), now, stale)
    except Exception as error:  # unreachable, refused, timed out: said, never raised
        status.problems.append(f"redis unreachable: {type(error).__name__}")
        return
    finally:
        client.close()
    if check != "ok":
        status.problems.append(check)


def _read_database(settings: Settings, status: ServiceStatus, max_queued_age: float) -> None:
    try:
        with session_scope(settings.database_url) as session:
            count, oldest = comment_store.queued_backlog(session)
    except Exception as error:
        status.problems.append(f"database unreachable: {type(error).__name__}")
        return
    status.queued_comments = count
    if oldest is None:
        return
    age = (datetime.now(UTC) - oldest).total_seconds()
    status.oldest_queued_age = round(age, 1)
    if age > max_queued_age:
        status.problems.append(
            f"the oldest queued comment has waited {age:.0f} s for a decision "
            f"(more than {max_queued_age:g} s)"
        )
