"""The worker's heartbeat: a record in Redis that says it is alive, what it serves and with which
model, for /readyz and `moderation status` (the record's shape: moderation/messaging/heartbeats.py),
and the `moderation_worker_heartbeat_timestamp_seconds` gauge the alert rules watch. One beat
feeds both.

Why a key of our own rather than Celery's:

- Celery's worker heartbeats are events, sent only with `-E` and only to whoever listens on the
  event exchange at that moment: nothing keeps them, so /readyz would have to listen for a few
  seconds on every call. (Our workers run without events, gossip and mingle.)
- `celery inspect ping` is a broadcast whose answers are awaited for a timeout (a second by
  default) on every call, and cannot say which queues, concurrency or model a worker has.
- A key with a TTL costs /readyz one Redis command, can be read from any machine, and carries
  whatever we put in it.

Who beats: a step of the worker's consumer, on the consumer's timer, as Celery's own event
heartbeat (celery/worker/consumer/heart.py) does. With the prefork pool on Redis, which is what
`moderation worker` and `moderation trainer` run, that timer is the event loop's: the same loop
that takes messages from Redis and hands them to the pool. So the beats stop when that loop
stops, whether the main process died or is alive but wedged (stopped, deadlocked, stuck in a
call), and /readyz turns red within MODERATION_WORKER_STALE_SECONDS. A task that runs long does
not stop them: it runs in a pool process, and the loop only waits on its pipe. (A pool without
an event loop, `-P solo` or threads, runs the timer on a thread of its own, which would beat on
through a wedged consumer; we do not run those.)

The first beat comes from the loop's first turn, once the worker consumes its queues (the step
starts after Celery's `Tasks`). When the connection to the broker is lost the consumer stops its
steps and starts them again once it is back: the beats pause meanwhile, and the record is kept
(it goes stale if the outage lasts). On a warm shutdown the consumer closes for good and the
record is removed at once, so /readyz need not wait for it to go stale while the pool finishes.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from contextlib import suppress
from typing import Any, ClassVar

from celery import Celery, bootsteps

from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry
from moderation.config import Settings, get_settings
from moderation.messaging.heartbeats import WorkerBeat, forget_worker, record_beat, retain_seconds
from moderation.messaging.queues import COMMENTS_QUEUE, EXPLANATIONS_QUEUE
from moderation.messaging.redis_clients import redis_address, redis_client
from moderation.metrics import WORKER_HEARTBEAT

log = logging.getLogger(__name__)

# The queues whose tasks load the model: a worker serving one of them names its version.
_MODEL_QUEUES = frozenset({COMMENTS_QUEUE, EXPLANATIONS_QUEUE})
# The loop waits for each write: a Redis that does not answer costs it at most this (twice,
# to connect and to write) once per beat, and the broker's own connection is in trouble then.
_REDIS_TIMEOUT_SECONDS = 1.0


def model_version(settings: Settings) -> str | None:
    """The version this worker's processes serve: the pinned directory's, else ACTIVE's (a
    promotion reaches them within `model_check_seconds`)."""
    try:
        if settings.model_dir is not None:
            return str(read_manifest(settings.model_dir)["model_version"])
        return ModelRegistry(settings.models_root).active_version()
    except Exception:  # an unreadable model is the worker's to report, not the heartbeat's
        return None


class Beats:
    """What one worker writes on each beat: its record in Redis and its gauge."""

    def __init__(
        self, settings: Settings, name: str, queues: tuple[str, ...], concurrency: int
    ) -> None:
        self.settings = settings
        self.interval = settings.worker_stale_seconds / 3
        self.retain = retain_seconds(settings.worker_stale_seconds)
        self.identity = (socket.gethostname(), os.getpid(), name, queues, concurrency)
        self.serves_model = bool(_MODEL_QUEUES & set(queues))
        self.started_at = time.time()
        self.gauge = WORKER_HEARTBEAT.labels(name)
        self.client = redis_client(
            redis_address(settings),  # a worker has a broker
            timeout=_REDIS_TIMEOUT_SECONDS,
        )
        self._failing = False

    def record(self) -> WorkerBeat:
        host, pid, name, queues, concurrency = self.identity
        version = model_version(self.settings) if self.serves_model else None
        return WorkerBeat(
            host, pid, name, queues, concurrency, version, self.started_at, time.time()
        )

    def beat(self) -> None:
        self.gauge.set_to_current_time()
        try:
            record_beat(self.client, self.record(), self.retain)
        except Exception as error:  # Redis away: the worker reconnects, and so do we
            if not self._failing:
                log.warning("could not write the heartbeat: %s", error)
            self._failing = True
            return
        if self._failing:
            log.info("heartbeat written again")
        self._failing = False

    def forget(self) -> None:
        with suppress(Exception):  # if Redis is away, the record goes stale instead
            forget_worker(self.client, self.identity[0], self.identity[1])
        self.client.close()


class Heartbeat(bootsteps.StartStopStep):
    """A step of the worker's consumer that beats on the consumer's timer (its event loop)."""

    requires: ClassVar[set[str]] = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, consumer: Any, **kwargs: Any) -> None:
        self.beats: Beats | None = None
        self.entries: list[Any] = []
        super().__init__(consumer, **kwargs)

    def start(self, consumer: Any) -> None:
        """After `Tasks`: the consumer takes from its queues, which the record names."""
        if self.beats is None:
            queues = tuple(sorted(queue.name for queue in consumer.task_consumer.queues))
            concurrency = consumer.controller.concurrency
            self.beats = Beats(get_settings(), consumer.hostname, queues, concurrency)
            log.info("heartbeat every %.1f s for %s", self.beats.interval, ",".join(queues))
        timer, beat = consumer.timer, self.beats.beat
        self.entries = [
            timer.call_after(0, beat, priority=10),  # the loop's first turn
            timer.call_repeatedly(self.beats.interval, beat, priority=10),
        ]

    def stop(self, consumer: Any) -> None:
        """The consumer stops its steps to reconnect, and to shut down."""
        for entry in self.entries:
            entry.cancel()
        self.entries = []

    def close(self, consumer: Any) -> None:
        """On a shutdown, warm or cold (a reconnection does not close): the record goes at
        once. `shutdown`, the worker's last word to its consumer, makes sure of it."""
        self.stop(consumer)
        if self.beats is not None:
            self.beats.forget()
            self.beats = None

    shutdown = close


def install(app: Celery) -> None:
    app.steps["consumer"].add(Heartbeat)
