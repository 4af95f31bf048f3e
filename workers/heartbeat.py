"""The worker's heartbeat: a record in Redis that says it is alive, what it serves and with which
model, for /readyz and `moderation status` (the record's shape: moderation/messaging/heartbeats.py).

Why a key of our own, written by a thread of the worker's main process, rather than Celery's:

- Celery's worker heartbeats are events, sent only with `-E` and only to whoever listens on the
  event exchange at that moment: nothing keeps them, so /readyz would have to listen for a few
  seconds on every call. (Our workers run without events, gossip and mingle.)
- `celery inspect ping` is a broadcast whose answers are awaited for a timeout (a second by
  default) on every call, and cannot say which queues, concurrency or model a worker has.
- A key with a TTL costs /readyz one Redis command, can be read from any machine, and carries
  whatever we put in it.

The thread starts on `worker_ready`, once the worker consumes its queues, so readiness never
runs ahead of the worker. It lives in the main process, the one that takes messages from Redis:
if that process dies, the beats stop (the pool's processes go with it, workers/lifeline.py).
On a warm shutdown the worker removes its record at once, so /readyz need not wait for it to
go stale. A main process alive but wedged would keep beating; the task time limits bound a
stuck task, not a stuck consumer, which this does not see.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from contextlib import suppress
from typing import Any

from celery.signals import worker_ready, worker_shutdown, worker_shutting_down

from classifiers.persistence import read_manifest
from classifiers.registry import ModelRegistry
from moderation.config import Settings, get_settings
from moderation.messaging.heartbeats import (
    WorkerBeat,
    forget_worker,
    record_beat,
    retain_seconds,
)
from moderation.messaging.queues import COMMENTS_QUEUE, EXPLANATIONS_QUEUE
from moderation.messaging.redis_clients import redis_address, redis_client

log = logging.getLogger(__name__)

# The queues whose tasks load the model: a worker serving one of them names its version.
_MODEL_QUEUES = frozenset({COMMENTS_QUEUE, EXPLANATIONS_QUEUE})


def model_version(settings: Settings) -> str | None:
    """The version this worker's processes serve: the pinned directory's, else ACTIVE's (a
    promotion reaches them within `model_check_seconds`)."""
    try:
        if settings.model_dir is not None:
            return str(read_manifest(settings.model_dir)["model_version"])
        return ModelRegistry(settings.models_root).active_version()
    except Exception:  # an unreadable model is the worker's to report, not the heartbeat's
        return None


class Heartbeat(threading.Thread):
    """Writes this worker's record every third of `worker_stale_seconds` until stopped."""

    def __init__(
        self, settings: Settings, name: str, queues: tuple[str, ...], concurrency: int
    ) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.redis = redis_address(settings)  # a worker has a broker
        self.settings = settings
        self.interval = settings.worker_stale_seconds / 3
        self.retain = retain_seconds(settings.worker_stale_seconds)
        self.identity = (socket.gethostname(), os.getpid(), name, queues, concurrency)
        self.serves_model = bool(_MODEL_QUEUES & set(queues))
        self.started_at = time.time()
        self._stopped = threading.Event()
        self._failing = False

    def beat(self) -> WorkerBeat:
        host, pid, name, queues, concurrency = self.identity
        version = model_version(self.settings) if self.serves_model else None
        return WorkerBeat(
            host, pid, name, queues, concurrency, version, self.started_at, time.time()
        )

    def run(self) -> None:
        client = redis_client(self.redis, timeout=2.0)
        try:
            while True:
                self._write(client)
                if self._stopped.wait(self.interval):
                    break
            with suppress(Exception):
                forget_worker(client, self.identity[0], self.identity[1])
        finally:
            client.close()

    def _write(self, client: Any) -> None:
        try:
            record_beat(client, self.beat(), self.retain)
        except Exception as error:  # Redis away: the worker reconnects, and so do we
            if not self._failing:
                log.warning("could not write the heartbeat: %s", error)
            self._failing = True
            return
        if self._failing:
            log.info("heartbeat written again")
        self._failing = False

    def stop(self, wait: bool) -> None:
        self._stopped.set()
        if wait and self.is_alive():
            self.join(5)


_running: list[Heartbeat] = []


@worker_ready.connect(weak=False)
def _start(sender: Any = None, **_kwargs: Any) -> None:
    """`sender` is the worker's consumer, which knows its queues and its pool's size."""
    queues = tuple(sorted(queue.name for queue in sender.task_consumer.queues))
    heartbeat = Heartbeat(get_settings(), sender.hostname, queues, sender.controller.concurrency)
    heartbeat.start()
    _running.append(heartbeat)
    log.info("heartbeat every %.1f s for %s", heartbeat.interval, ",".join(queues))


@worker_shutting_down.connect(weak=False)
def _stopping(**_kwargs: Any) -> None:
    # Called in a signal handler: only say stop; the thread removes the record on its way out.
    for heartbeat in _running:
        heartbeat.stop(wait=False)


@worker_shutdown.connect(weak=False)
def _stopped(**_kwargs: Any) -> None:
    for heartbeat in _running:
        heartbeat.stop(wait=True)
