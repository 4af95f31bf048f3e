"""One beat scheduler at a time: a lock in Redis, held and renewed by the scheduler that sends.

Every beat (`moderation beat`, or `moderation worker --beat` as `moderation up` runs it) uses
`LockedScheduler`. It sends periodic tasks only while it holds `moderation:beat:lock`, which it
takes with SET NX for `beat_lock_seconds` and renews every third of that.

A second beat waits rather than exits: it logs once which scheduler holds the lock, checks
again every third of `beat_lock_seconds`, and takes over within `beat_lock_seconds` of the
holder's death (at once when the holder stops cleanly and releases the lock). So a second
`--beat` is harmless and a standby costs nothing, while an exit would have each supervisor
restart it in a loop, to the same effect with noisier logs. A holder paused longer than the
lock (a stopped process) finds it taken on waking and waits in its turn.

A waiting scheduler does not open its schedule file either, so two on one data directory do not
share it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
import uuid
from contextlib import suppress
from types import FrameType
from typing import Any

from celery.beat import PersistentScheduler
from celery.signals import beat_embedded_init

from moderation.config import get_settings
from moderation.domain.redis_urls import RedisAddress
from moderation.messaging.redis_clients import redis_address, redis_client
from workers.lifeline import end_with_parent

log = logging.getLogger(__name__)

LOCK_KEY = "moderation:beat:lock"
_RENEW = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
)
_RELEASE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end"
)


class BeatLock:
    """The lock as one scheduler holds it: its value names this host and process."""

    def __init__(self, redis: RedisAddress, seconds: float) -> None:
        self.client = redis_client(redis, timeout=2.0)
        self.ttl_ms = int(seconds * 1000)
        self.check_every = seconds / 3
        self.value = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
        )
        self.held = False
        self._waiting_on: bytes | str | None = None

    def hold(self) -> bool:
        """Take or renew the lock; True while this scheduler may send."""
        try:
            if self.held and not self.client.eval(_RENEW, 1, LOCK_KEY, self.value, self.ttl_ms):
                self.held = False
                log.warning("beat: the scheduler lock was lost; this scheduler waits")
            if not self.held:
                self.held = bool(self.client.set(LOCK_KEY, self.value, nx=True, px=self.ttl_ms))
                self._said(self.client.get(LOCK_KEY))
        except Exception as error:  # Redis away: nothing could be sent anyway
            log.warning("beat: cannot reach Redis for the scheduler lock: %s", error)
            return False
        return self.held

    def _said(self, holder: bytes | str | None) -> None:
        if self.held:
            log.info("beat: this scheduler holds the lock and sends the periodic tasks")
            self._waiting_on = None
        elif holder is not None and holder != self._waiting_on:
            self._waiting_on = holder
            other = json.loads(holder)
            log.warning(
                "beat: another scheduler (host %s, pid %s) holds the lock; this one sends "
                "nothing and takes over if that one stops",
                other.get("host"),
                other.get("pid"),
            )

    def release(self) -> None:
        with suppress(Exception):
            if self.held:
                self.client.eval(_RELEASE, 1, LOCK_KEY, self.value)
                log.info("beat: released the scheduler lock")
        self.held = False
        self.client.close()


class LockedScheduler(PersistentScheduler):
    """Celery's scheduler with its schedule file, sending only while it holds the lock."""

    _lock: BeatLock | None = None

    def setup_schedule(self) -> None:
        # Deferred until the lock is held: a waiting scheduler leaves the file alone.
        if self._lock is not None and self._lock.held:
            super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self._lock is None:
            settings = get_settings()
            self._lock = BeatLock(redis_address(settings), settings.beat_lock_seconds)
        if not self._lock.hold():
            return self._lock.check_every
        if self._store is None:
            self.setup_schedule()
        return min(float(super().tick(*args, **kwargs)), self._lock.check_every)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock is not None:
                self._lock.release()


def _exit_cleanly(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)


def _orphaned() -> None:
    os.kill(os.getpid(), signal.SIGTERM)  # released on the way out, as on a stop
    time.sleep(5)
    os._exit(1)


@beat_embedded_init.connect(weak=False)
def _embedded(**_kwargs: Any) -> None:
    """The beat a worker runs with `--beat` is a process of its own. Celery stops it with
    SIGTERM, which by default would end it before it releases the lock; and it must not
    outlive its worker."""
    signal.signal(signal.SIGTERM, _exit_cleanly)
    end_with_parent(_orphaned)
